import Autograd
import AutogradDistributed
import AutogradNN
import Foundation

/// Trains a classifier of 8x8 handwritten digits (the UCI data set, shipped with this package):
/// an MLP or a small CNN, with a seeded train/test split, mini-batches and a choice of optimizer.
public enum DigitsClassifier {
  public enum Model: String, CaseIterable, Sendable { case mlp, cnn }
  public enum OptimizerKind: String, CaseIterable, Sendable { case adam, adamw, sgd, rmsprop }

  public struct Options: Sendable {
    public var model: Model = .mlp
    public var epochs = 30
    public var batchSize = 32
    public var learningRate = 1e-3
    public var optimizer: OptimizerKind = .adam
    public var seed: UInt64 = 0
    /// The share of the data held out for testing.
    public var testFraction = 0.2
    public init() {}
  }

  /// What one epoch did.
  public struct EpochReport: Sendable {
    public var epoch: Int
    public var meanLoss: Double
    public var testAccuracy: Double
    public var seconds: Double
  }

  /// Progress within an epoch, for progress bars.
  public struct BatchProgress: Sendable {
    public var epoch: Int, samplesDone: Int, samplesTotal: Int, runningLoss: Double, seconds: Double

    public init(epoch: Int, samplesDone: Int, samplesTotal: Int, runningLoss: Double, seconds: Double) {
      (self.epoch, self.samplesDone, self.samplesTotal, self.runningLoss, self.seconds) =
        (epoch, samplesDone, samplesTotal, runningLoss, seconds)
    }
  }

  /// The digits data shipped with the package (see `ExampleResources`).
  /// - Throws: `DataFileError` when it is not beside the executable, saying to pass the data's path.
  public static var defaultDataURL: URL {
    get throws {
      if let url = ExampleResources.url("digits.csv") { return url }
      throw DataFileError(
        path: ExampleResources.expectedURL("digits.csv").path, location: "",
        reason:
          "the digits data that ships with the tool is not beside it; pass the data with --data FILE (a CSV of 64 pixels 0...16 and a label per row)"
      )
    }
  }

  /// Features scaled to [0, 1] (float32, `[N, 64]`) and labels (int64, `[N]`) from the CSV.
  /// - Throws: `DataFileError` for an unreadable or malformed file, or one whose rows are not
  ///   64 pixels in 0...16 and a label in 0...9.
  public static func load(_ url: URL) throws -> (features: Tensor, labels: Tensor) {
    let table = try loadNumericCSV(url)
    guard table.shape[1] == 65 else {
      throw DataFileError(
        path: url.path, location: "1", reason: "expected 65 columns (64 pixels and a label), found \(table.shape[1])")
    }
    let rows = table.scalars(as: Double.self)
    for r in 0..<table.shape[0] {
      let row = rows[(r * 65)..<(r * 65 + 65)]
      if let bad = row.prefix(64).firstIndex(where: { $0 < 0 || $0 > 16 }) {
        throw DataFileError(
          path: url.path, location: "\(r + 1)",
          reason: "column \(bad - r * 65 + 1): pixel \(rows[bad]) is outside 0...16")
      }
      let label = row.last!
      guard label == label.rounded(), (0...9).contains(label) else {
        throw DataFileError(
          path: url.path, location: "\(r + 1)", reason: "column 65: label \(label) is not a digit 0...9")
      }
    }
    let features = (table[.all, ..<64] / 16).cast(to: .float32).contiguous()
    let labels = table[.all, 64].cast(to: .int64)
    return (features, labels)
  }

  /// The network for `model`: MLP 64-128-128-10 with ReLU, or a CNN of two 3x3 convolutions
  /// (16 and 32 channels, each followed by ReLU and 2x2 max pooling) and two linear layers.
  public static func makeModel(_ model: Model, generator: inout RandomGenerator) -> Sequential {
    switch model {
    case .mlp:
      return Sequential(
        Standardize(features: 64),
        Linear(inputSize: 64, outputSize: 128, generator: &generator), ReLU(),
        Linear(inputSize: 128, outputSize: 128, generator: &generator), ReLU(),
        Linear(inputSize: 128, outputSize: 10, generator: &generator))
    case .cnn:
      return Sequential(
        Standardize(features: 64),
        Unflatten(shape: [1, 8, 8]),
        Conv2d(inputChannels: 1, outputChannels: 16, kernelSize: 3, padding: 1, generator: &generator),
        ReLU(),
        MaxPool2d(kernelSize: 2),
        Conv2d(inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1, generator: &generator),
        ReLU(),
        MaxPool2d(kernelSize: 2),
        Flatten(),
        Linear(inputSize: 128, outputSize: 64, generator: &generator), ReLU(),
        Linear(inputSize: 64, outputSize: 10, generator: &generator))
    }
  }

