import Autograd
import Foundation

/// Adam (Kingma and Ba, 2015), with PyTorch's rule and options: m ← β₁m + (1 - β₁)g,
/// v ← β₂v + (1 - β₂)g², p ← p - η m̂ / (√v̂ + ε) with bias-corrected m̂, v̂; AMSGrad uses the largest
/// v so far. Weight decay is added to the gradient (L2); `decoupled` makes it AdamW's p ← p(1 - ηλ).
public class Adam: Optimizer {
  public let beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, amsgrad: Bool
  let decoupled: Bool

  init(
    groups: [ParameterGroup], learningRate: Double, betas: (Double, Double), epsilon: Double, weightDecay: Double,
    amsgrad: Bool, decoupled: Bool
  ) {
    let name = decoupled ? "AdamW" : "Adam"
    Self.check((0..<1).contains(betas.0), "\(name): beta1 must be in [0, 1), got \(betas.0)")
    Self.check((0..<1).contains(betas.1), "\(name): beta2 must be in [0, 1), got \(betas.1)")
    Self.check(epsilon >= 0, "\(name): epsilon must be non-negative, got \(epsilon)")
    Self.check(weightDecay >= 0, "\(name): weight decay must be non-negative, got \(weightDecay)")
    (beta1, beta2, self.epsilon, self.weightDecay, self.amsgrad, self.decoupled) = (
      betas.0, betas.1, epsilon, weightDecay, amsgrad, decoupled
    )
    super.init(groups: groups, learningRate: learningRate)
  }

  public convenience init(
    groups: [ParameterGroup], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false
  ) {
    self.init(
      groups: groups, learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
      amsgrad: amsgrad, decoupled: false)
  }

  public convenience init(
    parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, betas: betas, epsilon: epsilon,
      weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false)
  }

  public override func update(_ p: Tensor, gradient: Tensor, learningRate: Double, state: inout [String: Tensor]) {
    let t = nextStep(&state)
    let correction1 = 1 - Foundation.pow(beta1, t)
    let correction2 = 1 - Foundation.pow(beta2, t)
    if !amsgrad {
      let m = state["exp_avg"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
      let v = state["exp_avg_sq"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
      state["exp_avg"] = m
      state["exp_avg_sq"] = v
      let constants = AdamStep(
        learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
        weightDecay: weightDecay, decoupled: decoupled, correction1: correction1,
        correction2: correction2)
      if Tensor.fusedAdamStep(parameter: p, gradient: gradient, expAvg: m, expAvgSq: v, constants) { return }
    }
    var g = gradient
    if weightDecay != 0 {
      if decoupled { p *= 1 - learningRate * weightDecay } else { g = g + weightDecay * p }
    }
    let m = state["exp_avg"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
    let v = state["exp_avg_sq"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    state["exp_avg"] = m
    state["exp_avg_sq"] = v
    var second = v
    if amsgrad {
      let maxV = state["max_exp_avg_sq"].map { $0.maximum(v) } ?? v * 1
      state["max_exp_avg_sq"] = maxV
      second = maxV
    }
    // Times the reciprocal rather than divided: one division per element fewer in the fused step.
    let denominator = second.sqrt() * (1 / correction2.squareRoot()) + epsilon
    p -= (learningRate / correction1) * m / denominator
  }
}

/// Adam with decoupled weight decay (Loshchilov and Hutter, 2019): p ← p(1 - ηλ) before the Adam step.
public final class AdamW: Adam {
  public convenience init(
    groups: [ParameterGroup], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    epsilon: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false
  ) {
    self.init(
      groups: groups, learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
      amsgrad: amsgrad, decoupled: true)
  }

  public convenience init(
    parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    epsilon: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, betas: betas, epsilon: epsilon,
      weightDecay: weightDecay, amsgrad: amsgrad)
  }
}
