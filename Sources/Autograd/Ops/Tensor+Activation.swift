import CAutogradKernels
import Foundation

/// The activation functions of neural networks. Most are compositions of other ops, so their
/// gradients (of any order) come from those ops; the rest have their derivative beside them, and
/// below it the function their kernel applies to every element.
extension Tensor {
  /// The element-wise max(x, 0). Backward: dx where x > 0, and 0 elsewhere, at 0 included (as PyTorch).
  public func relu() -> Tensor {
    unary(Relu(), "ReluBackward") { g, x in
      GradMode.isEnabled ? g * x.mask(.positive) : Kernels.zip(g, x, ReluGradient(), name: "ReluBackward")
    }
  }
  private struct Relu: CheapElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x > 0 ? x : (x.isNaN ? x : 0) }
  }
  /// g where x > 0, else 0, in one pass (a NaN gradient at x <= 0 gives 0, as PyTorch).
  private struct ReluGradient: ElementPairFunction {
    func callAsFunction<T: FloatingElement>(_ g: T, _ x: T) -> T { x > 0 ? g : 0 }
  }

  /// The element-wise logistic function 1 / (1 + e⁻ˣ). Backward: dσ = σ (1 - σ) dx.
  public func sigmoid() -> Tensor {
    unaryUsingOutput(
      Sigmoid(), "SigmoidBackward", differentiable: { $0.sigmoid() },
      derivative: { g, x, y in
        GradMode.isEnabled ? g * y * (1 - y) : Kernels.zip(g, y, SigmoidGradient(), name: "SigmoidBackward")
      })
  }
  private struct Sigmoid: ElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { 1 / (1 + .exp(-x)) }
    var elementsPerThread: Int { Threading.cheapElementsPerThread }  // float32 in a vectorized loop
    var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? { ag_sigmoid_f32 }
  }
  /// g y (1 - y) in one pass, from the gradient g and the output y.
  private struct SigmoidGradient: ElementPairFunction {
    func callAsFunction<T: FloatingElement>(_ g: T, _ y: T) -> T { g * y * (1 - y) }
  }

  /// log σ(x) = -softplus(-x), computed without overflow.
  public func logSigmoid() -> Tensor { -(-self).softplus() }

  /// min(max(x, 0), 6).
  public func relu6() -> Tensor { hardtanh(min: 0, max: 6) }

  /// x where x > 0, else `negativeSlope` x. Backward: 1 or `negativeSlope` (the slope at 0, as PyTorch).
  public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
    requireFloatingPoint("leakyRelu")
    let positive = mask(.positive)
    return self * (positive + negativeSlope * (1 - positive))
  }

  /// x where x > 0, else α (eˣ - 1). Backward: 1, or α eˣ.
  public func elu(alpha: Double = 1) -> Tensor {
    unary(Elu(alpha: alpha), "EluBackward", detail: "alpha: \(pythonRepr(alpha))") { g, x in
      let positive = x.mask(.positive)
      // exp of the clamped input: the unused branch must not overflow to inf (inf x 0 is NaN).
      return g * (positive + (1 - positive) * alpha * x.clamped(max: 0).exp())
    }
  }
  private struct Elu: ElementFunction {
    let alpha: Double
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x > 0 ? x : T(alpha) * .expMinusOne(x) }
  }

  /// Self-normalizing ELU: λ elu(x, α) with the constants of Klambauer et al. (2017).
  public func selu() -> Tensor {
    1.0507009873554804934193349852946 * elu(alpha: 1.6732632423543772848170429916717)
  }

  /// x where x > 0, else α (e^(x/α) - 1).
  public func celu(alpha: Double = 1) -> Tensor {
    trapUnless(alpha != 0, "celu: alpha must not be 0")
    return alpha * (self / alpha).elu()
  }

  /// The Gaussian error linear unit x Φ(x): exactly, or with PyTorch's tanh approximation.
  ///
  /// Backward (exact): Φ(x) + x φ(x). In float32 both run as vectorized C loops (vecmath.c), within
  /// 6 ulp (measured worst: 5.3 for gelu, 3.9 for its derivative). Φ is computed from erfc, so the
  /// negative tail keeps its precision down to x = -13: PyTorch's float32 gelu, from 1 + erf,
  /// returns -0.0 below about x = -5.5, where the true value is a tiny negative number.
  public func gelu(approximateTanh: Bool = false) -> Tensor {
    if approximateTanh {
      return unary(GeluTanh(), "GeluBackward", detail: "tanh") { g, x in
        let k = (2 / Double.pi).squareRoot()
        let t = (k * (x + 0.044715 * x.pow(3))).tanh()
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
      }
    }
    return unary(Gelu(), "GeluBackward") { g, x in
      guard GradMode.isEnabled else { return g * Kernels.map(x, GeluDerivative()) }
      // Recorded (gradients of gradients): the same derivative from differentiable ops.
      return g
        * (0.5 * (1 + (x * 0.5.squareRoot()).erf()) + x * (-0.5 * x * x).exp() * (0.5 * M_2_SQRTPI * 0.5.squareRoot()))
    }
  }
  /// x Φ(x).
  private struct Gelu: ElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x * normalCDF(x) }
    var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? { ag_gelu_f32 }
  }
  /// Φ(x) + x φ(x), gelu's derivative (not private: the vectorized math's tests measure its error).
  struct GeluDerivative: ElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T {
      normalCDF(x) + x * .exp(-x * x / 2) * (1 / T(2 * Double.pi).squareRoot())
    }
    var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? { ag_gelu_derivative_f32 }
  }
  /// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
  private struct GeluTanh: ElementFunction {
    func callAsFunction<T: FloatingElement>(_ x: T) -> T {
      0.5 * x * (1 + .tanh(T(2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
  }

  /// x σ(x), also called swish.
  public func silu() -> Tensor { self * sigmoid() }

  /// x tanh(softplus(x)).
  public func mish() -> Tensor { self * softplus().tanh() }

  /// log(1 + e^(βx)) / β, and x itself where βx > `threshold`. Backward: σ(βx), or 1 above the threshold.
  public func softplus(beta: Double = 1, threshold: Double = 20) -> Tensor {
    unary(Softplus(beta: beta, threshold: threshold), "SoftplusBackward") { g, x in
      let linear = (beta * x - threshold).mask(.positive)
      return g * (linear + (1 - linear) * (beta * x).sigmoid())
    }
  }
  private struct Softplus: ElementFunction {
    let beta: Double
    let threshold: Double
    func callAsFunction<T: FloatingElement>(_ x: T) -> T {
      let bx = T(beta) * x
      return bx > T(threshold) ? x : .log(onePlus: .exp(bx)) / T(beta)
    }
  }

  /// x / (1 + |x|).
  public func softsign() -> Tensor { self / (1 + abs()) }

  /// min(max(x, min), max). Backward: 1 strictly between the bounds, 0 elsewhere (as PyTorch).
  public func hardtanh(min: Double = -1, max: Double = 1) -> Tensor {
    trapUnless(min <= max, "hardtanh: min (\(min)) must not exceed max (\(max))")
    return unary(Clamp(min: min, max: max), "HardtanhBackward") { g, x in
      g * x.mask(.strictlyWithin(min: min, max: max))
    }
  }

  /// relu6(x + 3) / 6, a piecewise-linear sigmoid.
  public func hardsigmoid() -> Tensor { (self + 3).relu6() / 6 }

  /// x · relu6(x + 3) / 6.
  public func hardswish() -> Tensor { self * hardsigmoid() }
}

/// Φ(x) = ½ erfc(-x/√2), the standard normal distribution function (erfc keeps the negative
/// tail's precision, where 1 + erf(x/√2) cancels).
@inline(__always)
private func normalCDF<T: FloatingElement>(_ x: T) -> T { 0.5 * .erfc(-x / T(2).squareRoot()) }
