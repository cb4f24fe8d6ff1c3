/// softmax(Q Kᵀ · scale + mask) V, as PyTorch's `scaled_dot_product_attention`.
///
/// `query` is `[..., L, E]`, `key` `[..., S, E]`, `value` `[..., S, Ev]`; the result is `[..., L, Ev]`.
/// `scale` defaults to 1/√E. A bool `mask` (broadcast to `[..., L, S]`) keeps the positions where
/// it is true; a floating-point mask is added to the scores. `isCausal` keeps position j for
/// query i only when j <= i. A row with no position kept is NaN, as the composed ops give.
///
/// It is one op, "ScaledDotProductAttentionBackward", with a backward rule of its own: each matrix
/// of the batch is attended in one pass (scores, softmax and the product with the values, no
/// tensor in between), reading the operands through their strides, so heads cut out of a
/// projection by `reshaped` and `transposed` are not copied. Gradients of gradients, and a float
/// mask that requires grad, go through the same computation recorded op by op.
public func scaledDotProductAttention(
  query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
  isCausal: Bool = false, scale: Double? = nil
) -> Tensor {
  CompositeCall.run("ScaledDotProductAttention", inputs: [query, key, value, mask]) {
    trapUnless(
      query.rank >= 2 && key.rank >= 2 && value.rank >= 2,
      "attention: query, key and value need at least 2 axes, got \(query.shape), \(key.shape), \(value.shape)")
    trapUnless(
      query.shapeDims.last == key.shapeDims.last,
      "attention: query \(query.shape) and key \(key.shape) differ in the embedding size")
    trapUnless(
      key.shapeDims[key.rank - 2] == value.shapeDims[value.rank - 2],
      "attention: key \(key.shape) and value \(value.shape) differ in the sequence length")
    let scale = scale ?? 1 / Double(query.shapeDims.last!).squareRoot()
    if let fused = fusedAttention(query, key, value, mask: mask, isCausal: isCausal, scale: scale) { return fused }
    return composedAttention([query, key, value] + (mask.map { [$0] } ?? []), isCausal: isCausal, scale: scale)
  }
}

/// A mask as attention adds it to the scores: a bool mask becomes 0 where it equals `keeping` and
/// -∞ elsewhere, in `dtype`; a float mask is returned as it is.
package func additiveAttentionMask(_ mask: Tensor, keeping: Bool = true, dtype: DType) -> Tensor {
  guard mask.dtype == .bool else { return mask }
  let (zero, negativeInfinity) = (
    Tensor.full([], value: 0, dtype: dtype), Tensor.full([], value: -.infinity, dtype: dtype)
  )
  return keeping ? Tensor.where(mask, zero, negativeInfinity) : Tensor.where(mask, negativeInfinity, zero)
}

/// Attention recorded op by op, from `[query, key, value]` or `[query, key, value, mask]`: the
/// reference for the fused op, and its path for gradients of gradients.
func composedAttention(_ operands: [Tensor], isCausal: Bool, scale: Double) -> Tensor {
  let (query, key, value) = (operands[0], operands[1], operands[2])
  let mask = operands.count > 3 ? operands[3] : nil
  var scores = query.matmul(key.transposed()) * scale
  let negativeInfinity = Tensor.full([], value: -.infinity, dtype: scores.dtype)
  if isCausal {
    let (l, s) = (query.shapeDims[query.rank - 2], key.shapeDims[key.rank - 2])
    let allowed = Tensor(bools: (0..<(l * s)).map { $0 % s <= $0 / s }, shape: [l, s])
    scores = Tensor.where(allowed, scores, negativeInfinity)
  }
  if let mask {
    scores = mask.dtype == .bool ? Tensor.where(mask, scores, negativeInfinity) : scores + mask
  }
  return scores.softmax(axis: -1).matmul(value)
}

/// The fused op, or `nil` where it does not apply: operands of different dtypes (the composed
/// ops promote), an empty axis, or a mask of another float dtype or that requires grad.
private func fusedAttention(
  _ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor?, isCausal: Bool, scale: Double
)
  -> Tensor?
{
  let dtype = query.dtype
  guard dtype.isFloatingPoint, key.dtype == dtype, value.dtype == dtype,
    query.count > 0, key.count > 0, value.count > 0
  else { return nil }
  if let mask, mask.requiresGrad || (mask.dtype != .bool && mask.dtype != dtype) { return nil }
  let (l, s) = (query.shapeDims[query.rank - 2], key.shapeDims[key.rank - 2])
  var batch = Shape.broadcast(
    Array(query.shape.dropLast(2)), Array(key.shape.dropLast(2)), op: "scaledDotProductAttention")
  batch = Shape.broadcast(batch, Array(value.shape.dropLast(2)), op: "scaledDotProductAttention")
  if let mask {
    let scores = Shape.broadcast(batch + [l, s], mask.shape, op: "scaledDotProductAttention")
    trapUnless(
      scores.suffix(2) == [l, s],
      "attention: mask \(mask.shape) does not broadcast to the scores [..., \(l), \(s)]")
    batch = Array(scores.dropLast(2))
  }
  // Every operand viewed at the common batch shape, without recording.
  let batchShape = batch
  let full = { (x: Tensor) in x.detached().expanded(to: batchShape + x.shape.suffix(2)) }
  let additiveMask = mask.map { additiveAttentionMask($0, dtype: dtype).detached().expanded(to: batchShape + [l, s]) }
  let (output, weights) = Kernels.attention(
    query: full(query), key: full(key), value: full(value), mask: additiveMask, isCausal: isCausal, scale: scale)
  // The mask is an input (it never needs a gradient here) so that the op's inputs are the call's.
  var inputs: TensorList = [query, key, value]
  if let mask { inputs.append(mask) }
  var saved = inputs
  saved.append(weights)
  return output.recorded("ScaledDotProductAttentionBackward", inputs: inputs, saving: saved) { g, saved, needs in
    let operands = (0..<(saved.count - 1)).map { saved[$0] }
    if GradMode.isEnabled {
      return gradientsByRecomputing(
        { composedAttention($0, isCausal: isCausal, scale: scale) }, inputs: operands, outputGradient: g, needs: needs)
    }
    let grads = Kernels.attentionBackward(
      g, query: full(operands[0]), key: full(operands[1]), value: full(operands[2]),
      weights: saved[saved.count - 1], scale: scale, needs: (needs[0], needs[1], needs[2]))
    var list: GradientList = [
      grads.query?.unbroadcast(to: operands[0].shape), grads.key?.unbroadcast(to: operands[1].shape),
      grads.value?.unbroadcast(to: operands[2].shape),
    ]
    if operands.count > 3 { list.append(nil) }
    return list
  }
}
