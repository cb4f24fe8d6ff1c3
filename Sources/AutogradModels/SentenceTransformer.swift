import Autograd
import Foundation

/// A sentence-transformers model from its folder: the BERT encoder, its tokenizer, and the pooling
/// and normalization its `modules.json` lists, so that `model(["a sentence"])` gives what
/// `SentenceTransformer(folder).encode(...)` gives in Python.
///
/// ```swift
/// let model = try SentenceTransformer.pretrained(at: folder)   // all-MiniLM-L6-v2's
/// let embeddings = model(["A man is eating food.", "A man is eating bread."])   // [2, 384]
/// ```
public final class SentenceTransformer {
  public let encoder: BertModel
  public var tokenizer: WordPieceTokenizer
  public let pooling: SentenceEmbedding.Pooling
  /// Whether embeddings are scaled to unit length (a `Normalize` module in `modules.json`).
  public let normalizes: Bool

  public init(encoder: BertModel, tokenizer: WordPieceTokenizer, pooling: SentenceEmbedding.Pooling, normalizes: Bool) {
    (self.encoder, self.tokenizer, self.pooling, self.normalizes) = (encoder, tokenizer, pooling, normalizes)
  }

  /// Loads the folder: `config.json` and `model.safetensors` (the encoder), `vocab.txt` and
  /// `tokenizer_config.json` (lower-casing), `sentence_bert_config.json` (`max_seq_length`),
  /// `modules.json` and the pooling module's `config.json`. Without `modules.json` it pools by
  /// the mean and does not normalize. The encoder is left in evaluation mode.
  /// - Throws: `ModelFileError` for a file it cannot use, and the encoder's loading errors.
  public static func pretrained(at folder: URL) throws -> SentenceTransformer {
    func json(_ name: String) throws -> [String: Any]? {
      let url = folder.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else { return nil }
      guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data) else {
        throw ModelFileError(url, "not readable JSON")
      }
      return object as? [String: Any]
    }
    let encoder = try BertModel.pretrained(at: folder)
    encoder.eval()
    let lowercase = try json("tokenizer_config.json")?["do_lower_case"] as? Bool ?? true
    let maxLength =
      try json("sentence_bert_config.json")?["max_seq_length"] as? Int ?? encoder.configuration.maxPositions
    let tokenizer = try WordPieceTokenizer(
      vocabulary: folder.appendingPathComponent("vocab.txt"), lowercase: lowercase,
      maxLength: Swift.min(maxLength, encoder.configuration.maxPositions))
    var pooling = SentenceEmbedding.Pooling.mean
    var normalizes = false
    let modulesURL = folder.appendingPathComponent("modules.json")
    if FileManager.default.fileExists(atPath: modulesURL.path) {
      guard let data = try? Data(contentsOf: modulesURL),
        let modules = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
      else { throw ModelFileError(modulesURL, "not a JSON list of modules") }
      for module in modules {
        let type = module["type"] as? String ?? ""
        if type.hasSuffix(".Normalize") { normalizes = true }
        if type.hasSuffix(".Pooling"), let path = module["path"] as? String {
          pooling = try poolingMode(of: json("\(path)/config.json") ?? [:], at: folder.appendingPathComponent(path))
        }
      }
    }
    return SentenceTransformer(encoder: encoder, tokenizer: tokenizer, pooling: pooling, normalizes: normalizes)
  }

  /// The one pooling mode a pooling module's configuration turns on.
  private static func poolingMode(of config: [String: Any], at folder: URL) throws -> SentenceEmbedding.Pooling {
    let modes: [(String, SentenceEmbedding.Pooling)] = [
      ("pooling_mode_mean_tokens", .mean), ("pooling_mode_cls_token", .classToken), ("pooling_mode_max_tokens", .max),
      ("pooling_mode_mean_sqrt_len_tokens", .meanSquareRootLength),
    ]
    let on = modes.filter { config[$0.0] as? Bool == true }
    guard on.count == 1 else {
      throw ModelFileError(
        folder.appendingPathComponent("config.json"),
        on.isEmpty ? "no pooling mode is turned on" : "several pooling modes at once are not implemented")
    }
    return on[0].1
  }

  /// The embeddings of `sentences`, `[N, hiddenSize]`, recorded for gradients when grad mode is
  /// on (to fine-tune; put the encoder in training mode for that).
  public func callAsFunction(_ sentences: [String]) -> Tensor {
    let (ids, mask) = tokenizer.batch(sentences)
    let pooled = pooling(encoder(ids, attentionMask: mask), attentionMask: mask)
    return normalizes ? pooled.l2Normalized() : pooled
  }
}
