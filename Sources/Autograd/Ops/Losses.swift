/// How a loss combines its per-element values.
public enum LossReduction: Sendable {
  /// No reduction: one loss per element (per sample for class losses).
  case none
  /// The mean (weighted, for class losses with weights).
  case mean
  /// The sum.
  case sum
  /// The sum divided by the batch size (the size of axis 0), as `kl_div`'s "batchmean".
  case batchMean

  func apply(_ losses: Tensor) -> Tensor {
    switch self {
    case .none: losses
    case .mean: losses.mean()
    case .sum: losses.sum()
    case .batchMean: losses.sum() / Double(Swift.max(losses.shapeDims.first ?? 1, 1))
    }
  }
}

private func sameShape(_ input: Tensor, _ target: Tensor, _ op: StaticString) {
  trapUnless(
    input.shapeDims == target.shape, "\(op): input shape \(input.shape) and target shape \(target.shape) differ")
  input.requireFloatingPoint(op)
}

/// Mean squared error: (input - target)².
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: LossReduction = .mean) -> Tensor {
  CompositeCall.run("MseLoss", inputs: [input, target]) {
    sameShape(input, target, "mseLoss")
    return reduction.apply((input - target).pow(2))
  }
}

/// Mean absolute error: |input - target|.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: LossReduction = .mean) -> Tensor {
  sameShape(input, target, "l1Loss")
  return reduction.apply((input - target).abs())
}

/// 0.5 d² / β where |d| < β, |d| - 0.5 β elsewhere (d = input - target).
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Double = 1, reduction: LossReduction = .mean)
  -> Tensor
{
  sameShape(input, target, "smoothL1Loss")
  trapUnless(beta >= 0, "smoothL1Loss: beta must be non-negative, got \(beta)")
  if beta == 0 { return l1Loss(input, target, reduction: reduction) }
  let d = (input - target).abs()
  return reduction.apply(Tensor.where(d .< beta, 0.5 * d * d / beta, d - 0.5 * beta))
}

/// 0.5 d² where |d| <= δ, δ (|d| - 0.5 δ) elsewhere (d = input - target).
public func huberLoss(_ input: Tensor, _ target: Tensor, delta: Double = 1, reduction: LossReduction = .mean) -> Tensor
{
  sameShape(input, target, "huberLoss")
  trapUnless(delta > 0, "huberLoss: delta must be positive, got \(delta)")
  let d = (input - target).abs()
  return reduction.apply(Tensor.where(d .<= delta, 0.5 * d * d, delta * (d - 0.5 * delta)))
}

/// The negative log-likelihood of class indices: -weight[t] · logProbabilities[i, t] per sample.
///
/// `logProbabilities` is `[N, C]`, `[N, C, d...]` or `[C]`; `target` is int64 with the same shape
/// without C. Targets equal to `ignoreIndex` contribute nothing; the mean divides by the summed
/// weights of the other targets, as PyTorch.
public func nllLoss(
  _ logProbabilities: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
  reduction: LossReduction = .mean
) -> Tensor {
  CompositeCall.run("NllLoss", inputs: [logProbabilities, target, weight]) {
    let (picked, weights) = pickClasses(
      logProbabilities, target, weight: weight, ignoreIndex: ignoreIndex, op: "nllLoss")
    return weightedReduction(-picked * weights, weights, reduction)
  }
}

/// Cross-entropy between logits and targets, as PyTorch's `cross_entropy`: log-softmax over the
/// class axis (1, or 0 for a single sample) followed by the negative log-likelihood.
///
/// `target` is either int64 class indices (shape of `logits` without the class axis) or class
/// probabilities (the shape of `logits`). `labelSmoothing` ε mixes the target with the uniform
/// distribution: (1 - ε) target + ε / C.
public func crossEntropy(
  _ logits: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
  labelSmoothing: Double = 0, reduction: LossReduction = .mean
) -> Tensor {
  CompositeCall.run("CrossEntropy", inputs: [logits, target, weight]) {
    trapUnless(
      labelSmoothing >= 0 && labelSmoothing <= 1,
      "crossEntropy: labelSmoothing must be in [0, 1], got \(labelSmoothing)")
    let classAxis = logits.rank == 1 ? 0 : 1
    let classes = logits.shapeDims[classAxis]
    let logProbabilities = logits.logSoftmax(axis: classAxis)
    let classWeights = weight.map {
      $0.reshaped(to: [classes] + Array(repeating: 1, count: logits.rank - classAxis - 1))
    }
    if target.dtype.isFloatingPoint {
      sameShape(logits, target, "crossEntropy")
      let smoothed = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / Double(classes) : target
      var terms = smoothed * logProbabilities
      if let classWeights { terms = terms * classWeights }
      let losses = -terms.sum(axis: classAxis)
      return reduction.apply(losses)
    }
    let (picked, weights) = pickClasses(
      logProbabilities, target, weight: weight, ignoreIndex: ignoreIndex, op: "crossEntropy")
    let nll = weightedReduction(-picked * weights, weights, reduction)
    guard labelSmoothing > 0 else { return nll }
    // The uniform part: -Σ_c w_c log p_c / C per sample, zero where the target is ignored.
    var all = logProbabilities
    if let classWeights { all = all * classWeights }
    let kept = (target .!= Double(ignoreIndex)).cast(to: logits.dtype)
    let smooth = -all.sum(axis: classAxis) * kept / Double(classes)
    let smoothReduced =
      reduction == .mean ? smooth.sum() / (weight == nil ? kept.sum() : weights.sum()) : reduction.apply(smooth)
    return (1 - labelSmoothing) * nll + labelSmoothing * smoothReduced
  }
}

