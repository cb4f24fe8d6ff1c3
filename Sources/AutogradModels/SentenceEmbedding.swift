import Autograd

/// Sentence embeddings from an encoder's hidden states, as sentence-transformers' `Pooling`
/// and `Normalize` modules compute them.
public enum SentenceEmbedding {
  /// How token states become one vector, as `1_Pooling/config.json` says (`pooling_mode_...`).
  public enum Pooling: String, Sendable, CaseIterable {
    /// The mean over real tokens (`pooling_mode_mean_tokens`).
    case mean
    /// The first token's state, `[CLS]` (`pooling_mode_cls_token`).
    case classToken
    /// The element-wise maximum over real tokens (`pooling_mode_max_tokens`).
    case max
    /// The sum over real tokens divided by the square root of their count (`pooling_mode_mean_sqrt_len_tokens`).
    case meanSquareRootLength

    /// Pools `hidden` `[N, L, H]` with the 0/1 mask `[N, L]` into `[N, H]`.
    public func callAsFunction(_ hidden: Tensor, attentionMask: Tensor) -> Tensor {
      switch self {
      case .mean: return SentenceEmbedding.meanPooled(hidden, attentionMask: attentionMask)
      case .classToken: return hidden[.all, 0]
      case .max:
        // Padding is set far below every real value first, as sentence-transformers does.
        let padding = (attentionMask .== 0).unsqueezed(at: -1)
        return Tensor.where(padding, Tensor.full([], value: -1e9, dtype: hidden.dtype), hidden).max(axis: 1)
      case .meanSquareRootLength:
        let mask = attentionMask.cast(to: hidden.dtype).unsqueezed(at: -1)
        return (hidden * mask).sum(axis: 1) / mask.sum(axis: 1).clamped(min: 1e-9).sqrt()
      }
    }
  }

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
