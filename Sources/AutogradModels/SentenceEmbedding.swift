import Autograd

/// Sentence embeddings from an encoder's hidden states, as sentence-transformers' `Pooling`
/// (mean over real tokens) and `Normalize` modules compute them.
public enum SentenceEmbedding {
  /// The mean of each sentence's hidden states over its real tokens: `[N, L, H]` and a 0/1 (or
  /// bool) mask `[N, L]` give `[N, H]`. A sentence with no real token gives zeros.
  public static func meanPooled(_ hidden: Tensor, attentionMask: Tensor) -> Tensor {
    trapUnless(
      hidden.rank == 3 && attentionMask.shape == Array(hidden.shape.prefix(2)),
      "meanPooled: expected hidden states [N, L, H] and a mask [N, L], got \(hidden.shape) and \(attentionMask.shape)")
    let mask = attentionMask.cast(to: hidden.dtype).unsqueezed(at: -1)
    return (hidden * mask).sum(axis: 1) / mask.sum(axis: 1).clamped(min: 1e-9)
  }
}

extension Tensor {
  /// Each row divided by its Euclidean length (at least 1e-12), as `F.normalize(x, p=2, dim=-1)`.
  public func l2Normalized() -> Tensor {
    self / norm(axes: [-1], keepDims: true).clamped(min: 1e-12)
  }
}
