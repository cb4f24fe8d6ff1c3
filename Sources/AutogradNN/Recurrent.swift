import Autograd

/// The kind of recurrent cell, with its number of gate blocks in the weights.
public enum RecurrentKind: Sendable {
  case rnn(relu: Bool)
  case lstm, gru
  var gates: Int {
    switch self {
    case .rnn: 1
    case .lstm: 4
    case .gru: 3
    }
  }
}

/// The weights of one recurrent cell, laid out as PyTorch's: `weight_ih` `[gates·H, I]`,
/// `weight_hh` `[gates·H, H]` and the two biases, uniform in ±1/√H. Gates are ordered as PyTorch's
/// (LSTM: input, forget, cell, output; GRU: reset, update, new).
struct RecurrentWeights {
  var weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?

  init(kind: RecurrentKind, inputSize: Int, hiddenSize: Int, bias: Bool, dtype: DType, generator: inout RandomGenerator)
  {
    let bound = 1 / Double(hiddenSize).squareRoot()
    let rows = kind.gates * hiddenSize
    func make(_ shape: [Int]) -> Tensor {
      let t = uniformTensor(shape, bound: bound, dtype: dtype, generator: &generator)
      t.requiresGrad = true
      return t
    }
    weightIH = make([rows, inputSize])
    weightHH = make([rows, hiddenSize])
    biasIH = bias ? make([rows]) : nil
    biasHH = bias ? make([rows]) : nil
  }

  func named(_ suffix: String) -> [(String, Tensor)] {
    [("weight_ih\(suffix)", weightIH), ("weight_hh\(suffix)", weightHH)]
      + (biasIH.map { [("bias_ih\(suffix)", $0)] } ?? []) + (biasHH.map { [("bias_hh\(suffix)", $0)] } ?? [])
  }

  /// An LSTM layer over a sequence `[T, N, I]`, as one op: every step's hidden state, and the last
  /// hidden and cell states.
  func sequence(_ x: Tensor, _ h: Tensor, _ c: Tensor) -> (output: Tensor, hidden: Tensor, cell: Tensor) {
    lstmSequence(x, hidden: h, cell: c, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
  }

  /// One step: the new hidden state (and cell state for LSTM) from input `x` `[N, I]`.
  func step(_ kind: RecurrentKind, _ x: Tensor, _ h: Tensor, _ c: Tensor?) -> (Tensor, Tensor?) {
    switch kind {
    case .rnn(let relu):
      let pre = x.linear(weight: weightIH, bias: biasIH) + h.linear(weight: weightHH, bias: biasHH)
      return (relu ? pre.relu() : pre.tanh(), nil)
    case .lstm:
      let (_, hidden, cell) = sequence(x.unsqueezed(at: 0), h, c!)
      return (hidden, cell)
    case .gru:
      let a = x.linear(weight: weightIH, bias: biasIH).chunked(3, axis: 1)
      let b = h.linear(weight: weightHH, bias: biasHH).chunked(3, axis: 1)
      let r = (a[0] + b[0]).sigmoid()
      let z = (a[1] + b[1]).sigmoid()
      let n = (a[2] + r * b[2]).tanh()
      return ((1 - z) * n + z * h, nil)
    }
  }
}

/// A single recurrent cell, as `nn.RNNCell`, `nn.LSTMCell` and `nn.GRUCell`: one time step on
/// `[N, inputSize]` inputs.
public final class RecurrentCell: Module {
  public let kind: RecurrentKind, inputSize: Int, hiddenSize: Int
  var weights: RecurrentWeights

  public init(
    _ kind: RecurrentKind, inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: inout RandomGenerator
  ) {
    (self.kind, self.inputSize, self.hiddenSize) = (kind, inputSize, hiddenSize)
    weights = RecurrentWeights(
      kind: kind, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: &generator)
  }

  public convenience init(
    _ kind: RecurrentKind, inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32
  ) {
    var generator = RandomGenerator.split()
    self.init(kind, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: &generator)
  }

  public override func ownParameters() -> [(String, Tensor)] { weights.named("") }

