import Autograd
import AutogradExamples
import AutogradNN

/// The workloads, written as a user of the library would write them.
enum Workloads {
  /// W1: the lecture's loop, per-sample graph, backward, update and zeroing (without printing).
  static func seedExercise(epochs: Int) -> [String: Double] {
    let w = Tensor([1.0], requiresGrad: true)
    for _ in 0..<epochs {
      for (x, y) in [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)] {
        let l = (y - x * w) * (y - x * w)
        l.backward()
        w.data = w.data - 0.01 * w.grad!.item()
        w.grad!.data.zero()
      }
    }
    return ["epochs": Double(epochs), "final_w": w.item()]
  }

  /// W2: the tutorial's two-layer network, 500 steps, with resident memory at steps 10 and 500.
  static func twoLayerNet() -> [String: Double] {
    var memory: [String: Double] = [:]
    let loss = TwoLayerNet(seed: 0).train(steps: 500) { step, _ in
      if step == 9 || step == 499 { memory["rss_mb_step_\(step + 1)"] = ResidentMemory.megabytes() }
    }
    return memory.merging(["final_loss": loss]) { $1 }
  }

  /// W3: MLP 64-128-128-10, Adam (lr 1e-3), batch 32, 20 shuffled epochs on the first 1500 digits.
  static func mlpDigits(features: Tensor, labels: Tensor) -> [String: Double] {
    var g = RandomGenerator(seed: 0)
    let model = Sequential(
      Linear(inputSize: 64, outputSize: 128, generator: &g), ReLU(),
      Linear(inputSize: 128, outputSize: 128, generator: &g), ReLU(),
      Linear(inputSize: 128, outputSize: 10, generator: &g))
    let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
    let train = TensorDataset(features[..<1500], labels[..<1500])
    let loader = DataLoader(train, batchSize: 32, shuffle: true, generator: RandomGenerator(seed: 0))
    var memory: [String: Double] = [:]
    let step = trainClassifier(model, optimizer: optimizer, loader: loader, epochs: 20) { step in
      if step == 10 { memory["rss_mb_step_10"] = ResidentMemory.megabytes() }
    }
    memory["rss_mb_step_\(step)"] = ResidentMemory.megabytes()
    let accuracy = DigitsClassifier.accuracy(of: model, features: features[1500...], labels: labels[1500...])
    return memory.merging(["test_accuracy": accuracy, "steps": Double(step)]) { $1 }
  }

  /// Trains with cross-entropy for `epochs` passes over `loader`, calling `afterStep` with the
  /// number of steps so far after each; returns that number.
  @discardableResult
  static func trainClassifier<D: Dataset>(
    _ model: Layer, optimizer: Optimizer, loader: DataLoader<D>, epochs: Int,
    afterStep: (Int) -> Void = { _ in }
  ) -> Int where D.Batch == (Tensor, Tensor) {
    var step = 0
    for _ in 0..<epochs {
      for (inputs, labels) in loader {
        let loss = crossEntropy(model(inputs), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        step += 1
        afterStep(step)
      }
    }
    return step
  }

  /// W4: `x = x * a + b`, `depth` times, then one backward. With `measuringMemory`, also the
  /// resident bytes per recorded op (2 per step) once the graph is built, and the megabytes still
  /// resident after it is freed, both above what was resident before.
  static func deepChain(depth: Int, measuringMemory: Bool = false) -> [String: Double] {
    let before = measuringMemory ? ResidentMemory.megabytes() : 0
    var built = 0.0
    let x0 = Tensor(0.5, requiresGrad: true)
    let a = Tensor(0.9999)
    let b = Tensor(0.0001)
    do {
      var x = x0
      for _ in 0..<depth { x = x * a + b }
      if measuringMemory { built = ResidentMemory.megabytes() }
      x.backward()
    }
    var result = ["depth": Double(depth), "grad": x0.grad!.item()]
    if measuringMemory {
      result["bytes_per_recorded_op"] = (built - before) * 1e6 / Double(2 * depth)
      result["rss_mb_kept_after_free"] = ResidentMemory.megabytes() - before
    }
    return result
  }

  /// W5: one forward and backward of an n x n matmul (3 GEMMs).
  static func gemmForwardBackward(n: Int) -> () -> Void {
    var g = RandomGenerator(seed: 5)
    let a = Tensor.randn([n, n], generator: &g)
    let b = Tensor.randn([n, n], generator: &g)
    a.requiresGrad = true
    b.requiresGrad = true
    let upstream = Tensor.ones([n, n])
    return {
      a.grad = nil
      b.grad = nil
      a.matmul(b).backward(upstream)
    }
  }

  /// W6: sum(tanh(x) · exp(-x²)) over 10^7 float32 values, forward and backward.
  static func elementwise(_ x0: Tensor) -> [String: Double] {
    let x = x0.clone().detached()
    x.requiresGrad = true
    let y = (x.tanh() * (-(x * x)).exp()).sum()
    y.backward()
    return ["y": y.item()]
  }

  /// W6-gelu: gelu forward and backward over the same values (a transformer's feed-forward layer).
  static func gelu(_ x0: Tensor) -> [String: Double] {
    let x = x0.clone().detached()
    x.requiresGrad = true
    let y = x.gelu().sum()
    y.backward()
    return ["y": y.item()]
  }
}
