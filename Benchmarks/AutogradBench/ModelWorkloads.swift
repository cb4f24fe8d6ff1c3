import Autograd
import AutogradNN

/// The workloads of real models, W7 and W8, as `pytorch_workloads.py` defines them.
enum ModelWorkloads {
  /// W7: the digits CNN (conv 3x3 1→16 and 16→32 with padding 1, each with ReLU and 2x2 max
  /// pooling, then linear 128→64, ReLU, 64→10) on standardized digits; Adam 1e-3, batch 32,
  /// `epochs` shuffled epochs (20 in the figures) on the first 1500.
  static func cnnDigits(features: Tensor, labels: Tensor, epochs: Int = 20) -> [String: Double] {
    let train = features[..<1500]
    let test = features[1500...]
    let mean = train.mean(axis: 0)
    let std = train.standardDeviation(axes: [0]).clamped(min: 1e-6)
    let standardized = { (x: Tensor) in ((x - mean) / std).reshaped(to: [-1, 1, 8, 8]) }
    var g = RandomGenerator(seed: 0)
    let model = Sequential(
      Conv2d(inputChannels: 1, outputChannels: 16, kernelSize: 3, padding: 1, generator: &g), ReLU(),
      MaxPool2d(kernelSize: 2),
      Conv2d(inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1, generator: &g), ReLU(),
      MaxPool2d(kernelSize: 2),
      Flatten(),
      Linear(inputSize: 128, outputSize: 64, generator: &g), ReLU(),
      Linear(inputSize: 64, outputSize: 10, generator: &g))
    let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
    let loader = DataLoader(
      TensorDataset(standardized(train), labels[..<1500]), batchSize: 32, shuffle: true,
      generator: RandomGenerator(seed: 0))
    Workloads.trainClassifier(model, optimizer: optimizer, loader: loader, epochs: epochs)
    model.eval()
    let predicted = withNoGrad { model(standardized(test)).argmax(axis: 1) }
    return ["test_accuracy": (predicted .== labels[1500...]).cast(to: .float64).mean().item()]
  }

  /// W8: one-layer LSTM (input 32, hidden 128) over 32 steps, batch 16, batch first; the loss is
  /// the mean squared error of a linear read-out (128→8) of the last hidden state; Adam 1e-3, 50 steps.
  static func lstmTraining() -> [String: Double] {
    var data = RandomGenerator(seed: 0)
    let x = Tensor.randn([16, 32, 32], generator: &data)
    let target = Tensor.randn([16, 8], generator: &data)
    var g = RandomGenerator(seed: 0)
    let lstm = Recurrent(.lstm, inputSize: 32, hiddenSize: 128, batchFirst: true, generator: &g)
    let head = Linear(inputSize: 128, outputSize: 8, generator: &g)
    let optimizer = Adam(parameters: lstm.parameters() + head.parameters(), learningRate: 1e-3)
    var loss = Tensor(0)
    for _ in 0..<50 {
      let last = lstm(x).output.transposed(0, 1)[31]
      loss = mseLoss(head(last), target)
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
    }
    return ["final_loss": loss.item()]
  }

  /// W8: one post-norm transformer encoder layer (d_model 64, 4 heads, feed-forward 256, ReLU, no
  /// dropout) on 16 sequences of 32 tokens, batch first; the loss is the output's mean square;
  /// Adam 1e-3, 50 steps.
  static func transformerLayerTraining() -> [String: Double] {
    var data = RandomGenerator(seed: 0)
    let x = Tensor.randn([16, 32, 64], generator: &data)
    var g = RandomGenerator(seed: 0)
    let layer = TransformerEncoderLayer(
      modelDimension: 64, heads: 4, feedForwardDimension: 256, dropout: 0,
      batchFirst: true, generator: &g)
    let optimizer = Adam(parameters: layer.parameters(), learningRate: 1e-3)
    var loss = Tensor(0)
    for _ in 0..<50 {
      loss = layer(x).pow(2).mean()
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
    }
    return ["final_loss": loss.item()]
  }
}