  /// The next hidden state (and, for LSTM, cell state); zeros when none are given.
  public func callAsFunction(_ input: Tensor, hidden: Tensor? = nil, cell: Tensor? = nil) -> (
    hidden: Tensor, cell: Tensor?
  ) {
    grouped {

      trapUnless(
        input.rank == 2 && input.shape[1] == inputSize,
        "\(kind)Cell: expected input [N, \(inputSize)], got \(input.shape)")
      let zeros = Tensor.zeros([input.shape[0], hiddenSize], dtype: input.dtype)
      let c: Tensor? = if case .lstm = kind { cell ?? zeros } else { nil }
      let (h, newC) = weights.step(kind, input, hidden ?? zeros, c)
      return (h, newC)
    }
  }
}

/// A multi-layer recurrent network over sequences, as `nn.RNN`, `nn.LSTM` and `nn.GRU`:
/// input `[T, N, I]` (`[N, T, I]` with `batchFirst`), output the last layer's hidden states
/// `[T, N, H]`, and the final hidden (and cell) states `[layers, N, H]`. Parameters are named as
/// PyTorch's (`weight_ih_l0`, ...).
public final class Recurrent: Module {
  public let kind: RecurrentKind, inputSize: Int, hiddenSize: Int, layerCount: Int, batchFirst: Bool
  var layers: [RecurrentWeights]

  public init(
    _ kind: RecurrentKind, inputSize: Int, hiddenSize: Int, layers layerCount: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dtype: DType = .float32, generator: inout RandomGenerator
  ) {
    trapUnless(layerCount > 0, "\(kind): layers must be positive, got \(layerCount)")
    (self.kind, self.inputSize, self.hiddenSize, self.layerCount, self.batchFirst) = (
      kind, inputSize, hiddenSize, layerCount, batchFirst
    )
    var built: [RecurrentWeights] = []
    for l in 0..<layerCount {
      built.append(
        RecurrentWeights(
          kind: kind, inputSize: l == 0 ? inputSize : hiddenSize, hiddenSize: hiddenSize, bias: bias,
          dtype: dtype, generator: &generator))
    }
    layers = built
  }

  public convenience init(
    _ kind: RecurrentKind, inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dtype: DType = .float32
  ) {
    var generator = RandomGenerator.split()
    self.init(
      kind, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias, batchFirst: batchFirst,
      dtype: dtype, generator: &generator)
  }

  public override func ownParameters() -> [(String, Tensor)] {
    layers.enumerated().flatMap { $0.element.named("_l\($0.offset)") }
  }

  /// Runs the sequence; `hidden` and `cell` (`[layers, N, H]`) default to zeros.
  public func callAsFunction(_ input: Tensor, hidden: Tensor? = nil, cell: Tensor? = nil)
    -> (output: Tensor, hidden: Tensor, cell: Tensor?)
  {
    grouped {

      trapUnless(
        input.rank == 3 && input.shape[2] == inputSize,
        "\(kind): expected input [T, N, \(inputSize)], got \(input.shape)"
      )
      let sequence = batchFirst ? input.transposed(0, 1) : input
      let (steps, batch) = (sequence.shape[0], sequence.shape[1])
      let zeros = Tensor.zeros([layerCount, batch, hiddenSize], dtype: input.dtype)
      var finalH: [Tensor] = []
      if case .lstm = kind {
        // Each layer is one op over the whole sequence.
        var finalC: [Tensor] = []
        var layerInput = sequence
        for (l, weights) in layers.enumerated() {
          let result = weights.sequence(layerInput, (hidden ?? zeros)[l], (cell ?? zeros)[l])
          finalH.append(result.hidden)
          finalC.append(result.cell)
          layerInput = result.output
        }
        let output = batchFirst ? layerInput.transposed(0, 1) : layerInput
        return (output, Tensor.stack(finalH), Tensor.stack(finalC))
      }
      var layerInput = (0..<steps).map { sequence[$0] }
      for (l, weights) in layers.enumerated() {
        var h = (hidden ?? zeros)[l]
        var outputs: [Tensor] = []
        for x in layerInput {
          h = weights.step(kind, x, h, nil).0
          outputs.append(h)
        }
        finalH.append(h)
        layerInput = outputs
      }
      let output = Tensor.stack(layerInput)
      return (batchFirst ? output.transposed(0, 1) : output, Tensor.stack(finalH), nil)
    }
  }
}

/// y = x₁ᵀ A x₂ + b for each output, as `nn.Bilinear`: weight `[out, in1, in2]`, uniform in ±1/√in1.
public final class Bilinear: Module {
  @Parameter public var weight: Tensor
  @Parameter public var bias: Tensor?

  public init(
    input1Size: Int, input2Size: Int, outputSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: inout RandomGenerator
  ) {
    let bound = 1 / Double(input1Size).squareRoot()
    weight = uniformTensor([outputSize, input1Size, input2Size], bound: bound, dtype: dtype, generator: &generator)
    self.bias = bias ? uniformTensor([outputSize], bound: bound, dtype: dtype, generator: &generator) : nil
  }

  public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor {
    grouped {

      let y = Tensor.einsum("ni,oij,nj->no", x1, weight, x2)
      return bias.map { y + $0 } ?? y
    }
  }
}
