/// The constants of one Adam or AdamW step, as the optimizer derives them from its settings.
package struct AdamStep {
  package var learningRate: Double
  package var beta1: Double
  package var beta2: Double
  package var epsilon: Double
  package var weightDecay: Double
  /// AdamW: decay the parameter itself rather than add the decay to the gradient.
  package var decoupled: Bool
  /// 1 - beta1^t and 1 - beta2^t.
  package var correction1: Double
  package var correction2: Double

  package init(
    learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double,
    decoupled: Bool, correction1: Double, correction2: Double
  ) {
    (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
    (self.weightDecay, self.decoupled, self.correction1, self.correction2) = (
      weightDecay, decoupled, correction1, correction2
    )
  }
}

extension Tensor {
  /// Updates a parameter and its two moment estimates in one pass, where the op-by-op form makes
  /// thirteen passes and six temporary tensors (measured: most of a small MLP's training step).
  ///
  /// Each element goes through the same float operations, in the same order, as the op-by-op form
  /// (see adam.c), so the results are identical, except that the float32 step flushes subnormal
  /// values (below 1.2e-38) to zero, which would otherwise make it fifty times slower.
  ///
  /// Returns `false`, touching nothing, unless all four tensors are contiguous, of one
  /// floating-point dtype and shape, and in distinct storages.
  package static func fusedAdamStep(
    parameter p: Tensor, gradient g: Tensor, expAvg m: Tensor, expAvgSq v: Tensor,
    _ step: AdamStep
  ) -> Bool {
    let all = [p, g, m, v]
    guard p.dtype.isFloatingPoint,
      all.allSatisfy({ $0.dtype == p.dtype && $0.shapeDims == p.shape && $0.isContiguous }),
      Set(all.map { ObjectIdentifier($0.storage) }).count == 4
    else { return false }
    Kernels.adamStep(parameter: p, gradient: g, expAvg: m, expAvgSq: v, step)
    for t in [p, m, v] { t.bumpVersion() }
    return true
  }
}
