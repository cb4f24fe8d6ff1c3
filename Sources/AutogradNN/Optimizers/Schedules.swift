import Autograd
import Foundation

/// A learning-rate schedule: each `step()` (once per epoch, or per batch for one-cycle) moves the
/// optimizer's learning rate, and each group's own, to the schedule's value for the next step.
/// Every rate is scaled by the same factor of its starting value, as PyTorch's schedulers do.
open class LearningRateSchedule {
  public let optimizer: Optimizer
  /// How many times `step()` has been called.
  public private(set) var stepCount = 0
  let baseRate: Double
  let baseGroupRates: [Double?]

  public init(optimizer: Optimizer) {
    self.optimizer = optimizer
    baseRate = optimizer.learningRate
    baseGroupRates = optimizer.groups.map(\.learningRate)
  }

  /// The learning rate of the optimizer now.
  public var learningRate: Double { optimizer.learningRate }

  /// The factor of the base rate for step `t` (0 before the first `step()`).
  open func factor(at t: Int) -> Double { 1 }

  /// Advances the schedule by one step.
  public func step() {
    stepCount += 1
    apply(factor(at: stepCount))
  }

  func apply(_ factor: Double) {
    optimizer.learningRate = baseRate * factor
    for (i, rate) in baseGroupRates.enumerated() where rate != nil {
      optimizer.setLearningRate(rate! * factor, ofGroup: i)
    }
  }
}

/// Multiplies the rate by `gamma` every `stepSize` steps.
public final class StepLR: LearningRateSchedule {
  public let stepSize: Int, gamma: Double
  public init(optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
    trapUnless(stepSize > 0, "StepLR: step size must be positive, got \(stepSize)")
    (self.stepSize, self.gamma) = (stepSize, gamma)
    super.init(optimizer: optimizer)
  }
  public override func factor(at t: Int) -> Double { pow(gamma, Double(t / stepSize)) }
}

/// Multiplies the rate by `gamma` at each milestone step.
public final class MultiStepLR: LearningRateSchedule {
  public let milestones: [Int], gamma: Double
  public init(optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) {
    (self.milestones, self.gamma) = (milestones.sorted(), gamma)
    super.init(optimizer: optimizer)
  }
  public override func factor(at t: Int) -> Double { pow(gamma, Double(milestones.filter { $0 <= t }.count)) }
}

/// Multiplies the rate by `gamma` every step.
public final class ExponentialLR: LearningRateSchedule {
  public let gamma: Double
  public init(optimizer: Optimizer, gamma: Double) {
    self.gamma = gamma
    super.init(optimizer: optimizer)
  }
  public override func factor(at t: Int) -> Double { pow(gamma, Double(t)) }
}

/// Cosine annealing from the base rate to `minimumRate` over `period` steps:
/// η = ηmin + (η₀ - ηmin)(1 + cos(πt/T))/2.
public final class CosineAnnealingLR: LearningRateSchedule {
  public let period: Int, minimumRate: Double
  public init(optimizer: Optimizer, period: Int, minimumRate: Double = 0) {
    trapUnless(period > 0, "CosineAnnealingLR: period must be positive, got \(period)")
    (self.period, self.minimumRate) = (period, minimumRate)
    super.init(optimizer: optimizer)
  }
  public override func factor(at t: Int) -> Double {
    let m = baseRate == 0 ? 0 : minimumRate / baseRate
    return m + (1 - m) * (1 + cos(Double.pi * Double(Swift.min(t, period)) / Double(period))) / 2
  }
}

/// Linear warm-up: the factor goes from `startFactor` to `endFactor` over `steps` steps, then stays.
public final class LinearLR: LearningRateSchedule {
  public let startFactor: Double, endFactor: Double, steps: Int
  public init(optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, steps: Int = 5) {
    trapUnless(startFactor > 0 && startFactor <= 1, "LinearLR: start factor must be in (0, 1], got \(startFactor)")
    trapUnless(steps > 0, "LinearLR: steps must be positive, got \(steps)")
    (self.startFactor, self.endFactor, self.steps) = (startFactor, endFactor, steps)
    super.init(optimizer: optimizer)
    apply(startFactor)
  }
  public override func factor(at t: Int) -> Double {
    startFactor + (endFactor - startFactor) * Double(Swift.min(t, steps)) / Double(steps)
  }
}