  static func makeOptimizer(_ kind: OptimizerKind, _ parameters: [Tensor], learningRate: Double) -> Optimizer {
    switch kind {
    case .adam: Adam(parameters: parameters, learningRate: learningRate)
    case .adamw: AdamW(parameters: parameters, learningRate: learningRate)
    case .sgd: SGD(parameters: parameters, learningRate: learningRate, momentum: 0.9)
    case .rmsprop: RMSprop(parameters: parameters, learningRate: learningRate)
    }
  }

  /// The share of `labels` that `model` predicts, in evaluation mode and without recording.
  public static func accuracy(of model: Layer, features: Tensor, labels: Tensor) -> Double {
    model.eval()
    defer { model.train() }
    let predicted = withNoGrad { model(features).argmax(axis: 1) }
    return (predicted .== labels).cast(to: .float64).mean().item()
  }

  /// The seeded train/test split: the same seed and fraction give the same held-out samples, so
  /// `evaluate` can test a saved model on exactly the data its training run held out.
  public static func split(features: Tensor, labels: Tensor, testFraction: Double, generator: inout RandomGenerator)
    -> (train: Subset<TensorDataset<(Tensor, Tensor)>>, test: Subset<TensorDataset<(Tensor, Tensor)>>)
  {
    let all = TensorDataset(features, labels)
    let testCount = Int((Double(all.count) * testFraction).rounded())
    let parts = randomSplit(all, sizes: [all.count - testCount, testCount], generator: &generator)
    return (parts[0], parts[1])
  }

  /// The metadata a saved model carries, to rebuild it and its test split.
  public static func metadata(_ options: Options, accuracy: Double) -> [String: String] {
    [
      "model": options.model.rawValue, "seed": "\(options.seed)", "test_fraction": "\(options.testFraction)",
      "epochs": "\(options.epochs)", "optimizer": options.optimizer.rawValue, "test_accuracy": "\(accuracy)",
      "format": "swift-autograd digits classifier",
    ]
  }

  /// Loads a model saved by `autograd train --save`, and the seed and fraction of its test split.
  /// - Throws: `TensorIOError` for a bad file, `DataFileError` for missing metadata, `StateDictError`
  ///   for weights that do not fit the model the metadata names.
  public static func loadModel(_ url: URL) throws -> (model: Sequential, options: Options) {
    let tensors: [(String, Tensor)]
    let metadata: [String: String]
    do {
      (tensors, metadata) = try Safetensors.load(url)
    } catch TensorIOError.malformed(let reason) {
      // Whatever the bytes were, the user passed the wrong file: say so first.
      throw DataFileError(
        path: url.path, location: "",
        reason: "not a model saved by `autograd train --save` (not a safetensors file: \(reason))")
    }
    guard let kind = metadata["model"].flatMap(Model.init(rawValue:)), let seed = metadata["seed"].flatMap(UInt64.init),
      let fraction = metadata["test_fraction"].flatMap(Double.init)
    else {
      throw DataFileError(
        path: url.path, location: "",
        reason: "not a digits model saved by `autograd train --save` (metadata \(metadata.keys.sorted()))")
    }
    var options = Options()
    (options.model, options.seed, options.testFraction) = (kind, seed, fraction)
    var generator = RandomGenerator(seed: 0)
    let model = makeModel(kind, generator: &generator)
    try model.loadStateDict(tensors)
    model.eval()
    return (model, options)
  }

