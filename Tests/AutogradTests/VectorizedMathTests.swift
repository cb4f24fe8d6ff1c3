import Foundation
import Testing

@testable import Autograd

/// The float32 exp, tanh and sigmoid loops in C (vecmath.c) against Float64 references.
@Suite struct VectorizedMathTests {
  /// Distance from the correctly rounded float32 result, in units of its last place.
  static func ulps(_ value: Float, _ reference: Double) -> Double {
    let rounded = Float(reference)
    if rounded.isInfinite || rounded == 0 { return value == rounded ? 0 : .infinity }
    return Swift.abs(Double(value) - reference) / Double(rounded.magnitude.ulp)
  }

  static let functions: [(name: String, op: @Sendable (Tensor) -> Tensor, reference: @Sendable (Double) -> Double)] = [
    ("exp", { $0.exp() }, { Foundation.exp($0) }),
    ("tanh", { $0.tanh() }, { Foundation.tanh($0) }),
    ("sigmoid", { $0.sigmoid() }, { 1 / (1 + Foundation.exp(-$0)) }),
  ]

  @Test func withinTwoUlpsOverTheWholeRange() {
    // 100,003 points: not a multiple of 8, so the vector loop's tail runs too.
    let wide = Tensor.linspace(-87, 88, 100_003)
    let narrow = Tensor.linspace(-3, 3, 20_001)
    for (name, op, reference) in Self.functions {
      for x in [wide, narrow] {
        let y = op(x).scalars(as: Float.self)
        let xs = x.scalars(as: Float.self)
        let worst = zip(xs, y).map { Self.ulps($1, reference(Double($0))) }.max()!
        #expect(worst <= 2.5, "\(name): \(worst) ulp")
      }
    }
  }

  @Test func specialValuesAndTheEdgesOfTheRange() {
    // Subnormal results (exp(-100)), overflow (exp(100)), underflow (exp(-104)) and values near 0.
    let inputs: [Double] = [.infinity, -.infinity, 0, -1e-30, 1e-7, 100, -100, -104, -95, 88.7, -88.7]
    let x = Tensor(inputs)
    for (name, op, reference) in Self.functions {
      let y = op(x).scalars(as: Float.self)
      for (input, value) in zip(inputs, y) {
        #expect(Self.ulps(value, reference(Double(Float(input)))) <= 2, "\(name)(\(input)) = \(value)")
      }
      #expect(op(Tensor([.nan])).item().isNaN, "\(name)(nan)")
    }
  }

  @Test func stridedAndShortInputsTakeTheSameValues() {
    let x = Tensor.linspace(-5, 5, 30).reshaped(to: [5, 6])
    let columnMajor = x.transposed(0, 1)
    for (name, op, _) in Self.functions {
      let viaView = op(columnMajor).scalars(as: Float.self)
      let viaCopy = op(columnMajor.contiguous()).scalars(as: Float.self)
      #expect(viaView == viaCopy, "\(name)")
      #expect(op(x[0..<1, 0..<3]).scalars(as: Float.self) == Array(op(x).scalars(as: Float.self)[0..<3]), "\(name)")
    }
  }
}
