extension Tensor {
  /// The same elements with a new shape; one size may be -1 and is then inferred.
  ///
  /// A view when the elements are contiguous, a copy otherwise.
  public func reshaped(to newShape: [Int]) -> Tensor {
    let shape = inferredShape(newShape)
    if shape == self.shape { return self }
    let source = isContiguous ? self : contiguous()
    let view = Tensor(
      storage: source.storage, shape: shape, strides: Shape.contiguousStrides(shape),
      offset: source.offset)
    return view.recorded("ViewBackward", input: source) { [inputShape = self.shape] g, _, _ in
      GradientList(g.reshaped(to: inputShape))
    }
  }

  private func inferredShape(_ newShape: [Int]) -> [Int] {
    let unknown = newShape.indices.filter { newShape[$0] == -1 }
    trapUnless(
      unknown.count <= 1 && newShape.allSatisfy { $0 >= -1 },
      "reshape: invalid shape \(newShape) (at most one -1, no other negative size)")
    var shape = newShape
    if let i = unknown.first {
      let known = newShape.filter { $0 != -1 }.reduce(1, *)
      trapUnless(
        known != 0 && count % known == 0,
        "reshape: shape \(newShape) is invalid for a tensor of shape \(self.shape) (\(count) elements)")
      shape[i] = count / known
    }
    trapUnless(
      Shape.count(shape) == count,
      "reshape: shape \(newShape) is invalid for a tensor of shape \(self.shape) (\(count) elements)")
    return shape
  }

  /// A copy with its own contiguous storage (as `clone()`); gradients flow through unchanged.
  public func clone() -> Tensor {
    Kernels.contiguousCopy(self).recorded("CloneBackward", input: self) { g, _, _ in GradientList(g) }
  }

  /// The elements as a vector.
  public func flattened() -> Tensor { reshaped(to: [-1]) }

  /// A contiguous tensor with the same values: `self` when it already is, otherwise a copy.
  public func contiguous() -> Tensor {
    if isContiguous { return self }
    return Kernels.contiguousCopy(self).recorded("CloneBackward", input: self) { g, _, _ in GradientList(g)
    }
  }

  /// The axes reordered: axis `i` of the result is axis `permutation[i]` of `self`. A view.
  public func permuted(_ permutation: [Int]) -> Tensor {
    let perm = permutation.map { Shape.axis($0, rank: rank, op: "permute") }
    trapUnless(
      perm.count == rank && Set(perm).count == rank,
      "permute: \(permutation) is not a permutation of the \(rank) axes of shape \(shape)")
    if perm == Array(0..<rank) { return self }
    var inverse = perm
    for (i, p) in perm.enumerated() { inverse[p] = i }
    return Tensor(
      storage: storage, shape: perm.map { shapeDims[$0] }, strides: perm.map { strideDims[$0] }, offset: offset
    )
    .recorded("PermuteBackward", input: self) { g, _, _ in GradientList(g.permuted(inverse)) }
  }

  /// Swaps two axes. A view.
  public func transposed(_ axis0: Int, _ axis1: Int) -> Tensor {
    var perm = Array(0..<rank)
    perm.swapAt(Shape.axis(axis0, rank: rank, op: "transpose"), Shape.axis(axis1, rank: rank, op: "transpose"))
    return permuted(perm)
  }

  /// Swaps the last two axes (the matrix transpose); tensors of rank below 2 are returned as they are.
  public func transposed() -> Tensor { rank < 2 ? self : transposed(rank - 2, rank - 1) }

  /// Repeats axes of size 1 (and adds leading axes) to reach `newShape`, without copying:
  /// the repeated axes get stride 0. A size of -1 keeps the existing size.
  ///
  /// Backward: the gradient is summed over the repeated axes.
  public func expanded(to newShape: [Int]) -> Tensor {
    trapUnless(newShape.count >= rank, "expand: cannot expand shape \(shape) to fewer axes, \(newShape)")
    let lead = newShape.count - rank
    var target = newShape
    for i in 0..<rank {
      if target[lead + i] == -1 { target[lead + i] = shapeDims[i] }
      trapUnless(
        shapeDims[i] == target[lead + i] || shapeDims[i] == 1,
        "expand: the size \(shapeDims[i]) of axis \(i) of \(shape) must be 1 to expand to \(newShape)")
    }
    if target == shape { return self }
    return Tensor(
      storage: storage, shape: target, strides: Shape.broadcastStrides(shape, strides, to: target),
      offset: offset
    )
    .recorded("ExpandBackward", input: self) { [inputShape = shape] g, _, _ in
      GradientList(g.unbroadcast(to: inputShape))
    }
  }

  /// Inserts an axis of size 1 at `axis` (which may be `rank`, or negative). A view.
  public func unsqueezed(at axis: Int) -> Tensor {
    let a = axis < 0 ? axis + rank + 1 : axis
    trapUnless(a >= 0 && a <= rank, "unsqueeze: axis \(axis) is out of range for rank \(rank)")
    var newShape = shape
    newShape.insert(1, at: a)
    var newStrides = strides
    newStrides.insert(a < rank ? strideDims[a] * shapeDims[a] : 1, at: a)
    return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
      .recorded("UnsqueezeBackward", input: self) { [inputShape = shape] g, _, _ in
        GradientList(g.reshaped(to: inputShape))
      }
  }

  /// Removes `axis` if its size is 1 (otherwise returns `self`, as PyTorch). A view.
  public func squeezed(at axis: Int) -> Tensor {
    let a = Shape.axis(axis, rank: rank, op: "squeeze")
    guard rank > 0, shapeDims[a] == 1 else { return self }
    return removingAxes([a])
  }

  /// Removes every axis of size 1. A view.
  public func squeezed() -> Tensor { removingAxes(shapeDims.indices.filter { shapeDims[$0] == 1 }) }

  private func removingAxes(_ axes: [Int]) -> Tensor {
    if axes.isEmpty { return self }
    let keep = shapeDims.indices.filter { !axes.contains($0) }
    return Tensor(
      storage: storage, shape: keep.map { shapeDims[$0] }, strides: keep.map { strideDims[$0] }, offset: offset
    )
    .recorded("SqueezeBackward", input: self) { [inputShape = shape] g, _, _ in
      GradientList(g.reshaped(to: inputShape))
    }
  }
}
