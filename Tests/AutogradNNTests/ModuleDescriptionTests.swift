import Autograd
import Testing

@testable import AutogradNN

@Suite("print(model)") struct ModuleDescriptionTests {
  @Test func aModelPrintsAsATreeWithItsHyperparameters() {
    var g = RandomGenerator(seed: 0)
    let model = Sequential(
      Conv2d(inputChannels: 1, outputChannels: 16, kernelSize: 3, padding: 1, generator: &g), ReLU(),
      MaxPool2d(kernelSize: 2), Flatten(), Linear(inputSize: 64, outputSize: 10, bias: false, generator: &g),
      Dropout(probability: 0.25))
    #expect(
      "\(model)" == """
        Sequential(
          (0): Conv2d(inputChannels: 1, outputChannels: 16, kernelSize: 3, bias: true, stride: 1, padding: 1, dilation: 1, groups: 1)
          (1): ReLU()
          (2): MaxPool2d(kernelSize: 2, padding: 0)
          (3): Flatten(startAxis: 1, endAxis: -1)
          (4): Linear(inputSize: 64, outputSize: 10, bias: false)
          (5): Dropout(probability: 0.25)
        )
        """)
  }

  @Test func nestedModulesIndentAndOthersShowTheirSizes() {
    var g = RandomGenerator(seed: 0)
    let list = ModuleList([
      Embedding(count: 10, dimension: 4, paddingIndex: 0, generator: &g),
      Recurrent(.lstm, inputSize: 4, hiddenSize: 8, generator: &g), BatchNorm1d(features: 8),
      MultiheadAttention(embedDimension: 8, heads: 2, generator: &g),
    ])
    let text = "\(list)"
    #expect(text.contains("  (0): Embedding(count: 10, dimension: 4, paddingIndex: 0)"), "\(text)")
    #expect(
      text.contains("  (1): Recurrent(kind: lstm, inputSize: 4, hiddenSize: 8, layerCount: 1, batchFirst: false)"))
    #expect(text.contains("  (2): BatchNorm1d(features: 8, affine: true, momentum: 0.1, epsilon: 1e-05)"))
    #expect(text.contains("  (3): MultiheadAttention(embedDimension: 8, heads: 2, batchFirst: false, dropout: 0\n"))
    #expect(text.contains("\n    (out_proj): Linear(inputSize: 8, outputSize: 8, bias: true)\n  )\n)"), "\(text)")
  }
}
