import Autograd

/// Multi-head attention, as `nn.MultiheadAttention`. Inputs are `[L, N, E]` (`[N, L, E]` with
/// `batchFirst`).
///
/// The query, key and value projections come in one of two layouts (`Projections`): packed, as
/// PyTorch's module stores them (`in_proj_weight` `[3E, E]`, `in_proj_bias`, and `out_proj`), or
/// as three `Linear` layers of their own (`query`, `key`, `value`), as BERT and most checkpoints of
/// Hugging Face's models store them. Both compute the same function.
public final class MultiheadAttention: Module {
  /// How the query, key and value projections are stored.
  public enum Projections: Sendable {
    /// One `[3E, E]` weight and one `[3E]` bias, named as PyTorch's `nn.MultiheadAttention`'s.
    case packed
    /// Three `Linear` layers, `query`, `key` and `value` (BERT's layout).
    case separate
  }

  public let embedDimension: Int, heads: Int, batchFirst: Bool
  /// The probability of dropping each attention weight in training, as PyTorch's `dropout`.
  public let dropout: Double
  private var dropoutGenerator: RandomGenerator
  /// The packed projections, `[3E, E]` and `[3E]` (query, key and value in that order), or `nil`
  /// with separate ones.
  public private(set) var inProjectionWeight: Tensor?, inProjectionBias: Tensor?
  /// The separate projections, or `nil` when packed.
  public let query: Linear?, key: Linear?, value: Linear?
  public let outProjection: Linear

  public init(
    embedDimension: Int, heads: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = false,
    projections: Projections = .packed, dtype: DType = .float32, generator: inout RandomGenerator
  ) {
    trapUnless(
      heads > 0 && embedDimension % heads == 0,
      "MultiheadAttention: \(embedDimension) does not split into \(heads) heads")
    trapUnless(
      dropout >= 0 && dropout <= 1, "MultiheadAttention: dropout must be a probability in [0, 1], got \(dropout)")
    (self.embedDimension, self.heads, self.batchFirst, self.dropout) = (embedDimension, heads, batchFirst, dropout)
    switch projections {
    case .packed:
      let weight = Tensor.zeros([3 * embedDimension, embedDimension], dtype: dtype)
      Init.xavierUniform(weight, generator: &generator)
      weight.requiresGrad = true
      inProjectionWeight = weight
      inProjectionBias = bias ? Tensor.zeros([3 * embedDimension], dtype: dtype, requiresGrad: true) : nil
      (query, key, value) = (nil, nil, nil)
    case .separate:
      func projection() -> Linear {
        Linear(inputSize: embedDimension, outputSize: embedDimension, bias: bias, dtype: dtype, generator: &generator)
      }
      (query, key, value) = (projection(), projection(), projection())
      (inProjectionWeight, inProjectionBias) = (nil, nil)
    }
    outProjection = Linear(
      inputSize: embedDimension, outputSize: embedDimension, bias: bias, dtype: dtype, generator: &generator)
    if let b = outProjection.bias { withNoGrad { b.zero() } }
    // Drawn last, and only with dropout: the weights are the same either way.
    dropoutGenerator = dropout > 0 ? RandomGenerator(seed: generator.next()) : RandomGenerator(seed: 0)
  }

  public convenience init(
    embedDimension: Int, heads: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = false,
    projections: Projections = .packed, dtype: DType = .float32
  ) {
    var generator = RandomGenerator.split()
    self.init(
      embedDimension: embedDimension, heads: heads, dropout: dropout, bias: bias, batchFirst: batchFirst,
      projections: projections, dtype: dtype, generator: &generator)
  }

  public override func ownParameters() -> [(String, Tensor)] {
    (inProjectionWeight.map { [("in_proj_weight", $0)] } ?? [])
      + (inProjectionBias.map { [("in_proj_bias", $0)] } ?? [])
  }

  public override func namedChildren() -> [(String, Module)] {
    let separate: [(String, Module)] =
      if let query, let key, let value { [("query", query), ("key", key), ("value", value)] } else { [] }
    return separate + [("out_proj", outProjection)]
  }

