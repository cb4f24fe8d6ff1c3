import Foundation
import TestSupport
import Testing

/// `autograd embed` on the tiny BERT of the models' fixtures, made a sentence-transformers folder.
@Suite("The embed command") struct EmbedCommandTests {
  func autograd(_ arguments: [String]) throws -> ChildProcess.Outcome { try ChildProcess.autograd(arguments) }

  /// The tiny BERT with a vocabulary of 100 pieces (`w0` ... `w95`) and mean pooling.
  func modelFolder() throws -> URL {
    let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("AutogradModelsTests/Fixtures/tiny_bert")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-embed-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for name in ["config.json", "model.safetensors"] {
      try FileManager.default.copyItem(
        at: tinyBert.appendingPathComponent(name), to: folder.appendingPathComponent(name))
    }
    let pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + (0..<96).map { "w\($0)" }
    try Data(pieces.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
    return folder
  }

  @Test func embeddingsSimilaritiesAndFineTuning() throws {
    let folder = try modelFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let plain = try autograd(["embed", "--model", folder.path, "w1 w2", "w3"])
    #expect(plain.status == 0, "\(plain.output)")
    let lines = plain.output.split(separator: "\n")
    #expect(lines.count == 2 && lines[0].hasPrefix("w1 w2\t[") && lines[0].split(separator: ",").count == 32)
    let table = try autograd(["embed", "--model", folder.path, "--similarity", "w1 w2", "w3"])
    #expect(table.status == 0 && table.output.contains("1.0000"), "\(table.output)")
    let pairs = folder.appendingPathComponent("pairs.tsv")
    try Data("w1 w2\tw2 w1\nw3\tw4 w5\n".utf8).write(to: pairs)
    let tuned = try autograd(["embed", "--model", folder.path, "--fine-tune", pairs.path, "--steps", "2", "w1"])
    #expect(tuned.status == 0 && tuned.output.contains("fine-tuning step 2 of 2: loss "), "\(tuned.output)")
  }

  @Test func badInputExitsOneWithALine() throws {
    let folder = try modelFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let missing = try autograd(["embed", "--model", "/nonexistent/model", "a"])
    #expect(missing.status == 1 && missing.output.contains("/nonexistent/model/config.json: cannot read it"))
    let onePair = folder.appendingPathComponent("one.tsv")
    try Data("a\tb\n".utf8).write(to: onePair)
    let tooFew = try autograd(["embed", "--model", folder.path, "--fine-tune", onePair.path, "a"])
    #expect(tooFew.status == 1 && tooFew.output.contains("at least two pairs are needed"), "\(tooFew.output)")
    let noSentence = try autograd(["embed", "--model", folder.path])
    #expect(noSentence.status == 64)
  }
}
