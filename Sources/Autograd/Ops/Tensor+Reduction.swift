extension Tensor {
  /// The sum of all elements, as a scalar.
  public func sum() -> Tensor { sum(axes: Array(0..<rank)) }

  /// The sum along `axis`; with `keepDims` the axis stays with size 1.
  public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

  /// The sum along each of `axes` (negative axes count from the end).
  ///
  /// Backward: the gradient is copied back along the summed axes.
  public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
    requireFloatingPoint("sum")
    let axes = normalized(axes, op: "sum")
    let keptShape = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
    let out = Kernels.sum(self, axes: axes)
    out.setView(shape: keepDims ? keptShape : out.shape, strides: Shape.contiguousStrides(keepDims ? keptShape : out.shape),
                offset: 0)
    let detail = axes.count == rank ? nil : "axes: \(axes)\(keepDims ? ", keepDims" : "")"
    return out.recorded("SumBackward", detail: detail, inputs: TensorList(self)) { [inputShape = shape] g, _, _ in
      GradientList(g.reshaped(to: keptShape).expanded(to: inputShape))
    }
  }

  /// The mean of all elements, as a scalar.
  public func mean() -> Tensor { mean(axes: Array(0..<rank)) }

  /// The mean along `axis`.
  public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

  /// The mean along each of `axes`: their sum divided by the number of elements summed.
  public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
    let n = normalized(axes, op: "mean").reduce(1) { $0 * shape[$1] }
    return sum(axes: axes, keepDims: keepDims) / Double(n)
  }

  /// The largest element, as a scalar. Backward: the gradient goes to the first largest element.
  public func max() -> Tensor { reshaped(to: [-1]).max(axis: 0) }

  /// The smallest element, as a scalar. Backward: the gradient goes to the first smallest element.
  public func min() -> Tensor { reshaped(to: [-1]).min(axis: 0) }

  /// The largest values along `axis`. Backward: each gradient goes to the first position that
  /// held the maximum, as PyTorch's `max(dim)` does.
  public func max(axis: Int, keepDims: Bool = false) -> Tensor {
    extremum(axis: axis, keepDims: keepDims, largest: true).values
  }

  /// The smallest values along `axis`, with the gradient going to the first smallest position.
  public func min(axis: Int, keepDims: Bool = false) -> Tensor {
    extremum(axis: axis, keepDims: keepDims, largest: false).values
  }

  /// The indices (int64) of the largest values along `axis`.
  public func argmax(axis: Int, keepDims: Bool = false) -> Tensor {
    extremum(axis: axis, keepDims: keepDims, largest: true).indices
  }

  /// The indices (int64) of the smallest values along `axis`.
  public func argmin(axis: Int, keepDims: Bool = false) -> Tensor {
    extremum(axis: axis, keepDims: keepDims, largest: false).indices
  }

  private func extremum(axis: Int, keepDims: Bool, largest: Bool) -> (values: Tensor, indices: Tensor) {
    let op: StaticString = largest ? "max" : "min"
    requireFloatingPoint(op)
    let axis = Shape.axis(axis, rank: rank, op: op)
    if rank == 0 { return (self * 1, Tensor(integers: [0], shape: [])) }
    var (values, indices) = Kernels.extremum(self, axis: axis, largest: largest)
    var keptShape = shape
    keptShape[axis] = 1
    if keepDims {
      values = values.reshaped(to: keptShape)
      indices = indices.reshaped(to: keptShape)
    }
    // A 0/1 mask of the chosen positions turns the backward into one differentiable product.
    let mask = Tensor.zeros(shape, dtype: dtype)
    Kernels.scatterOnes(into: mask, axis: axis, indices: indices.reshaped(to: keptShape))
    let name: StaticString = largest ? "MaxBackward" : "MinBackward"
    values.recorded(name, detail: "axis: \(axis)", inputs: TensorList(self), saving: TensorList(mask)) { g, s, _ in
      GradientList(g.reshaped(to: keptShape) * s[0])
    }
    return (values, indices)
  }

  /// Sorted, distinct, non-negative axes.
  func normalized(_ axes: [Int], op: StaticString) -> [Int] {
    let result = Set(axes.map { Shape.axis($0, rank: rank, op: op) }).sorted()
    trapUnless(result.count == axes.count, "\(op): repeated axis in \(axes)")
    return rank == 0 ? [] : result
  }
}

extension Kernels {
  /// Sets `mask[..., indices[...], ...] = 1` along `axis`; `indices` has `mask`'s shape with
  /// `axis` of size 1.
  static func scatterOnes(into mask: Tensor, axis: Int, indices: Tensor) {
    let idx = indices.scalars(as: Int64.self)
    let inner = mask.shape[(axis + 1)...].reduce(1, *)
    let size = mask.shape[axis]
    func run<T: FloatingElement>(_: T.Type) {
      let p = mask.basePointer(T.self)
      for (i, j) in idx.enumerated() {
        let outer = i / inner, rest = i % inner
        p[(outer * size + Int(j)) * inner + rest] = 1
      }
    }
    switch mask.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
  }
}
