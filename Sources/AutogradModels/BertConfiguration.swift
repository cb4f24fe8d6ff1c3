import Foundation

/// A BERT encoder's sizes and settings, read from the `config.json` that Hugging Face's
/// `save_pretrained` writes beside the weights.
public struct BertConfiguration: Sendable, Equatable {
  public var vocabularySize: Int
  public var hiddenSize: Int
  public var layerCount: Int
  public var heads: Int
  public var intermediateSize: Int
  public var maxPositions: Int
  public var tokenTypeCount: Int
  public var layerNormEpsilon: Double
  /// The feed-forward activation: exact GELU (`"gelu"`) or its tanh approximation (`"gelu_new"`,
  /// `"gelu_pytorch_tanh"`).
  public var approximateGELU: Bool
  /// Dropout after the embeddings and each block's output, in training.
  public var hiddenDropout: Double
  /// Dropout of the attention weights, in training.
  public var attentionDropout: Double
  public var padTokenID: Int

  public init(
    vocabularySize: Int, hiddenSize: Int, layerCount: Int, heads: Int, intermediateSize: Int, maxPositions: Int = 512,
    tokenTypeCount: Int = 2, layerNormEpsilon: Double = 1e-12, approximateGELU: Bool = false,
    hiddenDropout: Double = 0.1, attentionDropout: Double = 0.1, padTokenID: Int = 0
  ) {
    (self.vocabularySize, self.hiddenSize, self.layerCount, self.heads) = (
      vocabularySize, hiddenSize, layerCount, heads
    )
    (self.intermediateSize, self.maxPositions, self.tokenTypeCount) = (intermediateSize, maxPositions, tokenTypeCount)
    (self.layerNormEpsilon, self.approximateGELU, self.padTokenID) = (layerNormEpsilon, approximateGELU, padTokenID)
    (self.hiddenDropout, self.attentionDropout) = (hiddenDropout, attentionDropout)
  }

  /// Reads `config.json`.
  /// - Throws: `ModelFileError` for a file that cannot be read, is not JSON, lacks a size, or
  ///   names an activation or position embedding this encoder does not implement.
  public init(contentsOf url: URL) throws {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ModelFileError(url, "cannot read it: \(error.localizedDescription)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
      throw ModelFileError(url, "not a JSON object")
    }
    func integer(_ key: String, default value: Int? = nil) throws -> Int {
      if let number = json[key] as? NSNumber, let exact = Int(exactly: number.doubleValue), exact >= 0 {
        return exact
      }
      if json[key] == nil, let value { return value }
      throw ModelFileError(
        url, "\"\(key)\" must be a non-negative whole number, got \(json[key].map { "\($0)" } ?? "nothing")")
    }
    let activation = json["hidden_act"] as? String ?? "gelu"
    guard ["gelu", "gelu_new", "gelu_pytorch_tanh"].contains(activation) else {
      throw ModelFileError(
        url, "the activation \"\(activation)\" is not implemented (gelu, gelu_new and gelu_pytorch_tanh are)")
    }
    func probability(_ key: String) throws -> Double {
      guard let number = json[key] else { return 0.1 }
      guard let value = (number as? NSNumber)?.doubleValue, value >= 0, value <= 1 else {
        throw ModelFileError(url, "\"\(key)\" must be a probability between 0 and 1, got \(number)")
      }
      return value
    }
    if let kind = json["position_embedding_type"] as? String, kind != "absolute" {
      throw ModelFileError(url, "position embeddings of type \"\(kind)\" are not implemented (absolute ones are)")
    }
    self.init(
      vocabularySize: try integer("vocab_size"), hiddenSize: try integer("hidden_size"),
      layerCount: try integer("num_hidden_layers"), heads: try integer("num_attention_heads"),
      intermediateSize: try integer("intermediate_size"),
      maxPositions: try integer("max_position_embeddings", default: 512),
      tokenTypeCount: try integer("type_vocab_size", default: 2),
      layerNormEpsilon: (json["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12,
      approximateGELU: activation != "gelu",
      hiddenDropout: try probability("hidden_dropout_prob"),
      attentionDropout: try probability("attention_probs_dropout_prob"),
      padTokenID: try integer("pad_token_id", default: 0))
    guard hiddenSize > 0, heads > 0, hiddenSize % heads == 0 else {
      throw ModelFileError(url, "hidden_size \(hiddenSize) does not split into \(heads) attention heads")
    }
  }
}

/// A model file (configuration, weights) that cannot be used, and why.
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
  public var path: String
  public var reason: String
  public var description: String { "\(path): \(reason)" }

  public init(_ url: URL, _ reason: String) { (self.path, self.reason) = (url.path, reason) }
}