  /// The attended values `[L, N, E]` and the attention weights averaged over heads `[N, L, S]`
  /// (`nil` when `needWeights` is false, as PyTorch's `need_weights=False`; attention then runs as
  /// one fused op per call, `scaledDotProductAttention`, unless dropout is on in training).
  /// `keyPaddingMask` `[N, S]` marks keys to ignore (true); `attentionMask` `[L, S]` is a bool mask
  /// of allowed positions (true) or an additive float mask.
  public func callAsFunction(
    query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor? = nil, needWeights: Bool = true,
    attentionMask: Tensor? = nil
  ) -> (output: Tensor, weights: Tensor?) {
    grouped {

      let (q0, k0, v0) =
        batchFirst ? (query, key, value) : (query.transposed(0, 1), key.transposed(0, 1), value.transposed(0, 1))
      trapUnless(
        q0.rank == 3 && q0.shape[2] == embedDimension,
        "MultiheadAttention: expected embeddings of \(embedDimension), got \(query.shape)")
      let merged: Tensor
      let weights: Tensor?
      if !needWeights, query === key, key === value, let packed = packedProjection(q0) {
        // Self-attention: one product for the three projections, and one op attending to it.
        (merged, weights) = (
          packedSelfAttention(
            packed, heads: heads,
            mask: fusedMask(keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, dtype: packed.dtype),
            scale: 1 / Double(embedDimension / heads).squareRoot()), nil
        )
      } else {
        let (q, k, v) = (projected(q0, 0), projected(k0, 1), projected(v0, 2))
        (merged, weights) = attend(
          q, k, v, keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, needWeights: needWeights)
      }
      let output = outProjection(merged)
      return (batchFirst ? output : output.transposed(0, 1), weights?.mean(axis: 1))
    }
  }

  /// Self-attention over the real tokens of a padded batch, packed as rows (`PackedTokens`): the
  /// projections run on the real tokens alone, and each token attends to the real tokens of its
  /// own sequence. `packed` is `[tokens.count, E]`, and so is the result: the rows that
  /// `callAsFunction(query: x, key: x, value: x, keyPaddingMask: tokens.padding)` gives for the
  /// real tokens of the padded `x`. `attentionMask` is as for `callAsFunction`.
  public func selfAttention(_ packed: Tensor, tokens: PackedTokens, attentionMask: Tensor? = nil) -> Tensor {
    trapUnless(
      packed.rank == 2 && packed.shape == [tokens.count, embedDimension],
      "MultiheadAttention.selfAttention: expected \(tokens.count) packed tokens of \(embedDimension), got \(packed.shape)"
    )
    let merged: Tensor
    if let projection = packedProjection(packed) {
      merged = packedSelfAttention(
        tokens.unpack(projection), heads: heads,
        mask: fusedMask(keyPaddingMask: tokens.padding, attentionMask: attentionMask, dtype: projection.dtype),
        scale: 1 / Double(embedDimension / heads).squareRoot())
    } else {
      let (q, k, v) = (
        tokens.unpack(projected(packed, 0)), tokens.unpack(projected(packed, 1)), tokens.unpack(projected(packed, 2))
      )
      merged = attend(q, k, v, keyPaddingMask: tokens.padding, attentionMask: attentionMask, needWeights: false).merged
    }
    return outProjection(tokens.pack(merged))
  }

  /// The three projections of `x` `[..., E]` as one product, `[..., 3E]`, when the weights are
  /// packed and attention can run as one op (no dropout in training); else `nil`.
  private func packedProjection(_ x: Tensor) -> Tensor? {
    guard let weight = inProjectionWeight, !(dropout > 0 && isTraining) else { return nil }
    return x.linear(weight: weight, bias: inProjectionBias)
  }

  /// Both masks as the one additive mask the fused ops take, `[N, 1, L or 1, S]` or `[L, S]`.
  private func fusedMask(keyPaddingMask: Tensor?, attentionMask: Tensor?, dtype: DType) -> Tensor? {
    var mask = attentionMask.map { additiveAttentionMask($0, dtype: dtype) }
    if let keyPaddingMask {
      let padding = additiveAttentionMask(
        keyPaddingMask.reshaped(to: [keyPaddingMask.shape[0], 1, 1, keyPaddingMask.shape[1]]), keeping: false,
        dtype: dtype)
      mask = mask.map { $0 + padding } ?? padding
    }
    return mask
  }

  /// Projection `i` (0 query, 1 key, 2 value) of `x`, `[..., E]`.
  private func projected(_ x: Tensor, _ i: Int) -> Tensor {
    if let weight = inProjectionWeight {
      let e = embedDimension
      return x.linear(
        weight: weight[(i * e)..<((i + 1) * e)], bias: inProjectionBias.map { $0[(i * e)..<((i + 1) * e)] })
    }
    return [query, key, value][i]!(x)
  }

