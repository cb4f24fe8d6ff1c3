import Foundation
import TestSupport
import Testing

/// `autograd tutorial`: the ported "Learning PyTorch with Examples" programs, run as a user would.
@Suite("The tutorial command") struct TutorialCommandTests {
  func autograd(_ arguments: String...) throws -> ChildProcess.Outcome { try ChildProcess.autograd(arguments) }

  @Test func withoutANameItListsThePrograms() throws {
    let outcome = try autograd("tutorial")
    #expect(outcome.status == 0)
    let names = outcome.output.split(separator: "\n").map { $0.split(separator: " ")[0] }
    #expect(
      names == [
        "polynomial_tensor", "polynomial_autograd", "polynomial_custom_function", "polynomial_nn",
        "polynomial_optim", "polynomial_module", "dynamic_net",
      ])
  }

  @Test func aProgramPrintsItsLossesAndResult() throws {
    let outcome = try autograd("tutorial", "polynomial_custom_function")
    #expect(outcome.status == 0)
    let lines = outcome.output.split(separator: "\n")
    #expect(lines.count == 21)
    #expect(lines.first?.hasPrefix("99 ") == true)
    #expect(lines.last?.hasPrefix("Result: y = ") == true && lines.last?.contains(" * P3(") == true)
  }

  @Test func anUnknownNameIsAnErrorThatListsTheNames() throws {
    let outcome = try autograd("tutorial", "polynomial")
    #expect(outcome.status == 64)
    #expect(outcome.output.contains("polynomial_tensor"), "\(outcome.output)")
  }
}
