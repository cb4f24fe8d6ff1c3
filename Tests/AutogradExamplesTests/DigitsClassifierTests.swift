import Autograd
import AutogradNN
import Foundation
import Testing

@testable import AutogradExamples

@Suite("Digits classifier") struct DigitsClassifierTests {
  @Test func theShippedDataLoads() throws {
    let (features, labels) = try DigitsClassifier.load(DigitsClassifier.defaultDataURL)
    #expect(features.shape == [1797, 64])
    #expect(labels.shape == [1797])
    #expect(features.max().item() == 1 && features.min().item() == 0)
    #expect(Set(labels.scalars(as: Int64.self)) == Set(0...9))
  }

  @Test(arguments: [DigitsClassifier.Model.mlp, .cnn])
  func aShortRunLearns(model: DigitsClassifier.Model) throws {
    let (features, labels) = try DigitsClassifier.load(DigitsClassifier.defaultDataURL)
    var options = DigitsClassifier.Options()
    options.model = model
    options.epochs = 3
    var reports: [DigitsClassifier.EpochReport] = []
    _ = try DigitsClassifier.train(
      features: features, labels: labels, options: options, onEpoch: { reports.append($0) })
    #expect(reports.count == options.epochs)
    // Chance is 10%.
    #expect(reports.last!.testAccuracy > 0.8, "accuracy \(reports.last!.testAccuracy)")
  }

  @Test func malformedDigitFilesThrow() throws {
    let dir = FileManager.default.temporaryDirectory
    for (name, text, message) in [
      ("short.csv", "1,2,3\n", "expected 65 columns"),
      ("pixel.csv", Array(repeating: "17", count: 64).joined(separator: ",") + ",3\n", "pixel 17.0 is outside 0...16"),
      ("label.csv", Array(repeating: "1", count: 64).joined(separator: ",") + ",12\n", "label 12.0 is not a digit"),
    ] {
      let url = dir.appendingPathComponent("autograd-\(UUID())-\(name)")
      try Data(text.utf8).write(to: url)
      defer { try? FileManager.default.removeItem(at: url) }
      #expect { _ = try DigitsClassifier.load(url) } throws: { "\($0)".contains(message) }
    }
  }

  @Test func aSavedModelLoadsBackWithIdenticalOutputs() throws {
    let (features, labels) = try DigitsClassifier.load(DigitsClassifier.defaultDataURL)
    var options = DigitsClassifier.Options()
    options.epochs = 1
    options.seed = 5
    let model = try DigitsClassifier.train(features: features, labels: labels, options: options)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try model.save(to: url, metadata: DigitsClassifier.metadata(options, accuracy: 0))
    let (loaded, loadedOptions) = try DigitsClassifier.loadModel(url)
    #expect(loadedOptions.seed == 5 && loadedOptions.model == .mlp)
    model.eval()
    let x = features[0..<20]
    #expect(loaded(x).scalars(as: Float.self) == model(x).scalars(as: Float.self))
    // The graph of the loaded model on one digit: every parameter is a node, with its gradient.
    let (loss, names) = ComputationGraph.recording {
      DigitsClassifier.lossOnOneDigit(loaded, features: features, labels: labels, sample: 3)
    }
    let graph = ComputationGraph(of: loss, names: names, data: [names["input"]!])
    for (name, parameter) in loaded.namedParameters() {
      let node = try #require(graph.nodes.first { $0.name == name })
      #expect(node.role == .parameter && node.gradient?.shape == parameter.shape)
    }
    #expect(graph.nodes.contains { $0.name == "0.mean" && $0.role == .input })
    // The digit is drawn as data, with its gradient (which pixels mattered).
    #expect(graph.nodes.first { $0.name == "input" }?.role == .input)
    #expect(graph.nodes.first { $0.name == "input" }?.gradient?.shape == [1, 64])
    #expect(graph.nodes.last?.name == "loss")
  }
}
