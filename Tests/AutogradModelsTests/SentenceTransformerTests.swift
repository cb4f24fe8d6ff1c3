import Autograd
import Foundation
import Testing

@testable import AutogradModels

private let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("Fixtures/tiny_bert")

@Suite("Sentence-transformers folders") struct SentenceTransformerTests {
  @Test func poolingModes() {
    // Two sentences of three tokens, the second with one real token.
    let hidden = Tensor([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).reshaped(to: [2, 3, 2])
    let mask = Tensor(integers: [1, 1, 0, 1, 0, 0]).reshaped(to: [2, 3])
    func values(_ p: SentenceEmbedding.Pooling) -> [Double] { p(hidden, attentionMask: mask).scalars(as: Double.self) }
    #expect(values(.mean) == [2, 3, 7, 8])
    #expect(values(.classToken) == [1, 2, 7, 8])
    #expect(values(.max) == [3, 4, 7, 8])
    // The sum over real tokens over the square root of their count, in float32.
    let root2 = Float(2).squareRoot()
    #expect(values(.meanSquareRootLength) == [Double(4 / root2), Double(6 / root2), 7, 8])
    // Each mode and the normalization are differentiable: first and second derivatives against
    // central differences in Float64 (ties of max avoided by distinct values).
    var generator = RandomGenerator(seed: 3)
    let states = Tensor.randn([2, 3, 2], dtype: .float64, generator: &generator)
    for pooling in SentenceEmbedding.Pooling.allCases {
      #expect(gradCheck([states]) { pooling($0[0], attentionMask: mask).l2Normalized().sum() }, "\(pooling)")
      #expect(gradGradCheck([states]) { pooling($0[0], attentionMask: mask).l2Normalized().sum() }, "\(pooling)")
    }
  }

  /// The tiny BERT as a sentence-transformers folder: a vocabulary of 100 pieces, `modules.json`
  /// with a pooling module (`mode`) and, when `normalize`, a Normalize module.
  func folder(pooling mode: String, normalize: Bool) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-st-\(UUID())")
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
    for name in ["config.json", "model.safetensors"] {
      try FileManager.default.copyItem(
        at: tinyBert.appendingPathComponent(name), to: folder.appendingPathComponent(name))
    }
    let pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + (0..<96).map { "w\($0)" }
    try Data(pieces.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
    var modules = [
      #"{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}"#,
      #"{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}"#,
    ]
    if normalize {
      modules.append(
        #"{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}"#)
    }
    try Data("[\(modules.joined(separator: ","))]".utf8).write(to: folder.appendingPathComponent("modules.json"))
    try Data(#"{"\#(mode)": true, "word_embedding_dimension": 32}"#.utf8)
      .write(to: folder.appendingPathComponent("1_Pooling/config.json"))
    try Data(#"{"max_seq_length": 5}"#.utf8).write(to: folder.appendingPathComponent("sentence_bert_config.json"))
    return folder
  }

  @Test func aFolderPoolsAndNormalizesAsItsModulesSay() throws {
    let sentences = ["w1 w2 w3 w4 w5 w6", "w7"]
    let plain = try BertModel.pretrained(at: tinyBert)
    plain.eval()
    for (mode, pooling) in [
      ("pooling_mode_cls_token", SentenceEmbedding.Pooling.classToken), ("pooling_mode_max_tokens", .max),
    ] {
      for normalize in [false, true] {
        let url = try folder(pooling: mode, normalize: normalize)
        defer { try? FileManager.default.removeItem(at: url) }
        let model = try SentenceTransformer.pretrained(at: url)
        #expect(model.pooling == pooling && model.normalizes == normalize && model.tokenizer.maxLength == 5)
        let (ids, mask) = model.tokenizer.batch(sentences)
        #expect(ids.shape == [2, 5], "truncated to max_seq_length")
        var expected = pooling(plain(ids, attentionMask: mask), attentionMask: mask)
        if normalize { expected = expected.l2Normalized() }
        #expect(model(sentences).scalars(as: Float.self) == expected.scalars(as: Float.self))
      }
    }
  }

  @Test func aPoolingConfigurationWithNoModeIsAnError() throws {
    let url = try folder(pooling: "pooling_mode_unknown", normalize: false)
    defer { try? FileManager.default.removeItem(at: url) }
    #expect { try SentenceTransformer.pretrained(at: url) } throws: { "\($0)".contains("no pooling mode is turned on") }
  }
}
