import Autograd
import Testing

/// Checks the first (and, unless turned off, second) derivatives of `f` against finite differences,
/// at seeded inputs of `shapes` uniform in `range`, recording a test issue with the worst element.
func checkBothOrders(
  _ shapes: [[Int]], in range: ClosedRange<Double> = -2...2, seed: UInt64,
  secondOrder: Bool = true, sourceLocation: SourceLocation = #_sourceLocation,
  _ f: @escaping ([Tensor]) -> Tensor
) {
  var g = RandomGenerator(seed: seed)
  let inputs = shapes.map {
    Tensor.rand($0, dtype: .float64, generator: &g) * (range.upperBound - range.lowerBound) + range.lowerBound
  }
  let first = gradCheckReport(inputs, f)
  #expect(first.passed, "first order: \(first)", sourceLocation: sourceLocation)
  if secondOrder {
    let second = gradGradCheckReport(inputs, f)
    #expect(second.passed, "second order: \(second)", sourceLocation: sourceLocation)
  }
}
