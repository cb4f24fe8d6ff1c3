import Foundation
import TestSupport
import Testing

/// The `autograd` tool copied away from its build folder, as a user copies a binary.
@Suite("The tool away from its build folder") struct CopiedBinaryTests {
  @Test func withoutItsDataTheToolSaysToPassItAndExitsOne() throws {
    guard let tool = ChildProcess.builtProgram("autograd") else {
      throw ChildProcess.Failure.missing("autograd was not built")
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-copy-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let copy = directory.appendingPathComponent("autograd")
    try FileManager.default.copyItem(at: tool, to: copy)

    let outcome = try ChildProcess.run(copy, ["train", "--epochs", "1"], timeout: 60)
    #expect(outcome.status == 1, "\(outcome.output)")
    #expect(
      outcome.output.contains(
        "the digits data that ships with the tool is not beside it; pass the data with --data FILE"))

    // Given the data, the copy trains.
    let data = try #require(Self.resource())
    let trained = try ChildProcess.run(copy, ["train", "--epochs", "1", "--data", data.path], timeout: 120)
    #expect(trained.status == 0, "\(trained.output)")
    #expect(trained.output.contains("final test accuracy"))
  }

  /// The shipped CSV, beside the test bundle.
  static func resource() -> URL? {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidate = directory.appendingPathComponent("swift-autograd_AutogradExamples.resources/digits.csv")
    return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
  }
}
