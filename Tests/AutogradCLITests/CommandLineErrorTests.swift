import Foundation
import TestSupport
import Testing

/// The tool's answers to wrong input, as a user meets them: arguments that are wrong on their face
/// exit 64 with the usage line; failures while running exit 1 with one line saying what is wrong.
@Suite("The tool's errors") struct CommandLineErrorTests {
  func autograd(_ arguments: String...) throws -> ChildProcess.Outcome {
    guard let tool = ChildProcess.builtProgram("autograd") else {
      throw ChildProcess.Failure.missing("autograd was not built")
    }
    return try ChildProcess.run(tool, arguments, timeout: 120)
  }

  @Test(arguments: [
    (["train", "--epochs", "-1"], "--epochs must be positive, got -1"),
    (["train", "--batch-size", "-32"], "--batch-size must be positive, got -32"),
    (["train", "--lr", "-0.1"], "--lr must be positive, got -0.1"),
    (["exercise", "--epochs", "-5"], "--epochs must be non-negative, got -5"),
    (["two-layer-net", "--steps", "-1"], "--steps must be positive, got -1"),
  ])
  func aNegativeNumberReachesTheCheckOfItsOption(arguments: [String], message: String) throws {
    guard let tool = ChildProcess.builtProgram("autograd") else {
      throw ChildProcess.Failure.missing("autograd was not built")
    }
    let outcome = try ChildProcess.run(tool, arguments)
    #expect(outcome.status == 64)
    #expect(outcome.output.contains(message), "\(outcome.output)")
  }

  @Test func aPathThatCannotBeWrittenStopsTrainingBeforeItStarts() throws {
    for option in ["--save", "--plot"] {
      let outcome = try autograd("train", option, "/nonexistent/folder/out.file")
      #expect(outcome.status == 1)
      #expect(
        outcome.output.contains(
          "Error: \(option): cannot write /nonexistent/folder/out.file: the folder /nonexistent/folder does not exist"))
      #expect(!outcome.output.contains("epoch 1"), "training started: \(outcome.output)")
      #expect(!outcome.output.contains("Usage:"))
    }
  }

  @Test func runTimeFailuresExitOneWithOneLine() throws {
    let cases: [([String], String)] = [
      (["graph", "--out", "/nonexistent/folder/graph.svg"], "Error: cannot write /nonexistent/folder/graph."),
      (["explain", "--wrt", "q"], "Error: --wrt: 'q' is not one of the names given with --set (x, y, w)"),
      (["explain", "--expr", "x * w", "--set", "x=1,w=2,z=3"], "Error: --set: 'z' is not used by the expression"),
    ]
    for (arguments, message) in cases {
      guard let tool = ChildProcess.builtProgram("autograd") else { throw ChildProcess.Failure.missing("autograd") }
      let outcome = try ChildProcess.run(tool, arguments)
      #expect(outcome.status == 1, "\(arguments): \(outcome.output)")
      #expect(outcome.output.contains(message), "\(arguments): \(outcome.output)")
      #expect(!outcome.output.contains("Usage:"), "\(arguments): \(outcome.output)")
    }
  }

  @Test func evaluatingAFileThatIsNotACheckpointSaysSo() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID()).safetensors")
    try Data("pixel,pixel,label\n1,2,3\n".utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let outcome = try autograd("evaluate", "--model", file.path)
    #expect(outcome.status == 1)
    #expect(outcome.output.contains("\(file.path): not a model saved by `autograd train --save`"), "\(outcome.output)")
  }

  @Test func explainsHelpDoesNotClaimToDraw() throws {
    let outcome = try autograd("explain", "--help")
    #expect(outcome.status == 0)
    #expect(!outcome.output.lowercased().contains("draw"), "\(outcome.output)")
  }
}
