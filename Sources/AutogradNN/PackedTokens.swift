import Autograd

/// The real tokens of a padded batch, packed into rows, so that a sequence model spends no work
/// on padding.
///
/// A batch of sentences padded to the longest is `[batch, length, features]`, and everything a
/// Transformer does outside attention (its projections, feed-forward network and layer
/// normalization) treats each token on its own. Packed, those steps run on the real tokens alone,
/// `[count, features]`; attention, the one step that mixes the tokens of a sentence, unpacks its
/// projections to `[batch, length, features]` and masks the padding
/// (`MultiheadAttention.selfAttention(_:tokens:)`). PyTorch's encoder layers do the same in
/// inference (their nested-tensor fast path), and so do the "unpadded" BERT kernels.
///
/// ```swift
/// let tokens = PackedTokens(attentionMask: mask)      // mask [batch, length], 1 = a real token
/// let packed = tokens.pack(hidden)                    // [batch, length, E] -> [count, E]
/// let padded = tokens.unpack(layer(packed))           // back, with zeros where the padding was
/// ```
///
/// Packing and unpacking are differentiable: unpacking's gradient is packing's, and the other way
/// round.
public struct PackedTokens {
  /// The padded batch's shape, `[batch, length]`.
  public let batchShape: [Int]
  /// Where each real token lies in the flattened batch (`b * length + t`), in order, as int64.
  public let rows: Tensor
  /// Each real token's position in its own sequence (`t`), as int64: the position ids that a
  /// padded batch would give it.
  public let positions: Tensor
  /// True where the padded batch holds padding, `[batch, length]`: the key padding mask of
  /// attention on the unpacked tokens.
  public let padding: Tensor

  /// The real tokens marked in `attentionMask`, `[batch, length]`: bool (true for a token) or a
  /// number (non-zero for a token), as Hugging Face's tokenizers give it. Padding may lie
  /// anywhere (on the right, as BERT's tokenizer pads, or on the left).
  public init(attentionMask: Tensor) {
    trapUnless(
      attentionMask.rank == 2, "PackedTokens: expected an attention mask [batch, length], got \(attentionMask.shape)")
    let keep = attentionMask.dtype == .bool ? attentionMask : attentionMask .!= 0
    let flags = keep.scalars(as: Bool.self)
    let length = attentionMask.shape[1]
    let kept = flags.indices.filter { flags[$0] }
    batchShape = attentionMask.shape
    rows = Tensor(integers: kept)
    positions = Tensor(integers: kept.map { $0 % length })
    padding = keep.logicalNot()
  }

  /// How many real tokens the batch holds.
  public var count: Int { rows.count }

  /// Whether the batch has no padding at all, so that packing would only copy.
  public var isDense: Bool { count == batchShape[0] * batchShape[1] }

  /// The real tokens of `padded`, `[batch, length, ...]`, as rows `[count, ...]`.
  public func pack(_ padded: Tensor) -> Tensor {
    trapUnless(
      padded.rank >= 2 && Array(padded.shape.prefix(2)) == batchShape,
      "PackedTokens.pack: expected [\(batchShape[0]), \(batchShape[1]), ...], got \(padded.shape)")
    let flat = padded.reshaped(to: [batchShape[0] * batchShape[1]] + padded.shape.dropFirst(2))
    return flat.indexSelect(axis: 0, indices: rows)
  }

  /// Rows `[count, ...]` put back in their places in the batch, `[batch, length, ...]`, with zeros
  /// where the padding is.
  public func unpack(_ packed: Tensor) -> Tensor {
    trapUnless(
      packed.rank >= 1 && packed.shape[0] == count,
      "PackedTokens.unpack: expected \(count) rows, got \(packed.shape)")
    let rest = Array(packed.shape.dropFirst())
    let zeros = Tensor.zeros([batchShape[0] * batchShape[1]] + rest, dtype: packed.dtype)
    return zeros.indexAdding(axis: 0, indices: rows, source: packed).reshaped(to: batchShape + rest)
  }
}
