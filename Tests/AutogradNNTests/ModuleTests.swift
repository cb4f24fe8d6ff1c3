import Autograd
import Foundation
import Testing

@testable import AutogradNN

private final class TwoLayers: Module {
  let encoder: Sequential
  let head = Linear(inputSize: 4, outputSize: 2)
  @Parameter var scale = Tensor([1.0])
  @Buffer var steps = Tensor([0.0])
  var optionalLayer: Linear? = nil

  override init() {
    encoder = Sequential(Linear(inputSize: 3, outputSize: 4), ReLU(), Dropout(probability: 0.5))
  }
}

@Suite("Modules") struct ModuleTests {
  @Test func parametersAndBuffersHaveDottedNames() {
    let model = TwoLayers()
    #expect(
      model.namedParameters().map(\.0) == ["scale", "encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias"])
    #expect(model.namedBuffers().map(\.0) == ["steps"])
    #expect(model.parameters().allSatisfy { $0.requiresGrad })
    #expect(model.namedModules().map(\.0) == ["", "encoder", "encoder.0", "encoder.1", "encoder.2", "head"])
    model.optionalLayer = Linear(inputSize: 1, outputSize: 1, bias: false)
    #expect(model.namedParameters().map(\.0).contains("optionalLayer.weight"))
    #expect(!model.namedParameters().map(\.0).contains("optionalLayer.bias"))
  }

  @Test func trainAndEvalReachEveryModule() {
    let model = TwoLayers()
    model.eval()
    #expect(model.namedModules().allSatisfy { !$0.1.isTraining })
    let x = Tensor.ones([2, 3])
    #expect(model.encoder(x).scalars(as: Float.self) == model.encoder(x).scalars(as: Float.self))
    model.train()
    #expect(model.encoder.layers[2].isTraining)
  }

  @Test func aGraphDescribedWithItsModelIsGroupedByModule() {
    let model = TwoLayers()
    model.eval()
    let x = Tensor.ones([2, 3])
    let loss = ComputationGraph.recording { (model.head(model.encoder(x)) * model.scale).sum() }
    let graph = ComputationGraph(of: loss, model: model, names: ["x": x])
    // Parameters are named as the model names them; each op lies in the innermost module that ran it.
    func node(_ name: String) -> ComputationGraph.Node { graph.nodes.first { $0.name == name }! }
    #expect(node("encoder.0.weight").module == "encoder.0" && node("head.bias").module == "head")
    #expect(node("x").module == nil && node("scale").module == nil)
    #expect(graph.nodes.first { $0.op == "Relu" }?.module == "encoder.1")
    #expect(graph.nodes.filter { $0.op == "Linear" }.map(\.module) == ["encoder.0", "head"])
    #expect(graph.nodes.first { $0.op == "Mul" }?.module == nil)
    #expect(
      graph.moduleTypes == ["encoder": "Sequential", "encoder.0": "Linear", "encoder.1": "ReLU", "head": "Linear"])
    let svg = graph.svg()
    for label in ["encoder · Sequential", "encoder.0 · Linear", "encoder.1 · ReLU", "head · Linear"] {
      #expect(svg.contains(">\(label)</text>"), "\(label)")
    }
    // Without the model, no module.
    #expect(ComputationGraph(of: loss).nodes.allSatisfy { $0.module == nil })
  }

  @Test func zeroGradClearsGradients() {
    let layer = Linear(inputSize: 3, outputSize: 2)
    layer(Tensor.ones([1, 3])).sum().backward()
    #expect(layer.weight.grad != nil)
    layer.zeroGrad()
    #expect(layer.parameters().allSatisfy { $0.grad == nil })
  }

  @Test func containers() {
    let list = ModuleList([Linear(inputSize: 2, outputSize: 2), Linear(inputSize: 2, outputSize: 1, bias: false)])
    #expect(list.namedParameters().map(\.0) == ["0.weight", "0.bias", "1.weight"])
    let dict = ModuleDict([("encoder", Linear(inputSize: 2, outputSize: 2))])
    dict["decoder"] = Linear(inputSize: 2, outputSize: 2, bias: false)
    #expect(dict.namedParameters().map(\.0) == ["encoder.weight", "encoder.bias", "decoder.weight"])
    dict["encoder"] = nil
    #expect(dict.keys == ["decoder"])
  }

  @Test func linearMatchesItsFormulaAndPyTorchsInitBounds() {
    var g = RandomGenerator(seed: 1)
    let layer = Linear(inputSize: 100, outputSize: 50, generator: &g)
    #expect(layer.weight.shape == [50, 100] && layer.bias!.shape == [50])
    #expect(layer.weight.abs().max().item() <= 0.1)
    #expect(layer.weight.abs().max().item() > 0.09)
    let x = Tensor.randn([4, 100], generator: &g)
    let expected = x.matmul(layer.weight.transposed()) + layer.bias!
    #expect(
      zip(layer(x).scalars(as: Float.self), expected.scalars(as: Float.self)).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
  }

  @Test func layerShapes() {
    var g = RandomGenerator(seed: 2)
    let image = Tensor.randn([2, 3, 8, 8], generator: &g)
    #expect(
      Conv2d(inputChannels: 3, outputChannels: 5, kernelSize: 3, padding: 1, generator: &g)(image).shape == [
        2, 5, 8, 8,
      ])
    #expect(
      Conv1d(inputChannels: 3, outputChannels: 4, kernelSize: 3, generator: &g)(Tensor.zeros([2, 3, 10])).shape == [
        2, 4, 8,
      ])
    #expect(
      ConvTranspose2d(inputChannels: 3, outputChannels: 2, kernelSize: 2, stride: 2, generator: &g)(image)
        .shape == [2, 2, 16, 16])
    #expect(MaxPool2d(kernelSize: 2)(image).shape == [2, 3, 4, 4])
    #expect(AvgPool2d(kernelSize: 4)(image).shape == [2, 3, 2, 2])
    #expect(AdaptiveAvgPool2d(outputSize: 1)(image).shape == [2, 3, 1, 1])
    #expect(Flatten()(image).shape == [2, 192])
    #expect(BatchNorm2d(features: 3)(image).shape == image.shape)
    #expect(BatchNorm1d(features: 3)(Tensor.randn([4, 3], generator: &g)).shape == [4, 3])
    #expect(LayerNorm(normalizedShape: [8])(image).shape == image.shape)
    #expect(GroupNorm(groups: 1, channels: 3)(image).shape == image.shape)
    #expect(RMSNorm(normalizedShape: [8])(image).shape == image.shape)
    #expect(Embedding(count: 10, dimension: 4, generator: &g)(Tensor(integers: [1, 2, 3])).shape == [3, 4])
    for activation in [
      ReLU(), ReLU6(), Sigmoid(), Tanh(), SiLU(), Mish(), SELU(), Softsign(), LogSigmoid(), Hardsigmoid(),
      Hardswish(), LeakyReLU(), ELU(), CELU(), GELU(), Softplus(), Hardtanh(), Softmax(), LogSoftmax(), Identity(),
    ] as [Layer] {
      #expect(activation(image).shape == image.shape)
    }
  }

  @Test func embeddingPaddingRowStartsAtZeroAndGetsNoGradient() {
    // As PyTorch's nn.Embedding(padding_idx=0): the row is zero at first and never trained.
    var g = RandomGenerator(seed: 4)
    let layer = Embedding(count: 5, dimension: 3, paddingIndex: 0, generator: &g)
    #expect(layer.weight[0].scalars(as: Float.self) == [0, 0, 0])
    let ids = Tensor(integers: [0, 2, 0, 2, 4], shape: [1, 5])
    layer(ids).sum().backward()
    #expect(layer.weight.grad!.scalars(as: Float.self) == [0, 0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1])
    // The function form keeps a non-zero padding row's values; negative indices count from the end.
    let w = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2], requiresGrad: true)
    let y = embedding(Tensor(integers: [2, 1]), weight: w, paddingIndex: -1)
    #expect(y.scalars(as: Float.self) == [5, 6, 3, 4])
    y.sum().backward()
    #expect(w.grad!.scalars(as: Float.self) == [0, 0, 1, 1, 0, 0])
  }

  @Test func normalizationLayersNormalize() {
    var g = RandomGenerator(seed: 3)
    let x = Tensor.randn([6, 4, 5], dtype: .float64, generator: &g) * 3 + 2
    let rms = RMSNorm(normalizedShape: [5], dtype: .float64)(x)
    #expect(Swift.abs(rms.pow(2).mean(axis: -1).scalars(as: Double.self)[0] - 1) < 1e-4)
    let group = GroupNorm(groups: 2, channels: 4, dtype: .float64)(x)
    #expect(Swift.abs(group[0, 0..<2].mean().item()) < 1e-12)
    let bn = BatchNorm1d(features: 4, dtype: .float64)
    _ = bn(x)
    #expect(bn.namedBuffers().map(\.0) == ["runningMean", "runningVariance"])
    #expect(Swift.abs(bn.runningMean.mean().item() - 0.2) < 0.2)
  }

  @Test func initializers() {
    var g = RandomGenerator(seed: 4)
    let w = Tensor.zeros([64, 32], dtype: .float64)
    Init.xavierUniform(w, generator: &g)
    let a = (6.0 / 96).squareRoot()
    #expect(w.abs().max().item() <= a && w.abs().max().item() > 0.9 * a)
    Init.kaimingNormal(w, nonlinearity: .relu, generator: &g)
    #expect(Swift.abs(w.standardDeviation().item() - (2.0 / 32).squareRoot()) < 0.02)
    Init.truncatedNormal(w, std: 1, low: -0.5, high: 0.5, generator: &g)
    #expect(w.abs().max().item() <= 0.5)
    Init.orthogonal(w, generator: &g)
    #expect(
      zip(w.transposed().matmul(w).scalars(as: Double.self), Tensor.eye(32, dtype: .float64).scalars(as: Double.self))
        .allSatisfy { Swift.abs($0 - $1) < 1e-10 })
    Init.constant(w, 0.5)
    #expect(w.mean().item() == 0.5)
    #expect(Init.fans(Tensor.zeros([8, 4, 3, 3])) == (36, 72))
  }

  @Test func layersBuiltWithoutInitializationStartAtZeroAndDrawNothing() throws {
    var g = RandomGenerator(seed: 9)
    let layers: [Module] = withoutInitialization {
      [
        Linear(inputSize: 3, outputSize: 2, generator: &g), Embedding(count: 30, dimension: 4, generator: &g),
        Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, generator: &g),
        Recurrent(.lstm, inputSize: 3, hiddenSize: 4, generator: &g),
        MultiheadAttention(embedDimension: 8, heads: 2, generator: &g),
      ]
    }
    var fresh = RandomGenerator(seed: 9)
    #expect(g.next() == fresh.next(), "no random value was drawn")
    for (name, p) in layers.flatMap({ $0.namedParameters() }) {
      #expect(p.requiresGrad && p.abs().sum().item() == 0, "\(name)")
    }
    // Init's functions draw nothing inside either; outside, layers are random as before.
    let w = Tensor.zeros([4, 4])
    withoutInitialization { Init.normal(w, generator: &g) }
    #expect(w.abs().sum().item() == 0)
    #expect(Linear(inputSize: 3, outputSize: 2, generator: &g).weight.abs().sum().item() > 0)
    // Built that way and loaded, a model computes what the saved one does.
    let saved = Sequential(Linear(inputSize: 3, outputSize: 4), ReLU(), Linear(inputSize: 4, outputSize: 1))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try saved.save(to: url)
    let loaded = withoutInitialization {
      Sequential(Linear(inputSize: 3, outputSize: 4), ReLU(), Linear(inputSize: 4, outputSize: 1))
    }
    _ = try loaded.load(from: url)
    let x = Tensor.randn([5, 3])
    #expect(loaded(x).scalars(as: Float.self) == saved(x).scalars(as: Float.self))
  }
}
