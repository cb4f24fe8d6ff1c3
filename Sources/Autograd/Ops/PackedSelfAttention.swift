/// Self-attention whose queries, keys and values are one projection `[N, L, 3E]`: its first E
/// columns the queries, the next E the keys, the last E the values (as a packed
/// `in_proj_weight` gives them), each cut into `heads` heads of E / heads. Returns the heads'
/// attended values merged back, `[N, L, E]`. `mask` broadcasts to `[N, heads, L, L]`: a bool mask
/// keeps the positions where it is true, a float mask is added to the scores.
///
/// One op, "ScaledDotProductAttentionBackward", whose input is the projection itself: the heads
/// are read from it through strides, and backward writes the three gradients into one
/// `[N, L, 3E]` tensor. Cut into views first, each view's gradient would be scattered into a
/// zero tensor of the projection's size and the three added. A float mask that requires grad,
/// and gradients of gradients, go through `scaledDotProductAttention` on the views.
package func packedSelfAttention(_ projection: Tensor, heads: Int, mask: Tensor?, scale: Double) -> Tensor {
  trapUnless(
    projection.rank == 3 && heads > 0 && projection.shapeDims[2] % (3 * heads) == 0,
    "attention: a packed projection is [N, L, 3 · heads · d], got \(projection.shape) for \(heads) heads")
  let (n, l, e) = (projection.shapeDims[0], projection.shapeDims[1], projection.shapeDims[2] / 3)
  let (dtype, d) = (projection.dtype, e / heads)
  guard dtype.isFloatingPoint, projection.count > 0,
    mask.map({ !$0.requiresGrad && ($0.dtype == .bool || $0.dtype == dtype) }) ?? true
  else {
    let views = projectionHeads(projection, heads: heads)
    return mergedHeads(
      scaledDotProductAttention(query: views[0], key: views[1], value: views[2], mask: mask, scale: scale))
  }
  let scoresShape = [n, heads, l, l]
  if let mask {
    trapUnless(
      Shape.broadcast(scoresShape, mask.shape, op: "scaledDotProductAttention") == scoresShape,
      "attention: mask \(mask.shape) does not broadcast to the scores \(scoresShape)")
  }
  // The queries, keys and values of a `[N, L, 3E]` tensor (the projection or its gradient) as
  // unrecorded head views.
  let thirds = { (t: Tensor) in (0..<3).map { headView(t, heads: heads, d: d, column: $0 * e) } }
  let output = Tensor(empty: [n, l, e], dtype: dtype)
  let qkv = thirds(projection.detached())
  let (_, weights) = Kernels.attention(
    query: qkv[0], key: qkv[1], value: qkv[2],
    mask: mask.map { additiveAttentionMask($0, dtype: dtype).detached().expanded(to: scoresShape) },
    isCausal: false, scale: scale, into: headView(output, heads: heads, d: d, column: 0))
  var inputs: TensorList = [projection]
  if let mask { inputs.append(mask) }
  var saved = inputs
  saved.append(weights)
  return output.recorded("ScaledDotProductAttentionBackward", inputs: inputs, saving: saved) { g, saved, needs in
    if GradMode.isEnabled {
      let operands = (0..<(saved.count - 1)).map { saved[$0] }
      return gradientsByRecomputing(
        { composedPackedAttention($0, heads: heads, scale: scale) }, inputs: operands, outputGradient: g, needs: needs)
    }
    let (qkv, gradient) = (thirds(saved[0].detached()), Tensor(empty: saved[0].shape, dtype: dtype))
    let destinations = thirds(gradient)
    _ = Kernels.attentionBackward(
      headView(g, heads: heads, d: d, column: 0), query: qkv[0], key: qkv[1], value: qkv[2],
      weights: saved[saved.count - 1], scale: scale, needs: (true, true, true),
      into: (destinations[0], destinations[1], destinations[2]))
    var list: GradientList = [gradient]
    if saved.count > 2 { list.append(nil) }
    return list
  }
}

/// `packedSelfAttention` recorded op by op from `[projection]` or `[projection, mask]`: its
/// path for gradients of gradients, and the reference for its tests.
func composedPackedAttention(_ operands: [Tensor], heads: Int, scale: Double) -> Tensor {
  let views = projectionHeads(operands[0], heads: heads)
  return mergedHeads(composedAttention(views + operands.dropFirst(), isCausal: false, scale: scale))
}

/// The queries, keys and values of a packed projection `[N, L, 3E]` as recorded views
/// `[N, heads, L, E / heads]`.
private func projectionHeads(_ projection: Tensor, heads: Int) -> [Tensor] {
  let (n, l, e) = (projection.shapeDims[0], projection.shapeDims[1], projection.shapeDims[2] / 3)
  return projection.split(size: e, axis: 2).map { $0.reshaped(to: [n, l, heads, e / heads]).transposed(1, 2) }
}

/// Heads `[N, heads, L, d]` merged into `[N, L, heads · d]`.
private func mergedHeads(_ x: Tensor) -> Tensor {
  x.transposed(1, 2).reshaped(to: [x.shapeDims[0], x.shapeDims[2], x.shapeDims[1] * x.shapeDims[3]])
}

/// An unrecorded view `[N, heads, L, d]` of the `heads · d` columns of `t` `[N, L, W]` that start
/// at `column`, read through `t`'s strides.
private func headView(_ t: Tensor, heads: Int, d: Int, column: Int) -> Tensor {
  let s = t.strides
  return Tensor(
    storage: t.storage, shape: [t.shapeDims[0], heads, t.shapeDims[1], d], strides: [s[0], d * s[2], s[1], s[2]],
    offset: t.offset + column * s[2])
}
