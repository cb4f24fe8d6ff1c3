extension Tensor {
  /// The matrix product, with PyTorch's rules for every rank:
  /// vector·vector is a dot product (a scalar); `[n, k]`·`[k, m]` is `[n, m]`; a vector on the left
  /// acts as a row and on the right as a column (that axis is then removed); tensors of higher rank
  /// are stacks of matrices whose leading (batch) axes broadcast. A stack times a matrix or a vector
  /// runs as one product over the stack's rows.
  ///
  /// Backward: d(AB) = dA·B + A·dB, so dA = G·Bᵀ and dB = Aᵀ·G, summed over broadcast batch axes.
  ///
  /// - Precondition: Both tensors have rank at least 1 and their inner dimensions are equal.
  /// - Complexity: O(n·k·m) multiply-adds per matrix.
  public func matmul(_ other: Tensor) -> Tensor {
    trapUnless(
      rank >= 1 && other.rank >= 1,
      "matmul: both arguments need at least one axis, got shapes \(shape) and \(other.shape)")
    let k = shapeDims[rank - 1]
    let k2 = other.shapeDims[Swift.max(other.rank - 2, 0)]
    trapUnless(k == k2, "matmul: inner dimensions differ, \(shape) vs \(other.shape)")
    return Tensor.promoting(self, other, op: "matmul") { a0, b0 in
      // A stack of matrices times one matrix is one product: the stack's leading axes fold into its
      // rows, as in PyTorch. N small products would each pack the same right operand, and backward
      // would build a weight gradient per matrix and then sum them.
      if rank >= 3 && other.rank <= 2 {
        let leading = Array(shape.dropLast())
        let columns = other.rank == 1 ? [] : [other.shapeDims[1]]
        return a0.reshaped(to: [Shape.count(leading), k]).matmul(b0).reshaped(to: leading + columns)
      }
      // Vectors become matrices, and their extra axis is removed from the result at the end.
      let a = rank == 1 ? a0.unsqueezed(at: 0) : a0
      let b = other.rank == 1 ? b0.unsqueezed(at: 1) : b0
      let batch = Shape.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "matmul")
      var result = Tensor.batchedMatmul(
        a.expanded(to: batch + a.shape.suffix(2)),
        b.expanded(to: batch + b.shape.suffix(2)))
      if other.rank == 1 { result = result.squeezed(at: -1) }
      if rank == 1 { result = result.squeezed(at: -2 + (other.rank == 1 ? 1 : 0)) }
      return result
    }
  }

  /// Matrix products of two stacks with the same batch shape; differentiable to any order.
  static func batchedMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    Kernels.matmul(a, b).recorded("MmBackward", inputs: a, b, saving: TensorList(a, b)) { g, s, needs in
      // An input that is a transposed view (a linear layer's weight) gets its gradient computed as
      // the transpose of the transposed product: the same sums in the same order, laid out so
      // that the gradient reaching the weight is contiguous and needs no copy.
      GradientList(
        needs[0]
          ? (s[0].isColumnMajor
            ? batchedMatmul(s[1], g.transposed()).transposed()
            : batchedMatmul(g, s[1].transposed())) : nil,
        needs[1]
          ? (s[1].isColumnMajor
            ? batchedMatmul(g.transposed(), s[0]).transposed()
            : batchedMatmul(s[0].transposed(), g)) : nil)
    }
  }

  /// Whether the last two axes are a transposed contiguous matrix (a `.transposed()` view).
  private var isColumnMajor: Bool {
    let r = rank
    return r >= 2 && shapeDims[r - 1] > 1 && shapeDims[r - 2] > 1 && strideDims[r - 2] == 1
      && strideDims[r - 1] == shapeDims[r - 2]
  }
}
