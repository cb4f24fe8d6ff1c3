import CAutogradKernels

extension Kernels {
  /// One Adam or AdamW step on contiguous tensors of one floating-point dtype and shape, in
  /// distinct storages (`Tensor.fusedAdamStep` checks this): float32 in C (adam.c), float64 here.
  static func adamStep(parameter p: Tensor, gradient g: Tensor, expAvg m: Tensor, expAvgSq v: Tensor, _ step: AdamStep)
  {
    let coupled = step.weightDecay != 0 && !step.decoupled
    let decoupled = step.weightDecay != 0 && step.decoupled
    let n = p.count
    if p.dtype == .float32 {
      var constants = ag_adam_constants(
        decay: Float(1 - step.learningRate * step.weightDecay), lambda: Float(step.weightDecay),
        beta1: Float(step.beta1), beta2: Float(step.beta2), keep1: Float(1 - step.beta1), keep2: Float(1 - step.beta2),
        inv_root2: Float(1 / step.correction2.squareRoot()), epsilon: Float(step.epsilon),
        step_size: Float(step.learningRate / step.correction1), decoupled: decoupled, coupled: coupled)
      ag_adam_step_f32(
        p.basePointer(Float.self) + p.offset, g.basePointer(Float.self) + g.offset,
        m.basePointer(Float.self) + m.offset, v.basePointer(Float.self) + v.offset, n, &constants)
    } else {
      let pp = p.basePointer(Double.self) + p.offset
      let gp = g.basePointer(Double.self) + g.offset
      let mp = m.basePointer(Double.self) + m.offset
      let vp = v.basePointer(Double.self) + v.offset
      let inverseRoot2 = 1 / step.correction2.squareRoot()
      let stepSize = step.learningRate / step.correction1
      for i in 0..<n {
        if decoupled { pp[i] = pp[i] * (1 - step.learningRate * step.weightDecay) }
        let gi = coupled ? gp[i] + step.weightDecay * pp[i] : gp[i]
        mp[i] = mp[i] * step.beta1 + (1 - step.beta1) * gi
        vp[i] = vp[i] * step.beta2 + (1 - step.beta2) * gi * gi
        pp[i] = pp[i] - stepSize * mp[i] / (vp[i].squareRoot() * inverseRoot2 + step.epsilon)
      }
    }
  }
}
