import Autograd
import AutogradNN
import Foundation

/// A BERT encoder, as Hugging Face's `BertModel` without its pooler: token, position and
/// token-type embeddings, then `layerCount` Transformer layers (post-norm), giving one hidden
/// state per token.
///
/// `BertModel.pretrained(at:)` loads what `save_pretrained` writes (`config.json`,
/// `model.safetensors`), renaming its tensors onto this module's Swift names (`huggingFaceNames`).
///
/// ```swift
/// let model = try BertModel.pretrained(at: folder)
/// model.eval()
/// let hidden = model(ids, attentionMask: mask)                  // [N, L, hiddenSize]
/// let sentences = SentenceEmbedding.meanPooled(hidden, attentionMask: mask).l2Normalized()
/// ```
public final class BertModel: Module {
  public let configuration: BertConfiguration
  public let embeddings: BertEmbeddings
  public let layers: [BertLayer]

  public init(_ configuration: BertConfiguration) {
    self.configuration = configuration
    embeddings = BertEmbeddings(configuration)
    layers = (0..<configuration.layerCount).map { _ in BertLayer(configuration) }
  }

  /// The model in `directory`: `config.json` and `model.safetensors`, as `save_pretrained` writes
  /// them (a sentence-transformers model keeps them in its top folder), as Hugging Face's
  /// `from_pretrained`. The layers are built without random initialization, then loaded.
  /// - Throws: `ModelFileError` for a configuration it cannot use, the loader's errors for the
  ///   weights, and `StateDictError` when their names or shapes do not fit.
  public static func pretrained(at directory: URL) throws -> BertModel {
    let configuration = try BertConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
    let model = withoutInitialization { BertModel(configuration) }
    try model.load(from: directory.appendingPathComponent("model.safetensors"), renaming: huggingFaceNames)
    return model
  }

  /// Hugging Face's names for BERT's tensors, mapped onto this module's; the pooler (not part of
  /// this encoder) and the position-id buffer some files carry are left out.
  public static let huggingFaceNames: @Sendable (String) -> String? = Module.renaming([
    ("bert", ""), ("pooler", nil), ("embeddings.position_ids", nil),
    ("embeddings.word_embeddings", "embeddings.words"), ("embeddings.position_embeddings", "embeddings.positions"),
    ("embeddings.token_type_embeddings", "embeddings.tokenTypes"), ("embeddings.LayerNorm", "embeddings.norm"),
    ("encoder.layer", "layers"), ("attention.self", "attention"), ("attention.output.dense", "attention.out_proj"),
    ("attention.output.LayerNorm", "attentionNorm"), ("intermediate.dense", "intermediate"),
    ("output.dense", "output"), ("output.LayerNorm", "outputNorm"),
  ])

  /// The hidden states `[N, L, hiddenSize]` of int64 token ids `[N, L]`.
  ///
  /// With padding in `attentionMask`, the layers run on the real tokens alone, packed as rows
  /// (`PackedTokens`), and the hidden states at padded positions are zero: PyTorch's encoder
  /// layers do the same in inference. Pass `skippingPadding: false` to compute those positions
  /// too, as Hugging Face's `BertModel` does (they attend to the real tokens, and nothing reads
  /// them when pooling masks them out). The real tokens' states are the same either way.
  ///
  /// - Parameters:
  ///   - ids: Token ids, int64 `[N, L]`.
  ///   - attentionMask: 1 for real tokens and 0 for padding (int64 or bool `[N, L]`); padding is
  ///     not attended to. Without it every token is real.
  ///   - tokenTypes: Segment ids (int64 `[N, L]`); zeros when omitted.
  ///   - skippingPadding: Whether the layers leave padded positions out (the default).
  public func callAsFunction(
    _ ids: Tensor, attentionMask: Tensor? = nil, tokenTypes: Tensor? = nil, skippingPadding: Bool = true
  ) -> Tensor {
    grouped {

      trapUnless(
        ids.rank == 2 && ids.dtype == .int64,
        "BertModel: expected int64 token ids [batch, tokens], got \(ids.dtype) \(ids.shape)")
      trapUnless(
        ids.shape[1] <= configuration.maxPositions,
        "BertModel: \(ids.shape[1]) tokens is more than the \(configuration.maxPositions) positions the model knows")
      if let tokenTypes {
        trapUnless(
          tokenTypes.shape == ids.shape && tokenTypes.dtype == .int64,
          "BertModel: token types must be int64 \(ids.shape) as the ids, got \(tokenTypes.dtype) \(tokenTypes.shape)")
      }
      if let mask = attentionMask {
        trapUnless(
          mask.shape == ids.shape, "BertModel: attention mask \(mask.shape) does not match the ids \(ids.shape)")
      }
      let types = tokenTypes ?? Tensor.zeros(ids.shape, dtype: .int64)
      if skippingPadding, let mask = attentionMask, case let tokens = PackedTokens(attentionMask: mask), !tokens.isDense
      {
        var hidden = embeddings(tokens.pack(ids), positions: tokens.positions, tokenTypes: tokens.pack(types))
        for layer in layers { hidden = layer(hidden) { layer.attention.selfAttention($0, tokens: tokens) } }
        return tokens.unpack(hidden)
      }
      let padding = attentionMask.map { mask in mask.dtype == .bool ? mask.logicalNot() : mask .== 0 }
      var hidden = embeddings(
        ids, positions: Tensor.arange(Double(ids.shape[1]), dtype: .int64), tokenTypes: types)
      for layer in layers {
        hidden = layer(hidden) { layer.attention(query: $0, key: $0, value: $0, keyPaddingMask: padding).output }
      }
      return hidden
    }
  }
}

