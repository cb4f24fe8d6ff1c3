import Foundation
import Testing

/// `mpirun -np N autograd train --distributed`, as a user runs it.
@Suite(
  "autograd train --distributed", .enabled(if: MPIJob.shouldRun, "needs mpirun (apt-get install openmpi-bin)"),
  .serialized)
struct DistributedTrainCommandTests {
  @Test func twoProcessesTrainTheDigitsMLPAndOnlyRankZeroSpeaksAndWrites() throws {
    let model = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: model) }
    let outcome = try MPIJob.run(
      program: "autograd", ["train", "--distributed", "--epochs", "4", "--save", model.path], ranks: 2)
    #expect(outcome.status == 0, "\(outcome.output)")
    #expect(outcome.output.contains("batch 32 per process x 2 processes = 64"))
    let finals = outcome.output.components(separatedBy: "final test accuracy: ")
    #expect(finals.count == 2, "one rank reports")
    let accuracy = Double(finals.last?.prefix { $0 != "%" } ?? "") ?? 0
    #expect(accuracy > 85, "\(outcome.output)")
    #expect(FileManager.default.fileExists(atPath: model.path))
  }

  @Test func aFileNoRankCanReadStopsEveryRankWithTheReason() throws {
    let outcome = try MPIJob.run(
      program: "autograd", ["train", "--distributed", "--data", "/nonexistent/digits.csv"], ranks: 2, timeout: 60)
    #expect(outcome.status != 0)
    #expect(
      outcome.output.contains("Error: rank 0 stopped: /nonexistent/digits.csv: cannot read the file"),
      "\(outcome.output)")
  }
}
