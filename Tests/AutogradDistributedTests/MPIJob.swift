import Foundation
import TestSupport

/// Starts `DistributedTestWorker` (or the `autograd` tool) under `mpirun` and collects what it printed.
///
/// Without `mpirun` on the PATH the distributed tests are skipped with a notice, unless
/// `AUTOGRAD_REQUIRE_MPI=1` (as in CI), where they fail instead.
enum MPIJob {
  /// The transports a job can be told to use.
  enum Transport: String, CaseIterable, Sendable {
    /// Whatever Open MPI picks on one machine: shared memory.
    case sharedMemory
    /// TCP sockets over the loopback interface, as between machines.
    case tcp

    var arguments: [String] {
      switch self {
      case .sharedMemory: []
      case .tcp: ["--mca", "pml", "ob1", "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo"]
      }
    }
  }

  static let isRequired = ProcessInfo.processInfo.environment["AUTOGRAD_REQUIRE_MPI"] == "1"

  static let mpirun = ChildProcess.onPath("mpirun")
  /// MPICH's launcher, where MPICH is installed beside Open MPI (Debian's `mpich` package).
  static let mpiexecMPICH = ChildProcess.onPath("mpiexec.mpich")

  /// Whether the tests run: MPI is installed, or it is required (and then a missing one fails).
  static let shouldRun: Bool = {
    if mpirun == nil && !isRequired {
      print(
        "notice: mpirun is not installed, so the distributed tests are skipped (apt-get install openmpi-bin to run them)"
      )
    }
    return mpirun != nil || isRequired
  }()

  /// Runs the worker's `scenario` on `ranks` processes and waits at most `timeout` seconds,
  /// killing the job then.
  static func run(
    _ scenario: String, ranks: Int, transport: Transport = .sharedMemory, timeout: Double = 120,
    arguments: [String] = [], mpich: Bool = false
  ) throws -> ChildProcess.Outcome {
    try run(
      program: "DistributedTestWorker", [scenario] + arguments, ranks: ranks, transport: transport, timeout: timeout,
      mpich: mpich)
  }

  /// Runs `program` of this package with `arguments` on `ranks` processes, under Open MPI's
  /// `mpirun`, or under MPICH's `mpiexec` with `mpich`.
  static func run(
    program: String, _ arguments: [String], ranks: Int, transport: Transport = .sharedMemory,
    timeout: Double = 120, mpich: Bool = false
  ) throws -> ChildProcess.Outcome {
    guard let launcher = mpich ? mpiexecMPICH : mpirun else {
      throw ChildProcess.Failure.missing(
        "mpirun is not installed (AUTOGRAD_REQUIRE_MPI=1): apt-get install openmpi-bin")
    }
    guard let executable = ChildProcess.builtProgram(program) else {
      throw ChildProcess.Failure.missing("\(program) was not found beside the test bundle")
    }
    let launch =
      mpich ? ["-n", "\(ranks)"] : ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)"] + transport.arguments
    return try ChildProcess.run(launcher, launch + [executable.path] + arguments, timeout: timeout)
  }
}
