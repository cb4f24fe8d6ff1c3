import Autograd
import AutogradExamples
import AutogradNN
import Foundation
import Testing

/// The code of AutogradNN's article "Training a classifier", as written there (one epoch here).
@Suite("Documentation examples") struct DocumentationExampleTests {
  @Test func trainingAClassifierArticleRuns() throws {
    let url = try DigitsClassifier.defaultDataURL
    let table = try loadNumericCSV(url)
    let features = (table[.all, ..<64] / 16).cast(to: .float32).contiguous()
    let labels = table[.all, 64].cast(to: .int64)
    var generator = RandomGenerator(seed: 0)
    let parts = randomSplit(TensorDataset(features, labels), sizes: [1438, 359], generator: &generator)
    let model = Sequential(
      Linear(inputSize: 64, outputSize: 128, generator: &generator), ReLU(),
      Linear(inputSize: 128, outputSize: 10, generator: &generator))
    #expect(model.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
    let schedule = CosineAnnealingLR(optimizer: optimizer, period: 30)
    let loader = DataLoader(parts[0], batchSize: 32, shuffle: true, generator: RandomGenerator(seed: 1))
    for _ in 0..<1 {
      for (inputs, labels) in loader {
        let loss = crossEntropy(model(inputs), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
      }
      schedule.step()
    }
    model.eval()
    let (testInputs, testLabels) = parts[1].batch(at: Array(0..<parts[1].count))
    let accuracy = withNoGrad { (model(testInputs).argmax(axis: 1) .== testLabels).cast(to: .float64).mean().item() }
    #expect(accuracy > 0.5)
    let saved = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID())-digits.safetensors")
    defer { try? FileManager.default.removeItem(at: saved) }
    try model.save(to: saved, metadata: ["accuracy": "\(accuracy)"])
    #expect(try model.load(from: saved)["accuracy"] == "\(accuracy)")
  }
}
