import Autograd
import AutogradModels
import Foundation

/// W9: a batch of 32 sentences (`Benchmarks/w9_sentences.json`) through all-MiniLM-L6-v2, as
/// `pytorch_bert.py` runs it: the forward pass alone (no graph), and forward and backward of a
/// loss on the sentence embeddings.
enum BertWorkloads {
  struct Setup {
    let model: BertModel
    let ids: Tensor, mask: Tensor
    let probe: Tensor
  }

  static func setUp(modelFolder: String) throws -> Setup {
    let folder = URL(fileURLWithPath: modelFolder)
    let model = try BertModel.pretrained(at: folder)
    model.eval()
    let tokenizer = try WordPieceTokenizer(vocabulary: folder.appendingPathComponent("vocab.txt"), maxLength: 256)
    let sentencesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("w9_sentences.json")
    let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf: sentencesURL))
    let (ids, mask) = tokenizer.batch(sentences)
    var generator = RandomGenerator(seed: 9)
    return Setup(
      model: model, ids: ids, mask: mask,
      probe: Tensor.randn([sentences.count, model.configuration.hiddenSize], generator: &generator))
  }

  /// The sentence embeddings; `skippingPadding: false` computes the padded positions too, as
  /// PyTorch's script (Hugging Face's `BertModel`) does.
  static func embeddings(_ s: Setup, skippingPadding: Bool) -> Tensor {
    let hidden = s.model(s.ids, attentionMask: s.mask, skippingPadding: skippingPadding)
    return SentenceEmbedding.meanPooled(hidden, attentionMask: s.mask).l2Normalized()
  }

  static func forward(_ s: Setup, skippingPadding: Bool) -> [String: Double] {
    let e = withNoGrad { embeddings(s, skippingPadding: skippingPadding) }
    return ["tokens": Double(s.ids.shape[1]), "checksum": e.abs().sum().item()]
  }

  static func forwardBackward(_ s: Setup, skippingPadding: Bool) -> [String: Double] {
    s.model.zeroGrad()
    let loss = (embeddings(s, skippingPadding: skippingPadding) * s.probe).sum()
    loss.backward()
    return ["loss": loss.item()]
  }
}
