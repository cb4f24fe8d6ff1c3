/// Which norm `norm` computes.
public enum NormOrder: Sendable, Equatable {
  /// Σ|x|.
  case one
  /// √(Σx²), the Euclidean norm (over a matrix's elements: the Frobenius norm).
  case two
  /// max |x|.
  case infinity
  /// (Σ|x|ᵖ)^(1/p).
  case p(Double)
}

extension Tensor {
  /// The product of all elements, as a scalar.
  public func prod() -> Tensor { prod(axes: Array(0..<rank)) }

  /// The product along `axis`.
  public func prod(axis: Int, keepDims: Bool = false) -> Tensor { prod(axes: [axis], keepDims: keepDims) }

  /// The product along `axes`; int64 and bool tensors multiply in int64, as in PyTorch.
  ///
  /// Backward: each element gets the gradient times the product of the others, computed with
  /// running products from both sides, so that zeros are handled exactly.
  public func prod(axes: [Int], keepDims: Bool = false) -> Tensor {
    if dtype == .bool { return cast(to: .int64).prod(axes: axes, keepDims: keepDims) }
    let axes = normalized(axes, op: "prod")
    let (rows, restore) = flattening(axes)
    let n = rows.shapeDims.last ?? 1
    let result =
      n == 0
      ? Tensor.ones(Array(rows.shape.dropLast()), dtype: dtype)
      : rows.cumprod(axis: -1)[.ellipsis, n - 1]
    return restore(result, keepDims)
  }

  /// `self` with `axes` moved last and merged into one, and how to give a reduction of that last
  /// axis the shape a reduction over `axes` has.
  private func flattening(_ axes: [Int]) -> (Tensor, (Tensor, Bool) -> Tensor) {
    let kept = shapeDims.indices.filter { !axes.contains($0) }
    let keptShape = kept.map { shapeDims[$0] }
    let merged = permuted(kept + axes).reshaped(to: keptShape + [axes.reduce(1) { $0 * shapeDims[$1] }])
    let keepDimsShape = shapeDims.indices.map { axes.contains($0) ? 1 : shapeDims[$0] }
    return (
      merged, { result, keepDims in keepDims ? result.reshaped(to: keepDimsShape) : result.reshaped(to: keptShape) }
    )
  }

  /// Running sums along `axis` (int64 for int64 and bool tensors). Backward: running sums of the
  /// gradient from the other end.
  public func cumsum(axis: Int) -> Tensor {
    if dtype == .bool { return cast(to: .int64).cumsum(axis: axis) }
    let axis = Shape.axis(axis, rank: rank, op: "cumsum")
    if rank == 0 { return self * 1 }
    return Kernels.cumulative(self, axis: axis, product: false)
      .recorded("CumsumBackward", detail: "axis: \(axis)", input: self) { g, _, _ in
        GradientList(g.flipped(axes: [axis]).cumsum(axis: axis).flipped(axes: [axis]))
      }
  }

  /// Running products along `axis` (int64 for int64 and bool tensors).
  ///
  /// Backward: xᵢ's gradient is Σₖ≥ᵢ gₖ Πⱼ≤ₖ,ⱼ≠ᵢ xⱼ. Without zeros that is Σₖ≥ᵢ gₖ yₖ / xᵢ; with
  /// zeros each product that skips xᵢ is computed as it is written (O(n²) per row). Both are
  /// differentiable ops, so gradients of any order are exact, with zeros too.
  public func cumprod(axis: Int) -> Tensor {
    if dtype == .bool { return cast(to: .int64).cumprod(axis: axis) }
    let axis = Shape.axis(axis, rank: rank, op: "cumprod")
    if rank == 0 { return self * 1 }
    let y = Kernels.cumulative(self, axis: axis, product: true)
    return y.recorded("CumprodBackward", detail: "axis: \(axis)", input: self, saving: TensorList(self)) {
      g, s, _ in
      let x = s[0]
      if (x.detached() .== 0).any().item() == 0 {
        return GradientList(
          (g * x.cumprod(axis: axis)).flipped(axes: [axis]).cumsum(axis: axis).flipped(axes: [axis]) / x)
      }
      // Row i of `skipping` is x with xᵢ replaced by 1; its running products are Πⱼ≤ₖ,ⱼ≠ᵢ xⱼ,
      // of which the terms k ≥ i count.
      let n = x.shapeDims[axis]
      let rows = x.movingAxisToEnd(axis).unsqueezed(at: -2)
      let skipping = Tensor.where(
        Tensor.eye(n, dtype: .bool), Tensor.ones([], dtype: x.dtype),
        rows.expanded(to: Array(rows.shape.dropLast(2)) + [n, n]))
      let products = skipping.cumprod(axis: -1).triu()
      let grad = (products * g.movingAxisToEnd(axis).unsqueezed(at: -2)).sum(axis: -1)
      return GradientList(grad.movingLastAxis(to: axis))
    }
  }

