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

private struct Negated: CheapElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { -x } }

@Suite("Ops of one-element tensors") struct SingleElementArithmeticTests {
  // Pairs that reach each op's special cases: an integer power of a negative base, a NaN power,
  // NaN operands, remainders of either sign, signed zeros, division by zero, infinity.
  private static let pairs: [(Double, Double)] = [
    (2.5, -1.5), (-8, 3), (-8, 0.5), (.nan, 1), (1, .nan), (5.5, -2), (-5.5, 2), (-0.0, 0.0), (0, -0.0),
    (1, 0), (.infinity, -3),
  ]
  private static let ops: [(String, @Sendable (Tensor, Tensor) -> Tensor)] = [
    ("add", { $0 + $1 }), ("sub", { $0 - $1 }), ("mul", { $0 * $1 }), ("div", { $0 / $1 }),
    ("pow", { $0.pow($1) }), ("maximum", { $0.maximum($1) }), ("minimum", { $0.minimum($1) }),
    ("atan2", { $0.atan2($1) }), ("remainder", { $0.remainder($1) }), ("fmod", { $0.fmod($1) }),
  ]

  /// Two one-element tensors of one shape take their own path in `Kernels.zip`; every op there
  /// must give the loop's bits, for scalars, `[1, 1]` tensors and one-element views at an offset.
  @Test(arguments: [DType.float32, .float64]) func giveTheLoopsValues(dtype: DType) {
    let xs = Tensor(Self.pairs.map(\.0), dtype: dtype)
    let ys = Tensor(Self.pairs.map(\.1), dtype: dtype)
    for (name, op) in Self.ops {
      let loop = op(xs, ys).scalars(as: Double.self)
      for (i, (x, y)) in Self.pairs.enumerated() {
        let forms = [
          op(Tensor(x, dtype: dtype), Tensor(y, dtype: dtype)),
          op(Tensor([x], shape: [1, 1], dtype: dtype), Tensor([y], shape: [1, 1], dtype: dtype)),
          op(xs[i], ys[i]),
        ]
        for single in forms {
          let value = single.item()
          let same = value.isNaN ? loop[i].isNaN : value.bitPattern == loop[i].bitPattern
          #expect(same, "\(name)(\(x), \(y)) in \(dtype), shape \(single.shape): \(value), the loop \(loop[i])")
        }
      }
    }
  }

  /// `Kernels.map` and `Kernels.mapInPlace` (a backward rule's own gradient) skip the thread
  /// split for one element. Float64 only for the functions float32 computes in a vectorized C loop,
  /// whose last elements may round otherwise than its first.
  @Test(arguments: [DType.float32, .float64]) func functionsOfOneElementGiveTheLoopsValues(dtype: DType) {
    var functions: [(String, (Tensor) -> Tensor)] = [
      ("x * 2.5", { $0 * 2.5 }), ("3 - x", { 3 - $0 }), ("x / 3", { $0 / 3 }),
    ]
    if dtype == .float64 {
      functions += [
        ("exp", { $0.exp() }), ("log", { $0.log() }), ("tanh", { $0.tanh() }), ("sigmoid", { $0.sigmoid() }),
      ]
    }
    let values = Self.pairs.map(\.0)
    let xs = Tensor(values, dtype: dtype)
    for (name, f) in functions {
      let loop = f(xs).scalars(as: Double.self)
      for (i, x) in values.enumerated() {
        for single in [f(Tensor(x, dtype: dtype)), f(Tensor([x], shape: [1, 1], dtype: dtype)), f(xs[i])] {
          let value = single.item()
          let same = value.isNaN ? loop[i].isNaN : value.bitPattern == loop[i].bitPattern
          #expect(same, "\(name) of \(x) in \(dtype), shape \(single.shape): \(value), the loop \(loop[i])")
        }
      }
    }
    // In place, as the rule of `c * x` does with a gradient it owns.
    let grads = Tensor(values, dtype: dtype)
    _ = Kernels.mapInPlace(grads, Negated())
    for (i, x) in values.enumerated() {
      let single = Tensor([x], shape: [1], dtype: dtype)
      _ = Kernels.mapInPlace(single, Negated())
      #expect(single.item().bitPattern == grads[i].item().bitPattern || x.isNaN)
    }
  }

  /// `Kernels.zipInPlace` has the same one-element path (a leaf's gradient accumulated, an
  /// optimizer's update of a scalar parameter).
  @Test(arguments: [DType.float32, .float64]) func inPlaceGiveTheLoopsValues(dtype: DType) {
    let ops: [BinaryOp] = [.add, .sub, .mul, .div, .pow, .maximum, .minimum, .atan2, .remainder, .fmod]
    let ys = Tensor(Self.pairs.map(\.1), dtype: dtype)
    for op in ops {
      let loop = Tensor(Self.pairs.map(\.0), dtype: dtype)
      Kernels.zipInPlace(loop, ys, op)
      let expected = loop.scalars(as: Double.self)
      for (i, (x, y)) in Self.pairs.enumerated() {
        for shape in [[], [1], [1, 1]] {
          let single = Tensor([x], shape: shape, dtype: dtype)
          Kernels.zipInPlace(single, Tensor([y], shape: shape, dtype: dtype), op)
          let value = single.item()
          let same = value.isNaN ? expected[i].isNaN : value.bitPattern == expected[i].bitPattern
          #expect(same, "\(op)(\(x), \(y)) in place in \(dtype), shape \(shape): \(value), the loop \(expected[i])")
        }
      }
    }
  }
}