/// The one-cycle policy (Smith, 2018), stepped once per batch: the rate rises from
/// maxRate / divFactor to `maxRate` over the first `warmupFraction` of `totalSteps`, then anneals
/// (cosine) to maxRate / (divFactor · finalDivFactor). The optimizer's base rate is replaced.
public final class OneCycleLR: LearningRateSchedule {
  public let maxRate: Double, totalSteps: Int, warmupFraction: Double, divFactor: Double, finalDivFactor: Double

  public init(
    optimizer: Optimizer, maxRate: Double, totalSteps: Int, warmupFraction: Double = 0.3,
    divFactor: Double = 25, finalDivFactor: Double = 1e4
  ) {
    trapUnless(totalSteps > 1, "OneCycleLR: total steps must be above 1, got \(totalSteps)")
    trapUnless(
      warmupFraction > 0 && warmupFraction < 1, "OneCycleLR: warm-up fraction must be in (0, 1), got \(warmupFraction)")
    (self.maxRate, self.totalSteps, self.warmupFraction, self.divFactor, self.finalDivFactor) = (
      maxRate, totalSteps, warmupFraction, divFactor, finalDivFactor
    )
    optimizer.learningRate = maxRate / divFactor
    super.init(optimizer: optimizer)
  }

  public override func factor(at t: Int) -> Double {
    let initial = 1.0
    let peak = divFactor
    let final = 1 / finalDivFactor
    let warmupEnd = warmupFraction * Double(totalSteps) - 1
    func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
      end + (start - end) / 2 * (cos(Double.pi * pct) + 1)
    }
    let step = Double(Swift.min(t, totalSteps - 1))
    if step <= warmupEnd { return anneal(initial, peak, step / warmupEnd) }
    return anneal(peak, final, (step - warmupEnd) / (Double(totalSteps - 1) - warmupEnd))
  }
}

/// Multiplies the rate by `factor` when a watched metric (a validation loss, say) has not improved
/// by more than `threshold` (relative) for `patience` steps, then waits `cooldown` steps.
public final class ReduceLROnPlateau {
  public let optimizer: Optimizer
  public let factor: Double, patience: Int, threshold: Double, cooldown: Int, minimumRate: Double, maximize: Bool
  private var best: Double?
  private var badSteps = 0, cooldownLeft = 0

  public init(
    optimizer: Optimizer, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, cooldown: Int = 0,
    minimumRate: Double = 0, maximize: Bool = false
  ) {
    trapUnless(factor > 0 && factor < 1, "ReduceLROnPlateau: factor must be in (0, 1), got \(factor)")
    (self.optimizer, self.factor, self.patience, self.threshold, self.cooldown, self.minimumRate, self.maximize) =
      (optimizer, factor, patience, threshold, cooldown, minimumRate, maximize)
  }

  /// Records the metric of this step and reduces the rate after a plateau.
  public func step(metric: Double) {
    let improved = best.map { maximize ? metric > $0 * (1 + threshold) : metric < $0 * (1 - threshold) } ?? true
    if improved {
      best = metric
      badSteps = 0
    } else {
      badSteps += 1
    }
    if cooldownLeft > 0 {
      cooldownLeft -= 1
      badSteps = 0
    }
    if badSteps > patience {
      optimizer.learningRate = Swift.max(optimizer.learningRate * factor, minimumRate)
      for (i, group) in optimizer.groups.enumerated() {
        if let rate = group.learningRate {
          optimizer.setLearningRate(Swift.max(rate * factor, minimumRate), ofGroup: i)
        }
      }
      cooldownLeft = cooldown
      badSteps = 0
    }
  }
}
