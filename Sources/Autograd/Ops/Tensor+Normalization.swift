extension Tensor {
  /// Normalizes over the last `normalizedShape.count` axes to zero mean and unit variance, then
  /// scales by `weight` and shifts by `bias` (both of `normalizedShape`), as PyTorch's `layer_norm`.
  ///
  /// Backward: rstd (ĝ - mean(ĝ) - x̂ mean(ĝ x̂)) with x̂ the normalized input and ĝ = g · weight;
  /// Σ g x̂ and Σ g over the leading axes to the weight and bias. Fused kernels compute both
  /// passes; recorded for gradients of gradients, the same formulas run as differentiable ops.
  public func layerNormalized(
    normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
    epsilon: Double = 1e-5
  ) -> Tensor {
    trapUnless(
      normalizedShape.count <= rank && Array(shape.suffix(normalizedShape.count)) == normalizedShape,
      "layerNorm: normalizedShape \(normalizedShape) does not match the end of shape \(shape)")
    let axes = Array((rank - normalizedShape.count)..<rank)
    let n = Shape.count(normalizedShape)
    guard Kernels.layerNormApplies(self, normalizedShape: normalizedShape, weight: weight, bias: bias) else {
      // Integer tensors, mixed dtypes, empty rows: composed ops, with their promotions and messages.
      let centered = self - mean(axes: axes, keepDims: true)
      var y = centered * (centered.pow(2).mean(axes: axes, keepDims: true) + epsilon).rsqrt()
      if let weight { y = y * weight }
      if let bias { y = y + bias }
      return y
    }
    let (y, mean, rstd) = Kernels.layerNorm(self, n: n, weight: weight, bias: bias, epsilon: epsilon)
    var inputs = TensorList(self)
    var saved = TensorList(self, mean)
    saved.append(rstd)
    if let weight {
      inputs.append(weight)
      saved.append(weight)
    }
    if let bias { inputs.append(bias) }
    return y.recorded(
      "LayerNormBackward", detail: "normalizedShape: \(normalizedShape)", inputs: inputs, saving: saved
    ) { [hasWeight = weight != nil, hasBias = bias != nil] g, s, needs in
      let (x, weight) = (s[0], hasWeight ? s[3] : nil)
      let wantsWeight = hasWeight && needs[1]
      let wantsBias = hasBias && needs[hasWeight ? 2 : 1]
      var dx: Tensor?
      var dWeight: Tensor?
      var dBias: Tensor?
      if !GradMode.isEnabled {
        (dx, dWeight, dBias) = Kernels.layerNormBackward(
          g, x, mean: s[1], rstd: s[2], weight: weight, n: n, needs: (needs[0], wantsWeight, wantsBias))
      } else {
        // Recorded (gradients of gradients): the same formulas, with differentiable ops of x.
        let centered = x - x.mean(axes: axes, keepDims: true)
        let scale = (centered.pow(2).mean(axes: axes, keepDims: true) + epsilon).rsqrt()
        let xHat = centered * scale
        let gHat = weight.map { g * $0 } ?? g
        if needs[0] {
          let meanGX = (gHat * xHat).mean(axes: axes, keepDims: true)
          dx = scale * (gHat - gHat.mean(axes: axes, keepDims: true) - xHat * meanGX)
        }
        let leading = Array(0..<(x.rank - axes.count))
        func overRows(_ t: Tensor) -> Tensor { leading.isEmpty ? t : t.sum(axes: leading) }
        if wantsWeight { dWeight = overRows(g * xHat) }
        if wantsBias { dBias = overRows(g) }
      }
      var grads = GradientList(dx)
      if hasWeight { grads.append(dWeight?.reshaped(to: normalizedShape)) }
      if hasBias { grads.append(dBias?.reshaped(to: normalizedShape)) }
      return grads
    }
  }

  /// Batch normalization over every axis but the channel axis 1, as PyTorch's `batch_norm`.
  ///
  /// In training, normalizes with the batch's statistics and updates `runningMean` and
  /// `runningVariance` in place: r ← (1 - momentum) r + momentum · batch statistic (the unbiased
  /// variance). In evaluation, normalizes with the running statistics.
  public func batchNormalized(
    runningMean: Tensor?, runningVariance: Tensor?, weight: Tensor? = nil,
    bias: Tensor? = nil, training: Bool, momentum: Double = 0.1,
    epsilon: Double = 1e-5
  ) -> Tensor {
    CompositeCall.run("BatchNorm", inputs: [self, weight, bias]) {
      trapUnless(rank >= 2, "batchNorm: expected at least [N, C], got \(shape)")
      let c = shapeDims[1]
      let axes = [0] + Array(2..<rank)
      let statShape = [1, c] + Array(repeating: 1, count: rank - 2)
      let mean: Tensor
      let variance: Tensor
      if training {
        let n = axes.reduce(1) { $0 * shapeDims[$1] }
        trapUnless(n > 1, "batchNorm: training needs more than one value per channel, got shape \(shape)")
        mean = self.mean(axes: axes, keepDims: true)
        variance = (self - mean).pow(2).mean(axes: axes, keepDims: true)
        withNoGrad {
          if let runningMean {
            runningMean.copy(from: (1 - momentum) * runningMean + momentum * mean.detached().reshaped(to: [c]))
          }
          if let runningVariance {
            let unbiased = variance.detached().reshaped(to: [c]) * (Double(n) / Double(n - 1))
            runningVariance.copy(from: (1 - momentum) * runningVariance + momentum * unbiased)
          }
        }
      } else {
        guard let runningMean, let runningVariance else {
          trap("batchNorm: evaluation needs runningMean and runningVariance")
        }
        mean = runningMean.reshaped(to: statShape)
        variance = runningVariance.reshaped(to: statShape)
      }
      var y = (self - mean) * (variance + epsilon).rsqrt()
      if let weight { y = y * weight.reshaped(to: statShape) }
      if let bias { y = y + bias.reshaped(to: statShape) }
      return y
    }
  }

  /// Zeros each element with probability `probability` and scales the rest by 1 / (1 - p), in
  /// training; the identity otherwise. The mask comes from `generator`, so runs are repeatable.
  public func dropout(probability: Double, training: Bool = true, generator: inout RandomGenerator) -> Tensor {
    trapUnless(probability >= 0 && probability <= 1, "dropout: probability must be in [0, 1], got \(probability)")
    guard training && probability > 0 else { return self }
    return CompositeCall.run("Dropout", inputs: [self]) {
      if probability == 1 { return self * 0 }
      let keep = Tensor.rand(shape, dtype: .float64, generator: &generator) .>= probability
      return self * (keep.cast(to: dtype) / (1 - probability))
    }
  }

  /// `dropout` with a generator seeded from the global one (see `manualSeed`).
  public func dropout(probability: Double, training: Bool = true) -> Tensor {
    var generator = RandomGenerator.split()
    return dropout(probability: probability, training: training, generator: &generator)
  }

  /// One-hot vectors (int64) for class indices: shape `self.shape + [classCount]`.
  public func oneHot(classCount: Int) -> Tensor {
    trapUnless(dtype == .int64, "oneHot: expected int64 class indices, got \(dtype)")
    let indices = scalars(as: Int64.self)
    var values = [Int64](repeating: 0, count: indices.count * classCount)
    for (i, k) in indices.enumerated() {
      trapUnless(k >= 0 && Int(k) < classCount, "oneHot: class \(k) is out of range for \(classCount) classes")
      values[i * classCount + Int(k)] = 1
    }
    return Tensor(values: values, shape: shape + [classCount], dtype: .int64)
  }
}

