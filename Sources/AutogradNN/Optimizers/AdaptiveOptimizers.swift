import Autograd

/// RMSprop by PyTorch's rule: v ← αv + (1 - α)g²; with `centered`, v is reduced by the squared
/// running mean of g; the step is g / (√v + ε), through a momentum buffer when momentum > 0.
public final class RMSprop: Optimizer {
  public let alpha: Double, epsilon: Double, weightDecay: Double, momentum: Double, centered: Bool

  public convenience init(
    parameters: [Tensor], learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
    weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, alpha: alpha, epsilon: epsilon,
      weightDecay: weightDecay, momentum: momentum, centered: centered)
  }

  public init(
    groups: [ParameterGroup], learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
    weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
  ) {
    Self.check(alpha >= 0, "RMSprop: alpha must be non-negative, got \(alpha)")
    Self.check(epsilon >= 0, "RMSprop: epsilon must be non-negative, got \(epsilon)")
    Self.check(momentum >= 0, "RMSprop: momentum must be non-negative, got \(momentum)")
    Self.check(weightDecay >= 0, "RMSprop: weight decay must be non-negative, got \(weightDecay)")
    (self.alpha, self.epsilon, self.weightDecay, self.momentum, self.centered) = (
      alpha, epsilon, weightDecay, momentum, centered
    )
    super.init(groups: groups, learningRate: learningRate)
  }

  public override func update(_ p: Tensor, gradient: Tensor, learningRate: Double, state: inout [String: Tensor]) {
    let g = weightDecay != 0 ? gradient + weightDecay * p : gradient
    let v = state["square_avg"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
    v *= alpha
    v += (1 - alpha) * g * g
    state["square_avg"] = v
    var average = v
    if centered {
      let mean = state["grad_avg"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
      mean *= alpha
      mean += (1 - alpha) * g
      state["grad_avg"] = mean
      average = v - mean * mean
    }
    let denominator = average.sqrt() + epsilon
    if momentum > 0 {
      let buffer = state["momentum_buffer"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
      buffer *= momentum
      buffer += g / denominator
      state["momentum_buffer"] = buffer
      p -= learningRate * buffer
    } else {
      // (-η g) / d, rounded as PyTorch's addcdiv rounds it: the fit of its tutorial oscillates
      // near the optimum, where one ulp's difference a step grows to percents.
      p += (-learningRate * g) / denominator
    }
  }
}

/// Adagrad by PyTorch's rule: s ← s + g²; p ← p - η/(1 + (t - 1)·decay) · g / (√s + ε).
public final class Adagrad: Optimizer {
  public let learningRateDecay: Double, weightDecay: Double, initialAccumulatorValue: Double, epsilon: Double

  public convenience init(
    parameters: [Tensor], learningRate: Double = 1e-2, learningRateDecay: Double = 0, weightDecay: Double = 0,
    initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, learningRateDecay: learningRateDecay,
      weightDecay: weightDecay, initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon)
  }

  public init(
    groups: [ParameterGroup], learningRate: Double = 1e-2, learningRateDecay: Double = 0, weightDecay: Double = 0,
    initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10
  ) {
    Self.check(learningRateDecay >= 0, "Adagrad: learning-rate decay must be non-negative, got \(learningRateDecay)")
    Self.check(weightDecay >= 0, "Adagrad: weight decay must be non-negative, got \(weightDecay)")
    Self.check(
      initialAccumulatorValue >= 0,
      "Adagrad: initial accumulator value must be non-negative, got \(initialAccumulatorValue)")
    Self.check(epsilon >= 0, "Adagrad: epsilon must be non-negative, got \(epsilon)")
    (self.learningRateDecay, self.weightDecay, self.initialAccumulatorValue, self.epsilon) = (
      learningRateDecay, weightDecay, initialAccumulatorValue, epsilon
    )
    super.init(groups: groups, learningRate: learningRate)
  }

  public override func update(_ p: Tensor, gradient: Tensor, learningRate: Double, state: inout [String: Tensor]) {
    let t = nextStep(&state)
    let g = weightDecay != 0 ? gradient + weightDecay * p : gradient
    let sum = state["sum"] ?? Tensor.full(p.shape, value: initialAccumulatorValue, dtype: p.dtype)
    sum += g * g
    state["sum"] = sum
    p -= (learningRate / (1 + (t - 1) * learningRateDecay)) * g / (sum.sqrt() + epsilon)
  }
}

/// Adadelta (Zeiler, 2012) by PyTorch's rule: v ← ρv + (1 - ρ)g²; Δ = √(u + ε)/√(v + ε) · g;
/// u ← ρu + (1 - ρ)Δ²; p ← p - ηΔ.
public final class Adadelta: Optimizer {
  public let rho: Double, epsilon: Double, weightDecay: Double

  public convenience init(
    parameters: [Tensor], learningRate: Double = 1, rho: Double = 0.9, epsilon: Double = 1e-6, weightDecay: Double = 0
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, rho: rho, epsilon: epsilon,
      weightDecay: weightDecay)
  }

  public init(
    groups: [ParameterGroup], learningRate: Double = 1, rho: Double = 0.9, epsilon: Double = 1e-6,
    weightDecay: Double = 0
  ) {
    Self.check(rho >= 0 && rho <= 1, "Adadelta: rho must be in [0, 1], got \(rho)")
    Self.check(epsilon >= 0, "Adadelta: epsilon must be non-negative, got \(epsilon)")
    Self.check(weightDecay >= 0, "Adadelta: weight decay must be non-negative, got \(weightDecay)")
    (self.rho, self.epsilon, self.weightDecay) = (rho, epsilon, weightDecay)
    super.init(groups: groups, learningRate: learningRate)
  }

  public override func update(_ p: Tensor, gradient: Tensor, learningRate: Double, state: inout [String: Tensor]) {
    let g = weightDecay != 0 ? gradient + weightDecay * p : gradient
    let v = state["square_avg"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
    let u = state["acc_delta"] ?? Tensor.zeros(p.shape, dtype: p.dtype)
    v *= rho
    v += (1 - rho) * g * g
    let delta = (u + epsilon).sqrt() / (v + epsilon).sqrt() * g
    u *= rho
    u += (1 - rho) * delta * delta
    state["square_avg"] = v
    state["acc_delta"] = u
    p -= learningRate * delta
  }
}
