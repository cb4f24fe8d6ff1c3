import Autograd
import AutogradExamples
import Testing

@testable import AutogradCLI

@Suite("Scalar expressions") struct ScalarExpressionTests {
  @Test(arguments: [
    ("1 + 2 * 3", 7.0), ("(1 + 2) * 3", 9), ("2 ^ 3 ^ 2", 512), ("2 ** 3", 8), ("-2 ^ 2", -4), ("8 / 4 / 2", 1),
    ("x * w - y", -1), ("exp(0) + log(1) + sqrt(4) + abs(-3) + relu(-1) + tanh(0) + sigmoid(0)", 6.5),
    ("1.5e1 - .5", 14.5), ("a = x + 1; b = a * a; b - 1", 3),
  ])
  func evaluates(source: String, expected: Double) throws {
    let e = try ScalarExpression(source, values: [("x", 1), ("y", 2), ("w", 1)])
    #expect(e.output.item() == expected)
  }

  @Test func namesIntermediateValuesAndDefaultsTheOutputToLoss() throws {
    let e = try ScalarExpression("y_hat = x * w; (y - y_hat)^2", values: [("x", 2), ("y", 4), ("w", 1)])
    #expect(e.names["y_hat"]?.item() == 2)
    #expect(e.names["loss"] === e.output)
    #expect(e.output.item() == 4)
  }

  @Test func parametersChooseWhatRequiresGrad() throws {
    let e = try ScalarExpression("x * w", values: [("x", 2), ("w", 3)], parameters: ["w"])
    #expect(e.names["w"]!.requiresGrad)
    #expect(!e.names["x"]!.requiresGrad)
    e.output.backward()
    #expect(e.names["w"]!.grad?.item() == 2)
  }

  @Test(
    arguments: [
      ("(y - x*w", 9, "expected ')'"), ("(y - q*w)^2", 6, "unknown name 'q'; known names: w, x, y"),
      ("x +", 4, "unexpected end"),
      ("x $ y", 3, "unexpected '$'"), ("a = 1; a = 2", 8, "'a' is already defined"),
      ("sqrt(x", 7, "expected ')' to close sqrt("),
      ("1.2.3", 1, "'1.2.3' is not a number"), ("x y", 3, "unexpected 'y'"),
    ] as [(String, Int, String)])
  func errorsPointAtTheColumn(source: String, column: Int, message: String) {
    #expect {
      _ = try ScalarExpression(source, values: [("x", 1), ("y", 2), ("w", 1)])
    } throws: { error in
      guard let error = error as? ExpressionError else { return false }
      return error.column == column && error.message.contains(message) && "\(error)".contains("\n  " + source)
    }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let source = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
    #expect(throws: ExpressionError.self) { try ScalarExpression(source, values: []) }
  }

  @Test func parsesAssignments() throws {
    let values = try ScalarExpression.parseAssignments("x=2, y = 4,w=-1.5")
    #expect(values.map(\.0) == ["x", "y", "w"])
    #expect(values.map(\.1) == [2, 4, -1.5])
  }

  @Test(
    arguments: [
      ("x=1,y", 5, "expected name=value"), ("x=one", 3, "'one' is not a number"), ("x=1,x=2", 5, "given twice"),
      ("1x=2", 1, "expected name=value"),
    ] as [(String, Int, String)])
  func badAssignmentsPointAtTheEntry(text: String, column: Int, message: String) {
    #expect {
      _ = try ScalarExpression.parseAssignments(text)
    } throws: { error in
      guard let error = error as? ExpressionError else { return false }
      return error.column == column && error.message.contains(message)
    }
  }

  @Test func explainingTheDefaultLectureModelGivesTheLecturesNumbers() throws {
    // x = 1, y = 2, w = 1: loss 1, d(loss)/d(y_hat) = -2 and d(loss)/dw = -2, the lecture's first `grad:` line.
    let e = try ScalarExpression("y_hat = x * w; loss = (y - y_hat)^2", values: [("x", 1), ("y", 2), ("w", 1)])
    let text = ComputationGraph(of: e.output, names: e.names).explanation()
    #expect(text.contains("loss = t1 ^ 2 = 1.0"))
    #expect(text.contains("d(loss)/d(y_hat) = -2.0"))
    #expect(text.contains("d(loss)/d(w) = -2.0"))
    var firstGradLine = ""
    SeedExercise.run(epochs: 1) { if firstGradLine.isEmpty { firstGradLine = $0 } }
    #expect(firstGradLine.hasSuffix(" -2.0"))
  }
}
