import Foundation
import TestSupport
import Testing

/// `autograd explain` and `autograd graph` on the lecture's model, as a learner runs them.
@Suite("The graph and explain commands") struct GraphCommandTests {
  func autograd(_ arguments: String...) throws -> ChildProcess.Outcome { try ChildProcess.autograd(arguments) }

  @Test func theLecturesGraphTreatsXAndYAsData() throws {
    let outcome = try autograd("explain")
    #expect(outcome.status == 0)
    #expect(
      outcome.output.contains("w = 1.0                           (parameter, requires grad)"), "\(outcome.output)")
    #expect(outcome.output.contains("x = 1.0                           (input)"), "\(outcome.output)")
    #expect(outcome.output.contains("d(loss)/d(w) = -2.0"))
    #expect(!outcome.output.contains("d(loss)/d(x)") && !outcome.output.contains("d(loss)/d(y)"))
    // --wrt chooses otherwise.
    let all = try autograd("explain", "--wrt", "x,y,w")
    #expect(all.output.contains("d(loss)/d(x) = -2.0") && all.output.contains("d(loss)/d(y) = 2.0"))
  }
}