/// The rows of `weight` (`[vocabulary, dimension]`) picked by int64 `indices`: shape
/// `indices.shape + [dimension]`. Backward: gradients are added into the picked rows.
///
/// - Parameters:
///   - indices: The rows to pick, int64 of any shape.
///   - weight: The table, `[vocabulary, dimension]`.
///   - paddingIndex: A row (negative counts from the end) that gets no gradient, as
///     PyTorch's `padding_idx`: the padding token's vector stays as it is in training.
public func embedding(_ indices: Tensor, weight: Tensor, paddingIndex: Int? = nil) -> Tensor {
  CompositeCall.run("Embedding", inputs: [indices, weight]) {
    trapUnless(weight.rank == 2, "embedding: weight must be [vocabulary, dimension], got \(weight.shape)")
    let picked = weight[indices]
    guard let paddingIndex else { return picked }
    let rows = weight.shapeDims[0]
    trapUnless(
      paddingIndex >= -rows && paddingIndex < rows,
      "embedding: paddingIndex \(paddingIndex) is out of range for \(rows) rows")
    let isPadding = (indices .== Double(paddingIndex < 0 ? paddingIndex + rows : paddingIndex)).unsqueezed(at: -1)
    // The same values; only the rows picked for other indices pass a gradient back.
    return Tensor.where(isPadding, picked.detached(), picked)
  }
}