/// BERT's input embeddings: token, position and token type, summed, then normalized.
public final class BertEmbeddings: Module {
  public let words: Embedding, positions: Embedding, tokenTypes: Embedding
  public let norm: LayerNorm
  let dropout: Dropout

  init(_ c: BertConfiguration) {
    words = Embedding(count: c.vocabularySize, dimension: c.hiddenSize, paddingIndex: c.padTokenID)
    positions = Embedding(count: c.maxPositions, dimension: c.hiddenSize)
    tokenTypes = Embedding(count: c.tokenTypeCount, dimension: c.hiddenSize)
    norm = LayerNorm(normalizedShape: [c.hiddenSize], epsilon: c.layerNormEpsilon)
    dropout = Dropout(probability: c.hiddenDropout)
  }

  /// The embeddings of token `ids` at position ids `positionIDs` (which broadcast against them)
  /// with segment ids `types`.
  func callAsFunction(_ ids: Tensor, positions positionIDs: Tensor, tokenTypes types: Tensor) -> Tensor {
    grouped {

      dropout(norm(words(ids) + positions(positionIDs) + tokenTypes(types)))
    }
  }
}

/// One BERT layer: self-attention (separate query, key and value projections) and a feed-forward
/// network, each followed by dropout, a residual connection and layer normalization.
public final class BertLayer: Module {
  public let attention: MultiheadAttention
  public let attentionNorm: LayerNorm
  public let intermediate: Linear, output: Linear
  public let outputNorm: LayerNorm
  let dropout: Dropout
  let approximateGELU: Bool

  init(_ c: BertConfiguration) {
    attention = MultiheadAttention(
      embedDimension: c.hiddenSize, heads: c.heads, dropout: c.attentionDropout, batchFirst: true,
      projections: .separate)
    attentionNorm = LayerNorm(normalizedShape: [c.hiddenSize], epsilon: c.layerNormEpsilon)
    intermediate = Linear(inputSize: c.hiddenSize, outputSize: c.intermediateSize)
    output = Linear(inputSize: c.intermediateSize, outputSize: c.hiddenSize)
    outputNorm = LayerNorm(normalizedShape: [c.hiddenSize], epsilon: c.layerNormEpsilon)
    dropout = Dropout(probability: c.hiddenDropout)
    approximateGELU = c.approximateGELU
  }

  /// The layer on `hidden`, `[N, L, hiddenSize]` or packed tokens `[count, hiddenSize]`, with
  /// `attend` its self-attention on that layout: everything else treats each token on its own.
  func callAsFunction(_ hidden: Tensor, attend: (Tensor) -> Tensor) -> Tensor {
    grouped {

      let afterAttention = attentionNorm(dropout(attend(hidden)) + hidden)
      let fed = output(intermediate(afterAttention).gelu(approximateTanh: approximateGELU))
      return outputNorm(dropout(fed) + afterAttention)
    }
  }
}
