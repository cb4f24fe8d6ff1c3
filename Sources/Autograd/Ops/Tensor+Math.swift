import CAutogradKernels
import Foundation

/// The element-wise functions of mathematics. Each op is one row: its public method with its
/// backward rule, and below it the function its kernel applies to every element.
extension Tensor {
  /// The element-wise exponential. Backward: d(eˣ) = eˣ dx.
  public func exp() -> Tensor {
    unaryUsingOutput(Exp(), "ExpBackward", differentiable: { $0.exp() }, derivative: { g, x, y in g * y })
  }
  private struct Exp: ElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { .exp(x) }
    var elementsPerThread: Int { Threading.cheapElementsPerThread }  // float32 in a vectorized loop
    var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? { ag_exp_f32 }
  }

  /// 2ˣ. Backward: 2ˣ ln 2.
  public func exp2() -> Tensor {
    unaryUsingOutput(Exp2(), "Exp2Backward", differentiable: { $0.exp2() }, derivative: { g, _, y in g * y * M_LN2 })
  }
  private struct Exp2: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .exp2(x) } }

  /// eˣ - 1, accurate near 0. Backward: eˣ.
  public func expm1() -> Tensor { unary(Expm1(), "Expm1Backward") { g, x in g * x.exp() } }
  private struct Expm1: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .expMinusOne(x) } }

  /// The element-wise natural logarithm. Backward: d(log x) = dx / x.
  public func log() -> Tensor { unary(Log(), "LogBackward") { g, x in g / x } }
  private struct Log: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .log(x) } }

  /// log₂ x. Backward: 1 / (x ln 2).
  public func log2() -> Tensor { unary(Log2(), "Log2Backward") { g, x in g / (x * M_LN2) } }
  private struct Log2: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .log2(x) } }

  /// log₁₀ x. Backward: 1 / (x ln 10).
  public func log10() -> Tensor { unary(Log10(), "Log10Backward") { g, x in g / (x * M_LN10) } }
  private struct Log10: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .log10(x) } }

  /// ln(1 + x), accurate near 0. Backward: 1 / (1 + x).
  public func log1p() -> Tensor { unary(Log1p(), "Log1pBackward") { g, x in g / (1 + x) } }
  private struct Log1p: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .log(onePlus: x) } }

  /// The element-wise square root. Backward: d(√x) = dx / (2√x).
  public func sqrt() -> Tensor {
    unaryUsingOutput(Sqrt(), "SqrtBackward", differentiable: { $0.sqrt() }, derivative: { g, x, y in g / (2 * y) })
  }
  private struct Sqrt: CheapElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { x.squareRoot() } }

  /// 1 / √x. Backward: -½ x^(-3/2) = -½ y³.
  public func rsqrt() -> Tensor {
    unaryUsingOutput(
      Rsqrt(), "RsqrtBackward", differentiable: { $0.rsqrt() }, derivative: { g, _, y in -0.5 * g * y * y * y })
  }
  private struct Rsqrt: CheapElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { 1 / x.squareRoot() }
  }

  /// x². Backward: 2x.
  public func square() -> Tensor { dtype == .int64 ? self * self : pow(2) }

  /// 1 / x. Backward: -1 / x² = -y².
  public func reciprocal() -> Tensor {
    unaryUsingOutput(
      Reciprocal(), "ReciprocalBackward", differentiable: { $0.reciprocal() }, derivative: { g, _, y in -g * y * y })
  }
  private struct Reciprocal: CheapElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { 1 / x } }

  /// The element-wise absolute value. Backward: d|x| = sign(x) dx, with 0 at x = 0 as in PyTorch.
  public func abs() -> Tensor {
    if dtype == .int64 { return maximum(-self) }
    return unary(Abs(), "AbsBackward") { g, x in g * x.mask(.sign) }
  }
  private struct Abs: CheapElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { Swift.abs(x) } }

  /// The sign, -1, 0 or 1 (NaN stays NaN). Its gradient is zero.
  public func sign() -> Tensor {
    if dtype == .int64 { return (self .> 0).cast(to: .int64) - (self .< 0).cast(to: .int64) }
    return piecewiseConstant(.sign, "SignBackward")
  }

  /// sin x. Backward: cos x.
  public func sin() -> Tensor { unary(Sin(), "SinBackward") { g, x in g * x.cos() } }
  private struct Sin: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .sin(x) } }

  /// cos x. Backward: -sin x.
  public func cos() -> Tensor { unary(Cos(), "CosBackward") { g, x in -g * x.sin() } }
  private struct Cos: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .cos(x) } }

  /// tan x. Backward: 1 + tan² x.
  public func tan() -> Tensor {
    unaryUsingOutput(Tan(), "TanBackward", differentiable: { $0.tan() }, derivative: { g, _, y in g * (1 + y * y) })
  }
  private struct Tan: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .tan(x) } }

  /// arcsin x. Backward: 1 / √(1 - x²).
  public func asin() -> Tensor { unary(Asin(), "AsinBackward") { g, x in g * (1 - x * x).rsqrt() } }
  private struct Asin: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .asin(x) } }

  /// arccos x. Backward: -1 / √(1 - x²).
  public func acos() -> Tensor { unary(Acos(), "AcosBackward") { g, x in -g * (1 - x * x).rsqrt() } }
  private struct Acos: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .acos(x) } }

  /// arctan x. Backward: 1 / (1 + x²).
  public func atan() -> Tensor { unary(Atan(), "AtanBackward") { g, x in g / (1 + x * x) } }
  private struct Atan: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .atan(x) } }

  /// sinh x. Backward: cosh x.
  public func sinh() -> Tensor { unary(Sinh(), "SinhBackward") { g, x in g * x.cosh() } }
  private struct Sinh: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .sinh(x) } }

  /// cosh x. Backward: sinh x.
  public func cosh() -> Tensor { unary(Cosh(), "CoshBackward") { g, x in g * x.sinh() } }
  private struct Cosh: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .cosh(x) } }

  /// The element-wise hyperbolic tangent. Backward: d(tanh x) = (1 - tanh² x) dx.
  public func tanh() -> Tensor {
    unaryUsingOutput(
      Tanh(), "TanhBackward", differentiable: { $0.tanh() },
      derivative: { g, x, y in
        GradMode.isEnabled ? g * (1 - y * y) : Kernels.zip(g, y, TanhGradient(), name: "TanhBackward")
      })
  }
  private struct Tanh: ElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { .tanh(x) }
    var elementsPerThread: Int { Threading.cheapElementsPerThread }  // float32 in a vectorized loop
    var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? { ag_tanh_f32 }
  }
  /// g (1 - y²) in one pass, from the gradient g and the output y.
  private struct TanhGradient: ElementPairFunction {
    func callAsFunction<T: FloatingElement>(_ g: T, _ y: T) -> T { g * (1 - y * y) }
  }

  /// arsinh x. Backward: 1 / √(x² + 1).
  public func asinh() -> Tensor { unary(Asinh(), "AsinhBackward") { g, x in g * (x * x + 1).rsqrt() } }
  private struct Asinh: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .asinh(x) } }

  /// arcosh x. Backward: 1 / √(x² - 1).
  public func acosh() -> Tensor { unary(Acosh(), "AcoshBackward") { g, x in g * (x * x - 1).rsqrt() } }
  private struct Acosh: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .acosh(x) } }

  /// artanh x. Backward: 1 / (1 - x²).
  public func atanh() -> Tensor { unary(Atanh(), "AtanhBackward") { g, x in g / (1 - x * x) } }
  private struct Atanh: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .atanh(x) } }

  /// The error function. Backward: (2 / √π) e^(-x²).
  public func erf() -> Tensor { unary(Erf(), "ErfBackward") { g, x in g * M_2_SQRTPI * (-(x * x)).exp() } }
  private struct Erf: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .erf(x) } }

  /// 1 - erf x. Backward: -(2 / √π) e^(-x²).
  public func erfc() -> Tensor { unary(Erfc(), "ErfcBackward") { g, x in -g * M_2_SQRTPI * (-(x * x)).exp() } }
  private struct Erfc: ElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { .erfc(x) } }

  /// The largest whole number not above x. Its gradient is zero.
  public func floor() -> Tensor { dtype == .int64 ? self : piecewiseConstant(Floor(), "FloorBackward") }
  private struct Floor: CheapElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x.rounded(.down) }
  }

  /// The smallest whole number not below x. Its gradient is zero.
  public func ceil() -> Tensor { dtype == .int64 ? self : piecewiseConstant(Ceil(), "CeilBackward") }
  private struct Ceil: CheapElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { x.rounded(.up) } }

  /// The nearest whole number, halves to even (as torch.round). Its gradient is zero.
  public func round() -> Tensor { dtype == .int64 ? self : piecewiseConstant(Round(), "RoundBackward") }
  private struct Round: CheapElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x.rounded(.toNearestOrEven) }
  }

  /// x without its fraction (toward zero). Its gradient is zero.
  public func trunc() -> Tensor { dtype == .int64 ? self : piecewiseConstant(Trunc(), "TruncBackward") }
  private struct Trunc: CheapElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x.rounded(.towardZero) }
  }

  /// Limits each element to `[min, max]` (either bound may be omitted); NaN stays NaN.
  ///
  /// Backward: dx where `min < x < max`, 0 elsewhere, at the bounds too, as PyTorch 2.15 (its
  /// rule had been `min <= x <= max` before).
  public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
    requireFloatingPoint("clamp")
    trapUnless(min != nil || max != nil, "clamp: give at least one of min and max")
    let detail = [min.map { "min: \(pythonRepr($0))" }, max.map { "max: \(pythonRepr($0))" }].compactMap { $0 }
    return unary(Clamp(min: min, max: max), "ClampBackward", detail: detail.joined(separator: ", ")) { g, x in
      g * x.mask(.strictlyWithin(min: min, max: max))
    }
  }
}

/// min(max(x, min), max), a missing bound not limiting; NaN stays NaN, as in PyTorch. Also the
/// kernel of `hardtanh` and of the in-place `clamp`.
struct Clamp: CheapElementFunction {
  let min: Double?
  let max: Double?
  func callAsFunction<T: FloatingElement>(_ x: T) -> T {
    x.isNaN ? x : Swift.min(Swift.max(x, T(min ?? -.infinity)), T(max ?? .infinity))
  }
}
