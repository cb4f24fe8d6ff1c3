import Autograd
import Testing

/// The one gradient check of the op tests: the first (and, unless turned off, second) derivatives
/// of `f` at `inputs` against central finite differences in Float64, recording a test issue with
/// the worst element. `secondOrderOf` is what the second-order check differentiates (`f` itself
/// unless given: ops that are linear in their input, as indexing, have a zero second derivative, so
/// their checks square the result to have something to see). `label` names the case in messages.
func checkBothOrders(
  inputs: [Tensor], secondOrder: Bool = true, secondOrderOf: ((Tensor) -> Tensor)? = nil, label: String = "",
  sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor
) {
  let first = gradCheckReport(inputs, f)
  #expect(first.passed, "\(label) first order: \(first)", sourceLocation: sourceLocation)
  if secondOrder {
    let second = gradGradCheckReport(inputs, secondOrderOf.map { g in { g(f($0)) } } ?? f)
    #expect(second.passed, "\(label) second order: \(second)", sourceLocation: sourceLocation)
  }
}

/// `checkBothOrders` at seeded inputs of `shapes`, uniform in `range`.
func checkBothOrders(
  _ shapes: [[Int]], in range: ClosedRange<Double> = -2...2, seed: UInt64,
  secondOrder: Bool = true, secondOrderOf: ((Tensor) -> Tensor)? = nil,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor
) {
  var g = RandomGenerator(seed: seed)
  let inputs = shapes.map {
    Tensor.rand($0, dtype: .float64, generator: &g) * (range.upperBound - range.lowerBound) + range.lowerBound
  }
  checkBothOrders(
    inputs: inputs, secondOrder: secondOrder, secondOrderOf: secondOrderOf, sourceLocation: sourceLocation, f)
}

/// Values from the standard normal distribution in Float64, the same for the same seed.
func seededNormal(_ shape: [Int], seed: UInt64) -> Tensor {
  var g = RandomGenerator(seed: seed)
  return Tensor.randn(shape, dtype: .float64, generator: &g)
}

/// Whether `a` and `b` have one shape and agree element by element within `tolerance`, relative
/// to the larger of 1 and the expected value `b`.
func isClose(_ a: Tensor, _ b: Tensor, _ tolerance: Double = 1e-10) -> Bool {
  a.shape == b.shape
    && zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).allSatisfy {
      Swift.abs($0 - $1) <= tolerance * Swift.max(1, Swift.abs($1))
    }
}

/// `checkBothOrders` at inputs from seed 1 unless given: the inputs the arithmetic, shape,
/// indexing, product and reduction tests were written against.
func check(
  _ shapes: [[Int]], in range: ClosedRange<Double> = -2...2, seed: UInt64 = 1,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor
) {
  checkBothOrders(shapes, in: range, seed: seed, sourceLocation: sourceLocation, f)
}

/// `checkBothOrders` for ops that are linear in their input (gathers, layouts): inputs from seed
/// 6, and the second-order check squares the result, since their own second derivative is zero.
func checkLinearOp(
  _ shapes: [[Int]], secondOrder: Bool = true, sourceLocation: SourceLocation = #_sourceLocation,
  _ f: @escaping ([Tensor]) -> Tensor
) {
  checkBothOrders(
    shapes, seed: 6, secondOrder: secondOrder, secondOrderOf: { $0.pow(2) }, sourceLocation: sourceLocation, f)
}

/// A 3 x 4 matrix of 0...11 in float64, row by row.
var m34: Tensor { Tensor.arange(0, 12, dtype: .float64).reshaped(to: [3, 4]) }
