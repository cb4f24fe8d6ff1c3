import Autograd
import Testing

@Suite("Python float formatting") struct PythonFloatTests {
  @Test(
    arguments: [
      (1.0, "1.0"), (-2.0, "-2.0"), (0.0, "0.0"), (-0.0, "-0.0"), (0.1, "0.1"), (29428664.0, "29428664.0"),
      (Double(Float(-7.84)), "-7.840000152587891"), (9.094947017729282e-13, "9.094947017729282e-13"),
      (1e16, "1e+16"), (1.5e16, "1.5e+16"), (1234567890123456.0, "1234567890123456.0"), (0.0001, "0.0001"),
      (0.00001, "1e-05"), (3.01021082123043e-05, "3.01021082123043e-05"), (123.456, "123.456"),
      (1e300, "1e+300"), (Double.leastNonzeroMagnitude, "5e-324"), (.infinity, "inf"), (-.infinity, "-inf"),
      (.nan, "nan"),
    ] as [(Double, String)])
  func matchesPythonRepr(value: Double, expected: String) {
    #expect(pythonRepr(value) == expected)
  }
}
