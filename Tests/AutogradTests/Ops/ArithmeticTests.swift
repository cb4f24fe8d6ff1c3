import Foundation
import Testing

@testable import Autograd

/// Arithmetic against central finite differences in Float64, on a scalar, a vector, a matrix,
/// and (for ops of two tensors) broadcast pairs of shapes.
private let shapes: [[Int]] = [[], [4], [3, 4]]

private let broadcastPairs: [([Int], [Int])] = [
  ([3, 4], [4]), ([3, 1], [1, 4]), ([], [2, 3]), ([2, 3, 4], [3, 1]),
]

@Suite("Gradients of negation, powers and casts") struct ArithmeticGradientTests {
  @Test(arguments: shapes) func neg(shape: [Int]) { check([shape]) { -$0[0] } }
  @Test(arguments: shapes) func powScalar(shape: [Int]) {
    check([shape]) { $0[0].pow(2) }
    check([shape], in: 0.2...3) { $0[0].pow(-1.5) }
    check([shape]) { $0[0].pow(3) }
  }

  @Test func castSendsTheGradientBackInTheSourceDType() {
    // Finite differences through float32 are too coarse at eps = 1e-6, so check by hand.
    let x = Tensor([1.5, -2], requiresGrad: true)
    let y = x.cast(to: .float64) * Tensor([3.0, 4.0], dtype: .float64)
    y.sum().backward()
    #expect(x.grad?.dtype == .float32)
    #expect(x.grad?.scalars(as: Float.self) == [3, 4])
    check([[3]]) { $0[0].cast(to: .float64) * 1 }
  }
}

@Suite("Gradients of binary ops") struct BinaryGradientTests {
  @Test(arguments: shapes) func sameShape(shape: [Int]) {
    check([shape, shape]) { $0[0] + $0[1] }
    check([shape, shape]) { $0[0] - $0[1] }
    check([shape, shape]) { $0[0] * $0[1] }
    check([shape, shape], in: 0.5...2) { $0[0] / $0[1] }
    check([shape, shape], in: 0.5...2) { $0[0].pow($0[1]) }
  }

  @Test(arguments: broadcastPairs) func broadcast(shapes: ([Int], [Int])) {
    for pair in [[shapes.0, shapes.1], [shapes.1, shapes.0]] {
      check(pair) { $0[0] + $0[1] }
      check(pair) { $0[0] - $0[1] }
      check(pair) { $0[0] * $0[1] }
      check(pair, in: 0.5...2) { $0[0] / $0[1] }
      check(pair, in: 0.5...2) { $0[0].pow($0[1]) }
    }
  }

  @Test(arguments: shapes) func scalarOperands(shape: [Int]) {
    check([shape]) { 3 - $0[0] * 2 + 1 }
    check([shape], in: 0.5...2) { 1 / $0[0] - $0[0] / 4 }
    check([shape]) { (0.5 + $0[0]) * (2.5 * $0[0] - 1.25) }
  }

  @Test func powOfZeroBaseHasFiniteExponentGradient() {
    let a = Tensor([0.0, 2.0], dtype: .float64)
    let b = Tensor([2.0, 3.0], dtype: .float64, requiresGrad: true)
    let g = grad(of: a.pow(b).sum(), withRespectTo: [b])[0]!.scalars(as: Double.self)
    #expect(g[0] == 0)
    #expect(Swift.abs(g[1] - 8 * Foundation.log(2.0)) < 1e-12)
  }
}
