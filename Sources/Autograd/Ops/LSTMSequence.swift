/// One LSTM layer over a whole sequence, as a layer of PyTorch's `nn.LSTM`: one graph node with a
/// backward rule of its own, rather than a dozen recorded ops per step.
///
/// `input` is `[T, N, I]`; `hidden` and `cell`, the initial states, `[N, H]`; `weightIH` `[4H, I]`
/// and `weightHH` `[4H, H]`, with the gates in PyTorch's order (input, forget, cell, output);
/// `biasIH` and `biasHH` `[4H]`, both or neither. Each step computes
///
///     i, f, g, o = σ, σ, tanh, σ of (x_t Wᵢₕᵀ + bᵢₕ + h_{t-1} Wₕₕᵀ + bₕₕ), cut in four
///     c_t = f · c_{t-1} + i · g,   h_t = o · tanh(c_t)
///
/// and the result is every step's `h_t` (`output`, `[T, N, H]`) with the last step's `hidden` and
/// `cell` (`[N, H]`). Gradients of gradients (`createGraph`) differentiate the same steps recorded
/// op by op.
public func lstmSequence(
  _ input: Tensor, hidden: Tensor, cell: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor? = nil,
  biasHH: Tensor? = nil
) -> (output: Tensor, hidden: Tensor, cell: Tensor) {
  checkLSTMOperands(input, hidden, cell, weightIH, weightHH, biasIH, biasHH)
  var inputs: TensorList = [input, hidden, cell, weightIH, weightHH]
  if let biasIH, let biasHH {
    inputs.append(biasIH)
    inputs.append(biasHH)
  }
  let contiguous = { (x: Tensor) in x.isContiguous ? x.detached() : Kernels.contiguousCopy(x) }
  let forward = Kernels.lstmForward(
    input: contiguous(input), hidden: contiguous(hidden), cell: contiguous(cell), weightIH: weightIH.detached(),
    weightHH: weightHH.detached(), biasIH: biasIH.map(contiguous), biasHH: biasHH.map(contiguous))
  var saved = inputs
  saved.append(forward.gates)
  saved.append(forward.states.detached())
  let states = forward.states.recorded("LSTMBackward", inputs: inputs, saving: saved) { g, s, needs in
    let inputCount = s.count - 2
    if GradMode.isEnabled {
      return gradientsByRecomputing(
        composedLSTMStates, inputs: Array(s.prefix(inputCount)), outputGradient: g, needs: needs)
    }
    let detached = (0..<inputCount).map { s[$0].detached() }
    let grads = Kernels.lstmBackward(
      gradient: contiguous(g), input: contiguous(detached[0]), hidden: detached[1], cell: contiguous(detached[2]),
      weightIH: detached[3], weightHH: detached[4],
      forward: Kernels.LSTMForward(states: s[inputCount + 1], gates: s[inputCount]),
      needs: needs)
    var list: GradientList = [grads.input, grads.hidden, grads.cell, grads.weightIH, grads.weightHH]
    if inputCount == 7 {
      list.append(needs[5] ? grads.bias : nil)
      list.append(needs[6] ? grads.bias.map { needs[5] ? Kernels.contiguousCopy($0) : $0 } : nil)
    }
    return list
  }
  let last = input.shapeDims[0] - 1
  return (states[0], states[0, last], states[1, last])
}

/// The steps of `lstmSequence` recorded op by op, from its inputs in the order it records them;
/// the result is its states, `[2, T, N, H]`.
func composedLSTMStates(_ inputs: [Tensor]) -> Tensor {
  let (x, weightIH, weightHH) = (inputs[0], inputs[3], inputs[4])
  let (biasIH, biasHH) = inputs.count == 7 ? (inputs[5], inputs[6]) : (nil, nil)
  var (h, c) = (inputs[1], inputs[2])
  var (hs, cs): ([Tensor], [Tensor]) = ([], [])
  for t in 0..<x.shapeDims[0] {
    let gates = (x[t].linear(weight: weightIH, bias: biasIH) + h.linear(weight: weightHH, bias: biasHH)).chunked(
      4, axis: 1)
    c = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
    h = gates[3].sigmoid() * c.tanh()
    hs.append(h)
    cs.append(c)
  }
  return Tensor.stack([Tensor.stack(hs), Tensor.stack(cs)])
}

private func checkLSTMOperands(
  _ input: Tensor, _ hidden: Tensor, _ cell: Tensor, _ weightIH: Tensor, _ weightHH: Tensor, _ biasIH: Tensor?,
  _ biasHH: Tensor?
) {
  trapUnless(
    input.dtype.isFloatingPoint, "lstm: expected a floating-point input, got \(input.dtype)")
  trapUnless(
    input.rank == 3 && input.shapeDims[0] > 0,
    "lstm: expected input [T, N, I] with at least one step, got \(input.shape)")
  trapUnless(
    weightIH.rank == 2 && weightIH.shapeDims[0] > 0 && weightIH.shapeDims[0] % 4 == 0
      && weightIH.shapeDims[1] == input.shapeDims[2],
    "lstm: expected weightIH [4H, \(input.shapeDims[2])] for input \(input.shape), got \(weightIH.shape)")
  let hiddenSize = weightIH.shapeDims[0] / 4
  let (batch, gates) = (input.shapeDims[1], 4 * hiddenSize)
  trapUnless(
    weightHH.shapeDims == [gates, hiddenSize],
    "lstm: expected weightHH [\(gates), \(hiddenSize)] for weightIH \(weightIH.shape), got \(weightHH.shape)")
  trapUnless(
    hidden.shapeDims == [batch, hiddenSize] && cell.shapeDims == [batch, hiddenSize],
    "lstm: expected hidden and cell [\(batch), \(hiddenSize)] for input \(input.shape), got \(hidden.shape) and \(cell.shape)"
  )
  trapUnless(
    (biasIH == nil) == (biasHH == nil),
    "lstm: give both biases or neither, got \(biasIH?.shape.description ?? "none") and \(biasHH?.shape.description ?? "none")"
  )
  if let biasIH, let biasHH {
    trapUnless(
      biasIH.shapeDims == [gates] && biasHH.shapeDims == [gates],
      "lstm: expected biases [\(gates)], got \(biasIH.shape) and \(biasHH.shape)")
  }
  for (name, t) in [("hidden", hidden), ("cell", cell), ("weightIH", weightIH), ("weightHH", weightHH)]
    + [("biasIH", biasIH), ("biasHH", biasHH)].compactMap({ b in b.1.map { (b.0, $0) } })
  {
    trapUnless(t.dtype == input.dtype, "lstm: \(name) is \(t.dtype), the input \(input.dtype)")
  }
}
