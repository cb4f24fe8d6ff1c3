import Foundation
import Testing

@testable import Autograd

/// The float32 exp, tanh, sigmoid and GELU loops in C (vecmath.c) against Float64 references.
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

  /// Φ(x) and φ(x) in Float64, from erfc (no cancellation in the negative tail).
  static func normalCDF(_ x: Double) -> Double { 0.5 * Foundation.erfc(-x / 2.0.squareRoot()) }
  static func normalPDF(_ x: Double) -> Double { Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot() }

  @Test func geluIsWithinAFewUlpsTailsIncluded() {
    // From where e^(-x²/2) leaves float32's normal numbers (x = -13, below which the values are
    // subnormal and carry fewer bits) to where gelu is x itself; the tail keeps its relative
    // precision, where 1 + erf would cancel (PyTorch's float32 gelu gives -0.0 below x = -5.5).
    for x in [Tensor.linspace(-13, 10, 100_003), Tensor.linspace(-3, 3, 20_001)] {
      let xs = x.scalars(as: Float.self)
      let y = x.gelu().scalars(as: Float.self)
      let errors = zip(xs, y).map { Self.ulps($1, Double($0) * Self.normalCDF(Double($0))) }
      let worst = errors.max()!
      let at = xs[errors.firstIndex(of: worst)!]
      #expect(worst <= 5, "gelu: \(worst) ulp at \(at)")
      // The derivative, Φ + x φ, crosses zero near x = -0.75, where its terms cancel: its error is
      // measured in units of the larger term's last place.
      let d = Kernels.map(x, Tensor.GeluDerivative()).scalars(as: Float.self)
      let derivativeErrors = zip(xs, d).map { input, value -> Double in
        let (cdf, density) = (Self.normalCDF(Double(input)), Double(input) * Self.normalPDF(Double(input)))
        let scale = Double(Float(Swift.max(Swift.abs(cdf), Swift.abs(density))).ulp)
        return Swift.abs(Double(value) - (cdf + density)) / scale
      }
      let worstDerivative = derivativeErrors.max()!
      let derivativeAt = xs[derivativeErrors.firstIndex(of: worstDerivative)!]
      #expect(worstDerivative <= 5, "gelu's derivative: \(worstDerivative) ulp at \(derivativeAt)")
    }
    // gelu(∞) = ∞; gelu(-∞) is ∞ · 0, NaN, as in PyTorch.
    #expect(
      Tensor([Float.nan, .infinity, -.infinity, 0]).gelu().scalars(as: Float.self).map(\.description) == [
        "nan", "inf", "nan", "0.0",
      ])
    #expect(
      Kernels.map(Tensor([Float.infinity, -.infinity, 20, -20]), Tensor.GeluDerivative()).scalars(as: Float.self) == [
        1, 0, 1, 0,
      ])
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