/// log p[i, target[i]] and the weight of each target (0 where ignored).
private func pickClasses(
  _ logProbabilities: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int,
  op: StaticString
) -> (Tensor, Tensor) {
  let classAxis = logProbabilities.rank == 1 ? 0 : 1
  let classes = logProbabilities.shapeDims[classAxis]
  trapUnless(target.dtype == .int64, "\(op): class targets must be int64, got \(target.dtype)")
  var expected = logProbabilities.shape
  expected.remove(at: classAxis)
  trapUnless(
    target.shapeDims == expected,
    "\(op): target shape \(target.shape) does not fit input \(logProbabilities.shape) (expected \(expected))")
  let raw = target.scalars(as: Int64.self)
  for t in raw where Int(t) != ignoreIndex {
    trapUnless(t >= 0 && Int(t) < classes, "\(op): target \(t) is out of range for \(classes) classes")
  }
  if let weight {
    trapUnless(weight.shapeDims == [classes], "\(op): weight has shape \(weight.shape), expected [\(classes)]")
  }
  let safe = Tensor(values: raw.map { Int($0) == ignoreIndex ? 0 : $0 }, shape: target.shape, dtype: .int64)
  let kept = Tensor(raw.map { Int($0) == ignoreIndex ? 0.0 : 1.0 }, shape: target.shape, dtype: logProbabilities.dtype)
  let picked = logProbabilities.gather(axis: classAxis, index: safe.unsqueezed(at: classAxis)).squeezed(at: classAxis)
  let weights = weight.map { $0.detached().cast(to: logProbabilities.dtype)[safe] * kept } ?? kept
  return (picked * kept, weights)
}

private func weightedReduction(_ losses: Tensor, _ weights: Tensor, _ reduction: LossReduction) -> Tensor {
  reduction == .mean ? losses.sum() / weights.sum() : reduction.apply(losses)
}

/// Binary cross-entropy of probabilities: -w (t log p + (1 - t) log(1 - p)), with the logarithms
/// clamped at -100 as PyTorch does (so p = 0 or 1 gives a finite loss).
///
/// Backward, as PyTorch's: (p - t) / max(p (1 - p), ε) for p, with its ε of 1e-12 in float32, so
/// that p = 0 and p = 1 get finite gradients (the composed ops would give 0 · ∞); -logit(p) for t.
public func binaryCrossEntropy(
  _ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
  reduction: LossReduction = .mean
) -> Tensor {
  CompositeCall.run("BinaryCrossEntropy", inputs: [input, target, weight]) {
    sameShape(input, target, "binaryCrossEntropy")
    var losses = Tensor.promoting(input, target, op: "binaryCrossEntropy", floating: true) { p, t in
      let values = withNoGrad { -(t * p.log().clamped(min: -100) + (1 - t) * (1 - p).log().clamped(min: -100)) }
      return values.recorded("BinaryCrossEntropyBackward", inputs: p, t, saving: TensorList(p, t)) {
        g, s, needs in
        let (p, t) = (s[0], s[1])
        return GradientList(
          needs[0] ? g * (p - t) / (p * (1 - p)).clamped(min: Double(Float(1e-12))) : nil,
          needs[1] ? g * ((1 - p).log() - p.log()) : nil)
      }
    }
    if let weight { losses = losses * weight }
    return reduction.apply(losses)
  }
}

/// Binary cross-entropy of logits, computed stably: (1 - t) x + (1 + (pw - 1) t) softplus(-x),
/// where `positiveWeight` pw weighs the positive examples.
public func binaryCrossEntropyWithLogits(
  _ logits: Tensor, _ target: Tensor, weight: Tensor? = nil,
  positiveWeight: Tensor? = nil, reduction: LossReduction = .mean
) -> Tensor {
  CompositeCall.run("BinaryCrossEntropyWithLogits", inputs: [logits, target, weight, positiveWeight]) {
    sameShape(logits, target, "binaryCrossEntropyWithLogits")
    let logWeight = positiveWeight.map { 1 + ($0 - 1) * target } ?? Tensor.ones([], dtype: logits.dtype)
    var losses = (1 - target) * logits + logWeight * (-logits).softplus()
    if let weight { losses = losses * weight }
    return reduction.apply(losses)
  }
}

/// Kullback-Leibler divergence with `input` as log-probabilities: target (log target - input)
/// per element (0 where target is 0). With `logTarget`, `target` holds log-probabilities too.
/// PyTorch's `kl_div`; use `.batchMean` for the mathematical KL divergence per sample.
public func klDivergence(_ input: Tensor, _ target: Tensor, logTarget: Bool = false, reduction: LossReduction = .mean)
  -> Tensor
{
  sameShape(input, target, "klDivergence")
  if logTarget { return reduction.apply(target.exp() * (target - input)) }
  // A harmless stand-in where target is 0 keeps 0 · log 0 at 0 in value and gradient.
  let safe = Tensor.where(target .> 0, target, Tensor.ones([], dtype: target.dtype))
  return reduction.apply(target * safe.log() - target * input)
}

/// a · b / (max(‖a‖, ε) max(‖b‖, ε)) along `axis`, with broadcasting.
public func cosineSimilarity(_ a: Tensor, _ b: Tensor, axis: Int = 1, epsilon: Double = 1e-8) -> Tensor {
  let dot = (a * b).sum(axis: axis)
  let na = a.norm(.two, axes: [axis]).clamped(min: epsilon)
  let nb = b.norm(.two, axes: [axis]).clamped(min: epsilon)
  return dot / (na * nb)
}
