extension Tensor {
  /// The sum of all elements, as a scalar.
  public func sum() -> Tensor { sum(axes: Array(0..<rank)) }

  /// The sum along `axis`; with `keepDims` the axis stays with size 1.
  public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

  /// The sum along each of `axes` (negative axes count from the end). Floats sum to their own
  /// dtype; int64 and bool tensors sum to int64, as in PyTorch (`(predicted .== labels).sum()` counts).
  ///
  /// Backward: the gradient is copied back along the summed axes.
  public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
    let axes = normalized(axes, op: "sum")
    let keptShape = shapeDims.indices.map { axes.contains($0) ? 1 : shapeDims[$0] }
    let out = Kernels.sum(dtype == .bool ? cast(to: .int64) : self, axes: axes)
    out.setView(
      shape: keepDims ? keptShape : out.shape, strides: Shape.contiguousStrides(keepDims ? keptShape : out.shape),
      offset: 0)
    let detail = axes.count == rank ? nil : "axes: \(axes)\(keepDims ? ", keepDims" : "")"
    return out.recorded("SumBackward", detail: detail, input: self) { [inputShape = shape] g, _, _ in
      GradientList(g.reshaped(to: keptShape).expanded(to: inputShape))
    }
  }

  /// The mean of all elements, as a scalar.
  public func mean() -> Tensor { mean(axes: Array(0..<rank)) }

  /// The mean along `axis`.
  public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

  /// The mean along each of `axes`: their sum divided by the number of elements summed.
  public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
    // PyTorch refuses too: the mean of integers has no integer dtype to be returned in.
    trapUnless(
      dtype.isFloatingPoint,
      "mean: expected a floating-point tensor, got \(dtype); cast it first, as in x.cast(to: .float32).mean()")
    let n = normalized(axes, op: "mean").reduce(1) { $0 * shapeDims[$1] }
    return sum(axes: axes, keepDims: keepDims) / Double(n)
  }

  /// The largest element, as a scalar. Backward: the gradient is split evenly among the elements
  /// that tie for the largest, as PyTorch's `max()` does.
  public func max() -> Tensor {
    extremeValues(axes: nil, keepDims: false, largest: true, nanTies: true, name: "MaxBackward")
  }

  /// The smallest element, as a scalar. Backward: the gradient is split evenly among the elements
  /// that tie for the smallest, as PyTorch's `min()` does.
  public func min() -> Tensor {
    extremeValues(axes: nil, keepDims: false, largest: false, nanTies: true, name: "MinBackward")
  }

  /// The largest values over `axes` (every axis when `nil`), as PyTorch's `amax`.
  ///
  /// Backward: the gradient is split evenly among the elements that tie for the largest, unlike
  /// `max(axis:)`, which gives it all to the first.
  public func amax(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    extremeValues(axes: axes, keepDims: keepDims, largest: true, nanTies: false, name: "AmaxBackward")
  }

  /// The largest values along `axis`; see `amax(axes:keepDims:)`.
  public func amax(axis: Int, keepDims: Bool = false) -> Tensor { amax(axes: [axis], keepDims: keepDims) }

  /// The smallest values over `axes` (every axis when `nil`), as PyTorch's `amin`; the gradient is
  /// split evenly among ties.
  public func amin(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    extremeValues(axes: axes, keepDims: keepDims, largest: false, nanTies: false, name: "AminBackward")
  }

  /// The smallest values along `axis`; see `amin(axes:keepDims:)`.
  public func amin(axis: Int, keepDims: Bool = false) -> Tensor { amin(axes: [axis], keepDims: keepDims) }

  /// `max()`, `min()`, `amax` and `amin`: the extreme values over `axes`, with the gradient split
  /// evenly among ties. NaN is the extreme of any set that holds one. As in PyTorch, NaNs tie with
  /// each other in `max()` and `min()`; `amax` and `amin` send NaN gradients to such a set.
  private func extremeValues(axes: [Int]?, keepDims: Bool, largest: Bool, nanTies: Bool, name: StaticString) -> Tensor {
    if dtype == .bool {
      return cast(to: .int64).extremeValues(
        axes: axes, keepDims: keepDims, largest: largest, nanTies: nanTies, name: name
      )
      .cast(to: .bool)
    }
    let op = Tensor.opName(name)
    let axes = normalized(axes ?? Array(0..<rank), op: name)
    for axis in axes {
      trapUnless(shapeDims[axis] > 0, "\(op): cannot reduce over axis \(axis) of shape \(shape), which is empty")
    }
    // Each output element reduces one row of the kept-axes-first copy.
    let (rows, kept, inner) = Kernels.gatherReduced(self, axes: axes)
    let matrix = Tensor(
      storage: rows.storage, shape: [Shape.count(kept), inner], strides: [inner, 1], offset: rows.offset)
    let keptDimsShape = shapeDims.indices.map { axes.contains($0) ? 1 : shapeDims[$0] }
    let out = Kernels.extremum(matrix, axis: 1, largest: largest).values
    let outShape = keepDims ? keptDimsShape : kept
    out.setView(shape: outShape, strides: Shape.contiguousStrides(outShape), offset: 0)
    let detail = axes.count == rank ? nil : "axes: \(axes)\(keepDims ? ", keepDims" : "")"
    return out.recorded(name, detail: detail, input: self, saving: TensorList(self, out.detached())) {
      g, s, _ in
      let x = s[0]
      let y = s[1].reshaped(to: keptDimsShape)
      let ties = (nanTies ? (x .== y) .|| (x.isNaN() .&& y.isNaN()) : x .== y).cast(to: x.dtype)
      return GradientList(ties * (g.reshaped(to: keptDimsShape) / ties.sum(axes: axes, keepDims: true)))
    }
  }

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
    if dtype == .bool {
      let (values, indices) = cast(to: .int64).extremum(axis: axis, keepDims: keepDims, largest: largest)
      return (values.cast(to: .bool), indices)
    }
    let axis = Shape.axis(axis, rank: rank, op: op)
    if rank == 0 { return (self * 1, Tensor(integers: [0], shape: [])) }
    trapUnless(shapeDims[axis] > 0, "\(op): cannot reduce over axis \(axis) of shape \(shape), which is empty")
    var (values, indices) = Kernels.extremum(self, axis: axis, largest: largest)
    var keptShape = shape
    keptShape[axis] = 1
    if keepDims {
      values = values.reshaped(to: keptShape)
      indices = indices.reshaped(to: keptShape)
    }
    guard dtype.isFloatingPoint else { return (values, indices) }
    // A 0/1 mask of the chosen positions turns the backward into one differentiable product.
    let mask = Tensor.zeros(shape, dtype: dtype)
    Kernels.scatterOnes(into: mask, axis: axis, indices: indices.reshaped(to: keptShape))
    let name: StaticString = largest ? "MaxBackward" : "MinBackward"
    values.recorded(name, detail: "axis: \(axis)", input: self, saving: TensorList(mask)) { g, s, _ in
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
