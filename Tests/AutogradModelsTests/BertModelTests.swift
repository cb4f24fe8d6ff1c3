import Autograd
import AutogradNN
import Foundation
import Testing

@testable import AutogradModels

private let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("Fixtures/tiny_bert")

/// Whether every element of `a` is within `tolerance` of `b`'s, relative to `max(1, |b|)`.
private func close(_ a: Tensor, _ b: Tensor, _ tolerance: Double = 1e-5) -> Bool {
  a.shape == b.shape
    && zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).allSatisfy {
      Swift.abs($0 - $1) <= tolerance * Swift.max(1, Swift.abs($1))
    }
}

@Suite("A BERT encoder loaded from Hugging Face's files") struct BertModelTests {
  /// The fixture's tensors recorded from PyTorch (see Fixtures/make_tiny_bert.py).
  let reference: [String: Tensor]

  init() throws {
    reference = Dictionary(
      uniqueKeysWithValues: try Safetensors.load(tinyBert.appendingPathComponent("reference.safetensors")).tensors)
  }

  @Test func hiddenStatesAndSentenceEmbeddingsMatchPyTorch() throws {
    let model = try BertModel.pretrained(at: tinyBert)
    model.eval()
    #expect(
      model.configuration
        == BertConfiguration(
          vocabularySize: 100, hiddenSize: 32, layerCount: 2, heads: 4, intermediateSize: 64, maxPositions: 64))
    let (ids, mask) = (reference["input_ids"]!, reference["attention_mask"]!)
    // Computing every position, as Hugging Face does: padded positions attend to the real tokens,
    // and PyTorch's values there are compared too.
    let everyPosition = model(ids, attentionMask: mask, skippingPadding: false)
    #expect(close(everyPosition, reference["last_hidden_state"]!))
    // Skipping the padding (the default): the real tokens' states are the same, the padding's zero.
    let hidden = model(ids, attentionMask: mask)
    let real = mask.unsqueezed(at: -1).cast(to: .float32)
    #expect(close(hidden, reference["last_hidden_state"]! * real))
    #expect((hidden * (1 - real)).abs().sum().item() == 0)
    for states in [hidden, everyPosition] {
      let embedding = SentenceEmbedding.meanPooled(states, attentionMask: mask).l2Normalized()
      #expect(close(embedding, reference["sentence_embedding"]!))
    }
  }

  @Test(arguments: [true, false]) func gradientsThroughTheWholeModelMatchPyTorch(skippingPadding: Bool) throws {
    let model = try BertModel.pretrained(at: tinyBert)
    model.eval()
    let (ids, mask) = (reference["input_ids"]!, reference["attention_mask"]!)
    let hidden = model(ids, attentionMask: mask, skippingPadding: skippingPadding)
    let embedding = SentenceEmbedding.meanPooled(hidden, attentionMask: mask).l2Normalized()
    (embedding * reference["probe"]!).sum().backward()
    let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters())
    let names = [
      ("embeddings.word_embeddings.weight", "embeddings.words.weight"),
      ("encoder.layer.0.attention.self.query.weight", "layers.0.attention.query.weight"),
      ("encoder.layer.1.output.dense.bias", "layers.1.output.bias"),
    ]
    for (theirs, ours) in names {
      #expect(BertModel.huggingFaceNames(theirs) == ours)
      let grad = try #require(parameters[ours]?.grad, "\(ours)")
      #expect(close(grad, reference["grad.\(theirs)"]!), "\(ours)")
    }
    // The padding row of the word embeddings gets no gradient, as PyTorch's padding_idx.
    #expect(parameters["embeddings.words.weight"]!.grad![0].abs().sum().item() == 0)
  }

  @Test func aConfigurationItCannotUseIsAnErrorNamingTheFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-bert-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let config = folder.appendingPathComponent("config.json")
    let cases: [(String, String)] = [
      ("not json", "not a JSON object"),
      (
        #"{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 3, "intermediate_size": 4}"#,
        "hidden_size 8 does not split into 3 attention heads"
      ),
      (#"{"vocab_size": -1}"#, "\"vocab_size\" must be a non-negative whole number, got -1"),
      (#"{"hidden_act": "relu", "vocab_size": 10}"#, "the activation \"relu\" is not implemented"),
      (
        #"{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 4, "attention_probs_dropout_prob": 1.5}"#,
        "\"attention_probs_dropout_prob\" must be a probability between 0 and 1, got 1.5"
      ),
    ]
    for (text, message) in cases {
      try Data(text.utf8).write(to: config)
      #expect(throws: ModelFileError.self) { try BertModel.pretrained(at: folder) }
      do { _ = try BertModel.pretrained(at: folder) } catch {
        #expect("\(error)".contains(message), "\(error)")
        #expect("\(error)".hasPrefix(config.path))
      }
    }
  }
}
