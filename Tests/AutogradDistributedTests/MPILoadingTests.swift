import Autograd
import Foundation
import Testing

@testable import AutogradDistributed

/// These run with or without MPI installed, each in a child process of its own (MPI is loaded and
/// initialized once per process).
@Suite("Loading MPI") struct MPILoadingTests {
  @Test func withoutMPIAGroupIsAnErrorSayingWhatToInstall() async {
    await #expect(processExitsWith: .success) {
      setenv(MPILibrary.pathVariable, "/nonexistent/libmpi.so.40", 1)
      do {
        _ = try ProcessGroup.world()
        exit(1)
      } catch DistributedError.mpiUnavailable(let text) {
        guard text.contains("apt-get install openmpi-bin"), text.contains("/nonexistent/libmpi.so.40") else { exit(2) }
      } catch {
        exit(3)
      }
    }
  }

  @Test func aLibraryThatIsNotMPIIsRefusedByName() async {
    await #expect(processExitsWith: .success) {
      setenv(MPILibrary.pathVariable, "libm.so.6", 1)
      do {
        _ = try ProcessGroup.world()
        exit(1)
      } catch DistributedError.mpiUnavailable(let text) {
        guard text.contains("libm.so.6: not an MPI library") else { exit(2) }
      } catch {
        exit(3)
      }
    }
  }

  /// Outside mpirun, MPI starts a job of one process of its own.
  @Test(.enabled(if: MPIJob.shouldRun, "needs mpirun (apt-get install openmpi-bin)"))
  func outsideMpirunTheWorldIsOneProcess() async {
    await #expect(processExitsWith: .success) {
      guard let group = try? ProcessGroup.world(), group.rank == 0, group.size == 1 else { exit(1) }
      let t = Tensor([1.0, 2.0])
      guard (try? group.allReduce(t, op: .mean)) != nil, t.scalars(as: Double.self) == [1, 2] else { exit(2) }
    }
  }
}
