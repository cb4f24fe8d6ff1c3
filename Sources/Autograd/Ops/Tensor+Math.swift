import Foundation

/// The element-wise functions of mathematics, each with its derivative below it.
extension Tensor {
  /// 2ˣ. Backward: 2ˣ ln 2.
  public func exp2() -> Tensor {
    unaryUsingOutput(.exp2, "Exp2Backward", differentiable: { $0.exp2() }, derivative: { g, _, y in g * y * M_LN2 })
  }
  /// eˣ - 1, accurate near 0. Backward: eˣ.
  public func expm1() -> Tensor { unary(.expm1, "Expm1Backward") { g, x in g * x.exp() } }
  /// log₂ x. Backward: 1 / (x ln 2).
  public func log2() -> Tensor { unary(.log2, "Log2Backward") { g, x in g / (x * M_LN2) } }
  /// log₁₀ x. Backward: 1 / (x ln 10).
  public func log10() -> Tensor { unary(.log10, "Log10Backward") { g, x in g / (x * M_LN10) } }
  /// ln(1 + x), accurate near 0. Backward: 1 / (1 + x).
  public func log1p() -> Tensor { unary(.log1p, "Log1pBackward") { g, x in g / (1 + x) } }
  /// 1 / √x. Backward: -½ x^(-3/2) = -½ y³.
  public func rsqrt() -> Tensor {
    unaryUsingOutput(
      .rsqrt, "RsqrtBackward", differentiable: { $0.rsqrt() }, derivative: { g, _, y in -0.5 * g * y * y * y })
  }
  /// x². Backward: 2x.
  public func square() -> Tensor { dtype == .int64 ? self * self : pow(2) }
  /// 1 / x. Backward: -1 / x² = -y².
  public func reciprocal() -> Tensor {
    unaryUsingOutput(
      .reciprocal, "ReciprocalBackward", differentiable: { $0.reciprocal() }, derivative: { g, _, y in -g * y * y })
  }
  /// The sign, -1, 0 or 1 (NaN stays NaN). Its gradient is zero.
  public func sign() -> Tensor {
    if dtype == .int64 { return (self .> 0).cast(to: .int64) - (self .< 0).cast(to: .int64) }
    return piecewiseConstant(.sign, "SignBackward")
  }

  /// sin x. Backward: cos x.
  public func sin() -> Tensor { unary(.sin, "SinBackward") { g, x in g * x.cos() } }
  /// cos x. Backward: -sin x.
  public func cos() -> Tensor { unary(.cos, "CosBackward") { g, x in -g * x.sin() } }
  /// tan x. Backward: 1 + tan² x.
  public func tan() -> Tensor {
    unaryUsingOutput(.tan, "TanBackward", differentiable: { $0.tan() }, derivative: { g, _, y in g * (1 + y * y) })
  }
  /// arcsin x. Backward: 1 / √(1 - x²).
  public func asin() -> Tensor { unary(.asin, "AsinBackward") { g, x in g * (1 - x * x).rsqrt() } }
  /// arccos x. Backward: -1 / √(1 - x²).
  public func acos() -> Tensor { unary(.acos, "AcosBackward") { g, x in -g * (1 - x * x).rsqrt() } }
  /// arctan x. Backward: 1 / (1 + x²).
  public func atan() -> Tensor { unary(.atan, "AtanBackward") { g, x in g / (1 + x * x) } }
  /// sinh x. Backward: cosh x.
  public func sinh() -> Tensor { unary(.sinh, "SinhBackward") { g, x in g * x.cosh() } }
  /// cosh x. Backward: sinh x.
  public func cosh() -> Tensor { unary(.cosh, "CoshBackward") { g, x in g * x.sinh() } }
  /// arsinh x. Backward: 1 / √(x² + 1).
  public func asinh() -> Tensor { unary(.asinh, "AsinhBackward") { g, x in g * (x * x + 1).rsqrt() } }
  /// arcosh x. Backward: 1 / √(x² - 1).
  public func acosh() -> Tensor { unary(.acosh, "AcoshBackward") { g, x in g * (x * x - 1).rsqrt() } }
  /// artanh x. Backward: 1 / (1 - x²).
  public func atanh() -> Tensor { unary(.atanh, "AtanhBackward") { g, x in g / (1 - x * x) } }
  /// The error function. Backward: (2 / √π) e^(-x²).
  public func erf() -> Tensor { unary(.erf, "ErfBackward") { g, x in g * M_2_SQRTPI * (-(x * x)).exp() } }
  /// 1 - erf x. Backward: -(2 / √π) e^(-x²).
  public func erfc() -> Tensor { unary(.erfc, "ErfcBackward") { g, x in -g * M_2_SQRTPI * (-(x * x)).exp() } }

  /// The largest whole number not above x. Its gradient is zero.
  public func floor() -> Tensor { piecewiseConstant(.floor, "FloorBackward") }
  /// The smallest whole number not below x. Its gradient is zero.
  public func ceil() -> Tensor { piecewiseConstant(.ceil, "CeilBackward") }
  /// The nearest whole number, halves to even (as torch.round). Its gradient is zero.
  public func round() -> Tensor { piecewiseConstant(.round, "RoundBackward") }
  /// x without its fraction (toward zero). Its gradient is zero.
  public func trunc() -> Tensor { piecewiseConstant(.trunc, "TruncBackward") }

  /// An op that is flat almost everywhere: recorded so that gradients flow (as zeros), like PyTorch.
  private func piecewiseConstant(_ op: UnaryOp, _ name: StaticString) -> Tensor {
    if dtype == .int64 && op != .sign { return self }
    requireFloatingPoint(name)
    return Kernels.map(self, op).recorded(name, inputs: TensorList(self)) { g, _, _ in GradientList(g * 0) }
  }
}
