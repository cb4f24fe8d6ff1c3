import Autograd

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay, by
/// PyTorch's rule: g ← g + λp; b ← μb + (1 - τ)g (b = g at the first step); g ← g + μb (Nesterov)
/// or b; p ← p - ηg.
public final class SGD: Optimizer {
  public let momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double

  public init(
    groups: [ParameterGroup], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
    nesterov: Bool = false, weightDecay: Double = 0
  ) {
    Self.check(momentum >= 0, "SGD: momentum must be non-negative, got \(momentum)")
    Self.check(weightDecay >= 0, "SGD: weight decay must be non-negative, got \(weightDecay)")
    Self.check(
      !nesterov || (momentum > 0 && dampening == 0),
      "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got \(momentum) and \(dampening)")
    (self.momentum, self.dampening, self.nesterov, self.weightDecay) = (momentum, dampening, nesterov, weightDecay)
    super.init(groups: groups, learningRate: learningRate)
  }

  public convenience init(
    parameters: [Tensor], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
    nesterov: Bool = false, weightDecay: Double = 0
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, momentum: momentum, dampening: dampening,
      nesterov: nesterov, weightDecay: weightDecay)
  }

  public override func update(_ p: Tensor, gradient: Tensor, learningRate: Double, state: inout [String: Tensor]) {
    var g = weightDecay != 0 ? gradient + weightDecay * p : gradient
    if momentum != 0 {
      let buffer: Tensor
      if let b = state["momentum"] {
        b *= momentum
        b += (1 - dampening) * g
        buffer = b
      } else {
        buffer = g.clone()
        state["momentum"] = buffer
      }
      g = nesterov ? g + momentum * buffer : buffer
    }
    p -= learningRate * g
  }
}
