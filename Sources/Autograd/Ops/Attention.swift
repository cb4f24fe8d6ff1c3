/// softmax(Q Kᵀ · scale + mask) V, as PyTorch's `scaled_dot_product_attention`.
///
/// `query` is `[..., L, E]`, `key` `[..., S, E]`, `value` `[..., S, Ev]`; the result is `[..., L, Ev]`.
/// `scale` defaults to 1/√E. A bool `mask` (broadcast to `[..., L, S]`) keeps the positions where
/// it is true; a floating-point mask is added to the scores. `isCausal` keeps position j for
/// query i only when j <= i.
public func scaledDotProductAttention(
  query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
  isCausal: Bool = false, scale: Double? = nil
) -> Tensor {
  CompositeCall.run("ScaledDotProductAttention", inputs: [query, key, value, mask]) {
    trapUnless(
      query.rank >= 2 && key.rank >= 2 && value.rank >= 2,
      "attention: query, key and value need at least 2 axes, got \(query.shape), \(key.shape), \(value.shape)")
    trapUnless(
      query.shape.last == key.shape.last,
      "attention: query \(query.shape) and key \(key.shape) differ in the embedding size")
    trapUnless(
      key.shape[key.rank - 2] == value.shape[value.rank - 2],
      "attention: key \(key.shape) and value \(value.shape) differ in the sequence length")
    let e = Double(query.shape.last!)
    var scores = query.matmul(key.transposed()) * (scale ?? 1 / e.squareRoot())
    let negativeInfinity = Tensor.full([], value: -.infinity, dtype: scores.dtype)
    if isCausal {
      let (l, s) = (query.shape[query.rank - 2], key.shape[key.rank - 2])
      let allowed = Tensor(bools: (0..<(l * s)).map { $0 % s <= $0 / s }, shape: [l, s])
      scores = Tensor.where(allowed, scores, negativeInfinity)
    }
    if let mask {
      scores = mask.dtype == .bool ? Tensor.where(mask, scores, negativeInfinity) : scores + mask
    }
    return scores.softmax(axis: -1).matmul(value)
  }
}
