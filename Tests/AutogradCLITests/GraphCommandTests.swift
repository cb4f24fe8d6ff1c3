import Foundation
import TestSupport
import Testing

/// `autograd explain` and `autograd graph` on the lecture's model, as a learner runs them.
@Suite("The graph and explain commands") struct GraphCommandTests {
  func autograd(_ arguments: String...) throws -> ChildProcess.Outcome { try ChildProcess.autograd(arguments) }

  @Test func theLecturesGraphTreatsXAndYAsData() throws {
    let outcome = try autograd("explain")
    #expect(outcome.status == 0)
    #expect(
      outcome.output.contains("w = 1.0                           (parameter, requires grad)"), "\(outcome.output)")
    #expect(outcome.output.contains("x = 1.0                           (input)"), "\(outcome.output)")
    #expect(outcome.output.contains("d(loss)/d(w) = -2.0"))
    #expect(!outcome.output.contains("d(loss)/d(x)") && !outcome.output.contains("d(loss)/d(y)"))
    // --wrt chooses otherwise.
    let all = try autograd("explain", "--wrt", "x,y,w")
    #expect(all.output.contains("d(loss)/d(x) = -2.0") && all.output.contains("d(loss)/d(y) = 2.0"))
  }

  @Test func aModelsGraphShowsTheCallsItsCodeMade() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-graph-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = folder.appendingPathComponent("cnn.safetensors").path
    #expect(try autograd("train", "--model", "cnn", "--epochs", "1", "--save", model).status == 0)
    let svg = folder.appendingPathComponent("cnn.svg").path
    func nodes(_ outcome: ChildProcess.Outcome) -> Int? {
      outcome.output.split(separator: " ").firstIndex(of: "nodes,").flatMap { i in
        Int(outcome.output.split(separator: " ")[i - 1])
      }
    }
    // conv2d, linear and crossEntropy as one node each, with the inputs the model gave them.
    let calls = try autograd("graph", "--checkpoint", model, "--out", svg)
    #expect(nodes(calls) == 26, "\(calls.output)")
    let picture = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(picture.contains("t4 = conv2d(t3, 2.weight, 2.bias)") && picture.contains("crossEntropy(logits, 0)"))
    #expect(!picture.contains("im2Col(") && !picture.contains("logSoftmax("))
    // A model's picture fits a screen: one line a box (the rest in its tooltip), a frame per module.
    let size = try #require(picture.firstMatch(of: /<svg [^>]*width="([0-9.]+)" height="([0-9.]+)"/))
    let (width, height) = (Double(size.1)!, Double(size.2)!)
    #expect(width <= 1920 && height <= 1080, "\(width) x \(height)")
    #expect(picture.contains(">2 · Conv2d</text>") && picture.contains(">11 · Linear</text>"))
    #expect(picture.contains("<title>t4 = conv2d(t3, 2.weight, 2.bias)\n[1, 16, 8, 8] float32\nvalue ["))
    // --every-op draws what they are made of.
    let everyOp = try autograd("graph", "--checkpoint", model, "--out", svg, "--every-op")
    #expect((nodes(everyOp) ?? 0) > 30, "\(everyOp.output)")
    let everyOpPicture = try String(contentsOfFile: svg, encoding: .utf8)
    // A convolution is one op of its own; cross entropy is made of several.
    #expect(everyOpPicture.contains("convolution(") && everyOpPicture.contains("logSoftmax("))
    let explained = try autograd("explain", "--checkpoint", model)
    #expect(explained.output.contains("[Conv2dBackward]") && explained.output.contains("[CrossEntropyBackward]"))
  }
}
