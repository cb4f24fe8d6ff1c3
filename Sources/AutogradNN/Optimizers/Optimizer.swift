import Autograd
import Foundation

/// Parameters that share hyper-parameters, as a PyTorch parameter group. `learningRate` overrides
/// the optimizer's when set.
public struct ParameterGroup {
  public var parameters: [Tensor]
  public var learningRate: Double?

  public init(_ parameters: [Tensor], learningRate: Double? = nil) {
    self.parameters = parameters
    self.learningRate = learningRate
  }
}

/// The base of the optimizers: parameter groups, per-parameter state, and the step loop.
///
/// A subclass implements `update(_:gradient:learningRate:state:)` with its published rule; the
/// base class runs it for every parameter that has a gradient, unrecorded.
///
/// A class, as in PyTorch, rather than a protocol: every optimizer shares the same state (groups,
/// per-parameter buffers keyed by the parameter's identity, `stateDict` for checkpoints) and the
/// same step loop, and learning-rate schedules hold an optimizer by reference and change its
/// groups' rates. A subclass that forgets `update` traps with its type's name on the first step.
open class Optimizer {
  public private(set) var groups: [ParameterGroup]
  /// The learning rate of groups that do not set their own; schedules change it.
  public var learningRate: Double {
    didSet {
      trapUnless(learningRate >= 0, "\(type(of: self)): learning rate must be non-negative, got \(learningRate)")
    }
  }
  /// Per-parameter state (moments, step counts), by parameter identity.
  public internal(set) var state: [ObjectIdentifier: [String: Tensor]] = [:]
  /// How many steps have been taken.
  public private(set) var stepCount = 0

  public init(groups: [ParameterGroup], learningRate: Double) {
    trapUnless(learningRate >= 0, "\(Self.self): learning rate must be non-negative, got \(learningRate)")
    for group in groups {
      if let lr = group.learningRate {
        trapUnless(lr >= 0, "\(Self.self): learning rate must be non-negative, got \(lr)")
      }
      trapUnless(
        group.parameters.allSatisfy { $0.isLeaf && $0.requiresGrad },
        "\(Self.self): parameters must be leaf tensors that require grad")
    }
    self.groups = groups
    self.learningRate = learningRate
  }

  /// Sets a group's own learning rate (schedules scale every group).
  func setLearningRate(_ rate: Double?, ofGroup index: Int) { groups[index].learningRate = rate }

  /// Every parameter, group by group.
  public var parameters: [Tensor] { groups.flatMap(\.parameters) }

  /// Clears every parameter's gradient (sets it to `nil`).
  public func zeroGrad() {
    for p in parameters { p.grad = nil }
  }

  /// Updates every parameter that has a gradient by the optimizer's rule.
  open func step() {
    stepCount += 1
    withNoGrad {
      for group in groups {
        let lr = group.learningRate ?? learningRate
        for p in group.parameters {
          guard let g = p.grad else { continue }
          var s = state[ObjectIdentifier(p)] ?? [:]
          update(p, gradient: g, learningRate: lr, state: &s)
          state[ObjectIdentifier(p)] = s
        }
      }
    }
  }

  /// Applies one step of the rule to `parameter` in place.
  open func update(_ parameter: Tensor, gradient: Tensor, learningRate: Double, state: inout [String: Tensor]) {
    trap("\(type(of: self)): update(_:gradient:learningRate:state:) is not implemented")
  }

  /// Per-parameter step count, kept in the state so that parameters added later start at 1.
  func nextStep(_ state: inout [String: Tensor]) -> Double {
    let t = (state["step"]?.item() ?? 0) + 1
    state["step"] = Tensor(t, dtype: .float64)
    return t
  }

  static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    trapUnless(condition, message())
  }
}

/// Scales all gradients so that their combined `normType`-norm is at most `maxNorm`; returns the
/// norm before clipping, as `clip_grad_norm_`.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2) -> Double {
  trapUnless(maxNorm >= 0, "clipGradNorm: maxNorm must be non-negative, got \(maxNorm)")
  let grads = parameters.compactMap(\.grad)
  guard !grads.isEmpty else { return 0 }
  let total: Double = withNoGrad {
    if normType.isInfinite { return grads.map { $0.abs().max().item() }.max() ?? 0 }
    let sum = grads.map { $0.abs().pow(normType).sum().item() }.reduce(0, +)
    return Foundation.pow(sum, 1 / normType)
  }
  let scale = maxNorm / (total + 1e-6)
  if scale < 1 { withNoGrad { for g in grads { g *= scale } } }
  return total
}

/// Clamps every gradient element to [-clipValue, clipValue], as `clip_grad_value_`.
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) {
  trapUnless(clipValue >= 0, "clipGradValue: clipValue must be non-negative, got \(clipValue)")
  withNoGrad { for g in parameters.compactMap(\.grad) { g.clamp(min: -clipValue, max: clipValue) } }
}
