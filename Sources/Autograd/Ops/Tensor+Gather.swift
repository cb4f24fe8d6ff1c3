/// Ops that pick elements by index: gather/scatter along an axis, index selection, masks, and
/// subscripts with an integer or bool tensor. Each pair is the other's backward.
extension Tensor {
  /// out[i][j] = self[i][index[i][j]] along `axis` (here 1); `index` is int64 with the output's shape.
  ///
  /// Backward: the gradient is added back at the gathered positions (scatterAdd).
  public func gather(axis: Int, index: Tensor) -> Tensor {
    let axis = Shape.axis(axis, rank: rank, op: "gather")
    checkIndex(index, "gather")
    trapUnless(index.rank == rank, "gather: index has rank \(index.rank) but the tensor has rank \(rank)")
    return Kernels.gather(self, axis: axis, index: index)
      .recorded("GatherBackward", input: self, saving: TensorList(index)) { [shape] g, s, _ in
        GradientList(Tensor.zeros(shape, dtype: g.dtype).scatterAdding(axis: axis, index: s[0], source: g))
      }
  }

  /// A copy of `self` with `source` written at `index` along `axis`:
  /// out[i][index[i][j]] = source[i][j] (for axis 1). With repeated indices, one of the writes wins.
  ///
  /// Backward: to `self`, the gradient with the overwritten places zeroed; to `source`, the
  /// gradient gathered from them.
  public func scattering(axis: Int, index: Tensor, source: Tensor) -> Tensor {
    scatterOp(axis: axis, index: index, source: source, accumulate: false)
  }

  /// A copy of `self` with `source` added at `index` along `axis`; repeated indices add up.
  ///
  /// Backward: to `self`, the gradient; to `source`, the gradient gathered at `index`.
  public func scatterAdding(axis: Int, index: Tensor, source: Tensor) -> Tensor {
    scatterOp(axis: axis, index: index, source: source, accumulate: true)
  }

  private func scatterOp(axis: Int, index: Tensor, source: Tensor, accumulate: Bool) -> Tensor {
    let name: StaticString = accumulate ? "scatterAdd" : "scatter"
    let axis = Shape.axis(axis, rank: rank, op: name)
    checkIndex(index, name)
    trapUnless(index.rank == rank, "\(name): index has rank \(index.rank) but the tensor has rank \(rank)")
    return Tensor.promoting(self, source, op: name) { base, src in
      let out = Kernels.contiguousCopy(base.detached())
      Kernels.scatter(into: out, axis: axis, index: index, source: src, accumulate: accumulate, op: name)
      return out.recorded(
        accumulate ? "ScatterAddBackward" : "ScatterBackward", inputs: base, src,
        saving: TensorList(index)
      ) {
        [sourceShape = src.shape] g, s, needs in
        let index = s[0]
        let toBase =
          accumulate ? g : g.scattering(axis: axis, index: index, source: Tensor.zeros([], dtype: g.dtype))
        return GradientList(
          needs[0] ? toBase : nil,
          needs[1] ? g.gather(axis: axis, index: index).unbroadcast(to: sourceShape) : nil)
      }
    }
  }

  /// The slices at `indices` (an int64 vector; negative values count from the end) along `axis`.
  ///
  /// Backward: the gradient slices are added back at their indices.
  public func indexSelect(axis: Int, indices: Tensor) -> Tensor {
    let axis = Shape.axis(axis, rank: rank, op: "indexSelect")
    checkIndex(indices, "indexSelect")
    trapUnless(indices.rank <= 1, "indexSelect: indices must be a vector, got shape \(indices.shape)")
    return selecting(axis: axis, indices: resolved(indices, size: shapeDims[axis], op: "indexSelect"))
  }

  /// A copy of `self` with the slices of `source` added at `indices` along `axis`, as PyTorch's
  /// `index_add`: slice `i` of `source` is added to slice `indices[i]`, and repeated indices add
  /// up. `source` has `self`'s shape but for `axis`, which has one slice per index.
  ///
  /// Backward: to `self`, the gradient; to `source`, the gradient's slices at `indices`.
  public func indexAdding(axis: Int, indices: Tensor, source: Tensor) -> Tensor {
    let axis = Shape.axis(axis, rank: rank, op: "indexAdd")
    checkIndex(indices, "indexAdd")
    trapUnless(indices.rank <= 1, "indexAdd: indices must be a vector, got shape \(indices.shape)")
    var expected = shape
    expected[axis] = indices.count
    trapUnless(
      source.shapeDims == expected,
      "indexAdd: source \(source.shape) does not fit \(shape) with \(indices.count) indices along axis \(axis)")
    trapUnless(
      source.dtype == dtype, "indexAdd: self (\(dtype)) and source (\(source.dtype)) must have the same dtype")
    return self
      + source.adding(into: shape, axis: axis, indices: resolved(indices, size: shapeDims[axis], op: "indexAdd"))
  }

  /// Elements picked by an int64 tensor along the first axis (`x[idx]`), or, for a bool mask
  /// broadcastable to `self`'s shape, the elements where it is true as a vector (`x[mask]`).
  public subscript(_ index: Tensor) -> Tensor {
    if index.dtype == .bool {
      let mask = index.expanded(to: shape).scalars(as: Bool.self)
      return flattened().selecting(axis: 0, indices: mask.indices.filter { mask[$0] })
    }
    checkIndex(index, "subscript")
    trapUnless(rank >= 1, "subscript: cannot index a scalar with a tensor")
    let picked = selecting(axis: 0, indices: resolved(index, size: shapeDims[0], op: "subscript"))
    return picked.reshaped(to: index.shape + shape.dropFirst())
  }

  /// `value` where `mask` (broadcast) is true, `self` elsewhere.
  public func maskedFill(_ mask: Tensor, value: Double) -> Tensor {
    // The result keeps this tensor's dtype, as PyTorch's masked_fill does (the value is converted).
    Tensor.where(mask, Tensor(value, dtype: dtype), self)
  }

  /// Slices at (valid) `indices` along `axis`; differentiable to any order with `adding`.
  func selecting(axis: Int, indices: [Int]) -> Tensor {
    Kernels.indexSelect(self, axis: axis, indices: indices)
      .recorded("IndexSelectBackward", input: self) { [shape] g, _, _ in
        GradientList(g.adding(into: shape, axis: axis, indices: indices))
      }
  }

  /// Zeros of `shape` with the slices of `self` added at `indices` along `axis`.
  func adding(into shape: [Int], axis: Int, indices: [Int]) -> Tensor {
    Kernels.indexAdd(self, shape: shape, axis: axis, indices: indices)
      .recorded("IndexAddBackward", input: self) { g, _, _ in
        GradientList(g.selecting(axis: axis, indices: indices))
      }
  }

  private func checkIndex(_ index: Tensor, _ op: StaticString) {
    trapUnless(index.dtype == .int64, "\(op): indices must be an int64 tensor, got \(index.dtype)")
  }

  private func resolved(_ index: Tensor, size: Int, op: StaticString) -> [Int] {
    index.scalars(as: Int64.self).map { raw in
      let i = Int(raw) < 0 ? Int(raw) + size : Int(raw)
      trapUnless(i >= 0 && i < size, "\(op): index \(raw) is out of range for an axis of size \(size)")
      return i
    }
  }
}