  /// The variance along `axes` (all when `nil`): Σ(x - mean)² / (n - correction).
  /// `correction` 1 is the unbiased estimate (PyTorch's default), 0 the population variance.
  public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
    requireFloatingPoint("variance")
    let axes = axes ?? Array(0..<rank)
    let n = normalized(axes, op: "variance").reduce(1) { $0 * shapeDims[$1] }
    let deviation = self - mean(axes: axes, keepDims: true)
    return (deviation * deviation).sum(axes: axes, keepDims: keepDims) / Double(Swift.max(n - correction, 0))
  }

  /// The standard deviation along `axes`: the square root of `variance`.
  public func standardDeviation(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
    requireFloatingPoint("standardDeviation")
    return variance(axes: axes, correction: correction, keepDims: keepDims).sqrt()
  }

  /// The variance along one axis, as every other reduction takes one (`x.var(dim=1)`).
  public func variance(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
    variance(axes: [axis], correction: correction, keepDims: keepDims)
  }

  /// The standard deviation along one axis (`x.std(dim=1)`).
  public func standardDeviation(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
    standardDeviation(axes: [axis], correction: correction, keepDims: keepDims)
  }

  /// log Σ exp(x) along `axes`, computed without overflow (the maximum is factored out).
  ///
  /// Backward: softmax(x) times the gradient.
  public func logSumExp(axes: [Int], keepDims: Bool = false) -> Tensor {
    requireFloatingPoint("logsumexp")
    let axes = normalized(axes, op: "logsumexp")
    // The sum of no terms is 0, whose log is -inf, as in PyTorch (and there is no maximum to factor out).
    if axes.contains(where: { shapeDims[$0] == 0 }) { return exp().sum(axes: axes, keepDims: keepDims).log() }
    // The shift is a constant: it cancels in value and gradient; infinite maxima shift by 0.
    var shift = detached()
    for axis in axes { shift = shift.max(axis: axis, keepDims: true) }
    shift = Tensor.where(shift.isFinite(), shift, Tensor.zeros([], dtype: dtype))
    let total = (self - shift).exp().sum(axes: axes, keepDims: true).log() + shift
    return keepDims ? total : total.squeezedAxes(axes)
  }

  /// log Σ exp(x) along `axis`.
  public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { logSumExp(axes: [axis], keepDims: keepDims) }

  private func squeezedAxes(_ axes: [Int]) -> Tensor {
    reshaped(to: shapeDims.indices.filter { !axes.contains($0) }.map { shapeDims[$0] })
  }

  /// The `order` norm over `axes` (all elements when `nil`).
  ///
  /// Backward of the 2-norm: x / ‖x‖, and 0 where the norm is 0 (as PyTorch).
  public func norm(_ order: NormOrder = .two, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let axes = normalized(axes ?? Array(0..<rank), op: "norm")
    switch order {
    case .one: return abs().sum(axes: axes, keepDims: keepDims)
    case .infinity:
      // As PyTorch: the gradient is split evenly among the elements of largest magnitude.
      return abs().amax(axes: axes, keepDims: keepDims)
    case .p(let p) where p != 2:
      trapUnless(p > 0, "norm: p must be positive, got \(p)")
      return abs().pow(p).sum(axes: axes, keepDims: keepDims).pow(1 / p)
    default:
      requireFloatingPoint("norm")
      let n = withNoGrad { (self * self).sum(axes: axes, keepDims: true).sqrt() }
      let result = n.recorded("NormBackward", input: self, saving: TensorList(self, n.detached())) {
        g, s, _ in
        let x = s[0]
        let norm = GradMode.isEnabled && x.requiresGrad ? x.norm(.two, axes: axes, keepDims: true) : s[1]
        // A zero norm gets a harmless denominator: x is all zeros there, so the gradient is 0.
        let safe = Tensor.where(norm.detached() .== 0, Tensor.ones([], dtype: norm.dtype), norm)
        return GradientList(g * x / safe)
      }
      return keepDims ? result : result.squeezedAxes(axes)
    }
  }

  /// exp(x) / Σ exp(x) along `axis`: non-negative values that sum to 1.
  ///
  /// Backward: y (g - Σ g y).
  public func softmax(axis: Int) -> Tensor {
    requireFloatingPoint("softmax")
    let axis = Shape.axis(axis, rank: rank, op: "softmax")
    if count == 0 { return self * 1 }  // nothing to normalize, as in PyTorch
    let y = Kernels.alongAxis(self, axis: axis, Kernels.softmaxRows)
    return y.recorded(
      "SoftmaxBackward", detail: "axis: \(axis)", input: self,
      saving: TensorList(self, y.detached())
    ) { g, s, _ in
      if !GradMode.isEnabled && Kernels.softmaxRowsApply(s[1], axis: axis) {
        return GradientList(Kernels.softmaxBackwardRows(g, output: s[1]))
      }
      let y = GradMode.isEnabled && s[0].requiresGrad ? s[0].softmax(axis: axis) : s[1]
      return GradientList(y * (g - (g * y).sum(axis: axis, keepDims: true)))
    }
  }

  /// log softmax(x) along `axis`, computed stably as x - logsumexp(x).
  ///
  /// Backward: g - softmax(x) Σ g.
  public func logSoftmax(axis: Int) -> Tensor {
    requireFloatingPoint("logSoftmax")
    let axis = Shape.axis(axis, rank: rank, op: "logSoftmax")
    if count == 0 { return self * 1 }  // nothing to normalize, as in PyTorch
    let y = Kernels.alongAxis(self, axis: axis, Kernels.logSoftmaxRows)
    return y.recorded(
      "LogSoftmaxBackward", detail: "axis: \(axis)", input: self,
      saving: TensorList(self, y.detached())
    ) { g, s, _ in
      // Unrecorded, from the output in one pass; recorded, with differentiable ops of the input.
      if !GradMode.isEnabled && Kernels.softmaxRowsApply(s[1], axis: axis) {
        return GradientList(Kernels.logSoftmaxBackwardRows(g, output: s[1]))
      }
      return GradientList(g - s[0].softmax(axis: axis) * g.sum(axis: axis, keepDims: true))
    }
  }

  /// The largest values along `axis` and their indices (int64), as PyTorch's `max(dim)`.
  public func maxWithIndices(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
    (max(axis: axis, keepDims: keepDims), argmax(axis: axis, keepDims: keepDims))
  }

  /// The smallest values along `axis` and their indices (int64), as PyTorch's `min(dim)`.
  public func minWithIndices(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
    (min(axis: axis, keepDims: keepDims), argmin(axis: axis, keepDims: keepDims))
  }

  /// The flat index (int64 scalar) of the first largest element.
  public func argmax() -> Tensor { reshaped(to: [-1]).argmax(axis: 0) }

  /// The flat index (int64 scalar) of the first smallest element.
  public func argmin() -> Tensor { reshaped(to: [-1]).argmin(axis: 0) }

  /// The elements in reverse order along each of `axes`. A view (with negative strides).
  public func flipped(axes: [Int]) -> Tensor {
    let axes = normalized(axes, op: "flip")
    if axes.isEmpty { return self }
    var newStrides = strides
    var newOffset = offset
    for axis in axes where shapeDims[axis] > 0 {
      newOffset += (shapeDims[axis] - 1) * strideDims[axis]
      newStrides[axis] = -strideDims[axis]
    }
    return Tensor(storage: storage, shape: shape, strides: newStrides, offset: newOffset)
      .recorded("FlipBackward", detail: "axes: \(axes)", input: self) { g, _, _ in
        GradientList(g.flipped(axes: axes))
      }
  }
}
