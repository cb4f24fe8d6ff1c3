import Autograd

/// A loss as a module: `loss(input, target)`.
open class Loss: Module {
  public let reduction: LossReduction
  public init(reduction: LossReduction = .mean) { self.reduction = reduction }
  open func compute(_ input: Tensor, _ target: Tensor) -> Tensor {
    trap("\(type(of: self)): compute is not implemented")
  }
  public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { grouped { compute(input, target) } }
}

public final class MSELoss: Loss {
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor { mseLoss(i, t, reduction: reduction) }
}

public final class L1Loss: Loss {
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor { l1Loss(i, t, reduction: reduction) }
}

public final class SmoothL1Loss: Loss {
  public let beta: Double
  public init(beta: Double = 1, reduction: LossReduction = .mean) {
    self.beta = beta
    super.init(reduction: reduction)
  }
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor {
    smoothL1Loss(i, t, beta: beta, reduction: reduction)
  }
}

public final class HuberLoss: Loss {
  public let delta: Double
  public init(delta: Double = 1, reduction: LossReduction = .mean) {
    self.delta = delta
    super.init(reduction: reduction)
  }
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor {
    huberLoss(i, t, delta: delta, reduction: reduction)
  }
}

public final class CrossEntropyLoss: Loss {
  public let weight: Tensor?, ignoreIndex: Int, labelSmoothing: Double
  public init(
    weight: Tensor? = nil, ignoreIndex: Int = -100, labelSmoothing: Double = 0, reduction: LossReduction = .mean
  ) {
    (self.weight, self.ignoreIndex, self.labelSmoothing) = (weight, ignoreIndex, labelSmoothing)
    super.init(reduction: reduction)
  }
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor {
    crossEntropy(i, t, weight: weight, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing, reduction: reduction)
  }
}

public final class NLLLoss: Loss {
  public let weight: Tensor?, ignoreIndex: Int
  public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: LossReduction = .mean) {
    (self.weight, self.ignoreIndex) = (weight, ignoreIndex)
    super.init(reduction: reduction)
  }
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor {
    nllLoss(i, t, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
  }
}

public final class BCELoss: Loss {
  public let weight: Tensor?
  public init(weight: Tensor? = nil, reduction: LossReduction = .mean) {
    self.weight = weight
    super.init(reduction: reduction)
  }
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor {
    binaryCrossEntropy(i, t, weight: weight, reduction: reduction)
  }
}

public final class BCEWithLogitsLoss: Loss {
  public let weight: Tensor?, positiveWeight: Tensor?
  public init(weight: Tensor? = nil, positiveWeight: Tensor? = nil, reduction: LossReduction = .mean) {
    (self.weight, self.positiveWeight) = (weight, positiveWeight)
    super.init(reduction: reduction)
  }
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor {
    binaryCrossEntropyWithLogits(i, t, weight: weight, positiveWeight: positiveWeight, reduction: reduction)
  }
}

public final class KLDivLoss: Loss {
  public let logTarget: Bool
  public init(logTarget: Bool = false, reduction: LossReduction = .mean) {
    self.logTarget = logTarget
    super.init(reduction: reduction)
  }
  public override func compute(_ i: Tensor, _ t: Tensor) -> Tensor {
    klDivergence(i, t, logTarget: logTarget, reduction: reduction)
  }
}