  /// The model's forward pass on digit `sample` and the cross-entropy loss of its label, with every
  /// parameter and buffer named (for drawing and explaining the graph). The input requires grad, so
  /// the whole pass is recorded and d(loss)/d(input), which pixels mattered, is part of the graph.
  public static func lossOnOneDigit(_ model: Layer, features: Tensor, labels: Tensor, sample: Int)
    -> (loss: Tensor, names: [String: Tensor])
  {
    let input = features[sample..<(sample + 1)].clone().detached()
    let label = labels[sample..<(sample + 1)]
    input.requiresGrad = true
    let logits = model(input)
    let loss = crossEntropy(logits, label)
    var names = Dictionary(uniqueKeysWithValues: model.namedParameters() + model.namedBuffers())
    (names["input"], names["logits"], names["loss"]) = (input, logits, loss)
    return (loss, names)
  }

  /// Splits the data, trains, and reports each epoch; returns the trained model.
  ///
  /// With a `group` of several processes (`mpirun -np N`), each rank trains on its own share of
  /// every epoch (a `DistributedSampler`) with `batchSize` samples per step, and the gradients are
  /// averaged across ranks (`DistributedDataParallel`): a global batch of `batchSize` x ranks. The
  /// reported loss is the mean over every rank's samples; every rank returns the same model.
  public static func train(
    features: Tensor, labels: Tensor, options: Options, group: ProcessGroup? = nil,
    onBatch: (BatchProgress) -> Void = { _ in },
    onEpoch: (EpochReport) -> Void = { _ in }
  ) throws -> Sequential {
    var generator = RandomGenerator(seed: options.seed)
    let (train, test) = split(
      features: features, labels: labels, testFraction: options.testFraction, generator: &generator)
    let (testFeatures, testLabels) = test.batch(at: Array(0..<test.count))
    let model = makeModel(options.model, generator: &generator)
    if let standardize = model.layers.first as? Standardize {
      standardize.fit(train.batch(at: Array(0..<train.count)).0)
    }
    let optimizer = makeOptimizer(options.optimizer, model.parameters(), learningRate: options.learningRate)
    let parallel = try group.map { try DistributedDataParallel(model, group: $0) }
    let sampler = group.map {
      DistributedSampler(count: train.count, rank: $0.rank, ranks: $0.size, seed: options.seed &+ 1)
    }
    let loader =
      sampler.map { DataLoader(train, batchSize: options.batchSize, sampler: $0) }
      ?? DataLoader(
        train, batchSize: options.batchSize, shuffle: true, generator: RandomGenerator(seed: options.seed &+ 1))
    let samplesPerEpoch = sampler?.count ?? train.count
    for epoch in stride(from: 1, through: options.epochs, by: 1) {
      let start = Date()
      sampler?.epoch = epoch
      var lossSum = 0.0
      var seen = 0
      for (inputs, labels) in loader {
        let loss = crossEntropy(parallel?(inputs) ?? model(inputs), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        let n = inputs.shape[0]
        lossSum += loss.item() * Double(n)
        seen += n
        onBatch(
          BatchProgress(
            epoch: epoch, samplesDone: seen, samplesTotal: samplesPerEpoch, runningLoss: lossSum / Double(seen),
            seconds: Date().timeIntervalSince(start)))
      }
      if let group {
        let totals = Tensor([lossSum, Double(seen)], dtype: .float64)
        try group.allReduce(totals)
        (lossSum, seen) = (totals[0].item(), Int(totals[1].item()))
      }
      let accuracy = Self.accuracy(of: model, features: testFeatures, labels: testLabels)
      onEpoch(
        EpochReport(
          epoch: epoch, meanLoss: lossSum / Double(Swift.max(seen, 1)), testAccuracy: accuracy,
          seconds: Date().timeIntervalSince(start)))
    }
    return model
  }
}

/// (x - mean) / std per feature, with the statistics of the training data kept as buffers so that
/// a saved model carries its own input scaling.
public final class Standardize: Layer {
  @Buffer public var mean: Tensor
  @Buffer public var std: Tensor

  public init(features: Int) {
    mean = Tensor.zeros([features])
    std = Tensor.ones([features])
  }

  /// Sets the statistics from `[N, features]` data; constant features keep a std of 1.
  public func fit(_ data: Tensor) {
    withNoGrad {
      mean.copy(from: data.mean(axis: 0))
      let deviation = data.standardDeviation(axes: [0], correction: 0)
      std.copy(from: Tensor.where(deviation .> 1e-6, deviation, Tensor.ones([], dtype: deviation.dtype)))
    }
  }

  public override func forward(_ input: Tensor) -> Tensor { (input - mean) / std }
}