  /// Attention per head of projected queries `[N, L, E]` over keys and values `[N, S, E]`: the
  /// heads' results merged back into `[N, L, E]`, and with `needWeights`, or with dropout in
  /// training, the weights `[N, heads, L, S]` (after dropout, as PyTorch returns them).
  private func attend(
    _ q: Tensor, _ k: Tensor, _ v: Tensor, keyPaddingMask: Tensor?, attentionMask: Tensor?, needWeights: Bool
  ) -> (merged: Tensor, weights: Tensor?) {
    let d = embedDimension / heads
    // [N, L, E] -> [N, heads, L, d], a view.
    func splitHeads(_ x: Tensor) -> Tensor { x.reshaped(to: [x.shape[0], x.shape[1], heads, d]).transposed(1, 2) }
    func mergeHeads(_ x: Tensor) -> Tensor {
      x.transposed(1, 2).reshaped(to: [q.shape[0], q.shape[1], embedDimension])
    }
    let dropping = dropout > 0 && isTraining
    if !needWeights && !dropping {
      let attended = scaledDotProductAttention(
        query: splitHeads(q), key: splitHeads(k), value: splitHeads(v),
        mask: fusedMask(keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, dtype: q.dtype),
        scale: 1 / Double(d).squareRoot())
      return (mergeHeads(attended), nil)
    }
    var scores = splitHeads(q).matmul(splitHeads(k).transposed()) / Double(d).squareRoot()
    let negativeInfinity = Tensor.full([], value: -.infinity, dtype: q.dtype)
    if let attentionMask {
      scores =
        attentionMask.dtype == .bool ? Tensor.where(attentionMask, scores, negativeInfinity) : scores + attentionMask
    }
    if let keyPaddingMask {
      scores = Tensor.where(
        keyPaddingMask.reshaped(to: [keyPaddingMask.shape[0], 1, 1, keyPaddingMask.shape[1]]), negativeInfinity, scores)
    }
    var weights = scores.softmax(axis: -1)
    if dropping {
      weights = weights.dropout(probability: dropout, training: true, generator: &dropoutGenerator)
    }
    return (mergeHeads(weights.matmul(splitHeads(v))), weights)
  }
}

/// One Transformer encoder layer, as `nn.TransformerEncoderLayer`: self-attention and a
/// feed-forward network, each with dropout, a residual connection and layer normalization
/// (after the block, or before it with `normFirst`).
public final class TransformerEncoderLayer: Layer {
  public let selfAttention: MultiheadAttention
  public let linear1: Linear, linear2: Linear
  public let norm1: LayerNorm, norm2: LayerNorm
  let dropout: Dropout, dropout1: Dropout, dropout2: Dropout
  public let normFirst: Bool
  let activation: (Tensor) -> Tensor

  public init(
    modelDimension: Int, heads: Int, feedForwardDimension: Int = 2048, dropout: Double = 0.1,
    gelu: Bool = false, layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false,
    dtype: DType = .float32, generator: inout RandomGenerator
  ) {
    selfAttention = MultiheadAttention(
      embedDimension: modelDimension, heads: heads, dropout: dropout, batchFirst: batchFirst, dtype: dtype,
      generator: &generator)
    linear1 = Linear(inputSize: modelDimension, outputSize: feedForwardDimension, dtype: dtype, generator: &generator)
    linear2 = Linear(inputSize: feedForwardDimension, outputSize: modelDimension, dtype: dtype, generator: &generator)
    norm1 = LayerNorm(normalizedShape: [modelDimension], epsilon: layerNormEpsilon, dtype: dtype)
    norm2 = LayerNorm(normalizedShape: [modelDimension], epsilon: layerNormEpsilon, dtype: dtype)
    self.dropout = Dropout(probability: dropout, generator: RandomGenerator(seed: generator.next()))
    dropout1 = Dropout(probability: dropout, generator: RandomGenerator(seed: generator.next()))
    dropout2 = Dropout(probability: dropout, generator: RandomGenerator(seed: generator.next()))
    self.normFirst = normFirst
    activation = gelu ? { $0.gelu() } : { $0.relu() }
  }

  public override func namedChildren() -> [(String, Module)] {
    [
      ("self_attn", selfAttention), ("linear1", linear1), ("dropout", dropout), ("linear2", linear2), ("norm1", norm1),
      ("norm2", norm2), ("dropout1", dropout1), ("dropout2", dropout2),
    ]
  }

  public override func forward(_ input: Tensor) -> Tensor { callAsFunction(input, mask: nil) }

  /// The encoded sequence; `mask` is an attention mask as for `MultiheadAttention`.
  public func callAsFunction(_ input: Tensor, mask: Tensor?, keyPaddingMask: Tensor? = nil) -> Tensor {
    grouped {

      func attend(_ x: Tensor) -> Tensor {
        dropout1(
          selfAttention(
            query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, needWeights: false, attentionMask: mask
          ).output)
      }
      func feedForward(_ x: Tensor) -> Tensor { dropout2(linear2(dropout(activation(linear1(x))))) }
      if normFirst {
        let x = input + attend(norm1(input))
        return x + feedForward(norm2(x))
      }
      let x = norm1(input + attend(input))
      return norm2(x + feedForward(x))
    }
  }
}
