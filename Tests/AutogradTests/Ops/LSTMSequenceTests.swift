import Foundation
import Testing

@testable import Autograd

/// The inputs of `lstmSequence` in the order it records them: input `[T, N, I]` (a transposed view
/// when `batchFirst`), initial hidden and cell `[N, H]`, the weights and, when `bias`, the biases.
private func lstmInputs(
  steps: Int, batch: Int, inputSize: Int, hiddenSize: Int, bias: Bool = true, batchFirst: Bool = false,
  dtype: DType = .float64, seed: UInt64
) -> [Tensor] {
  var g = RandomGenerator(seed: seed)
  let input =
    batchFirst
    ? Tensor.randn([batch, steps, inputSize], dtype: dtype, generator: &g).transposed(0, 1)
    : Tensor.randn([steps, batch, inputSize], dtype: dtype, generator: &g)
  let shapes =
    [[batch, hiddenSize], [batch, hiddenSize], [4 * hiddenSize, inputSize], [4 * hiddenSize, hiddenSize]]
    + (bias ? [[4 * hiddenSize], [4 * hiddenSize]] : [])
  return [input] + shapes.map { Tensor.randn($0, dtype: dtype, generator: &g) * 0.5 }
}

private func lstm(_ x: [Tensor]) -> (output: Tensor, hidden: Tensor, cell: Tensor) {
  lstmSequence(
    x[0], hidden: x[1], cell: x[2], weightIH: x[3], weightHH: x[4], biasIH: x.count == 7 ? x[5] : nil,
    biasHH: x.count == 7 ? x[6] : nil)
}

/// One number from all three results, weighted so that each element's gradient differs.
private func weightedSum(_ r: (output: Tensor, hidden: Tensor, cell: Tensor)) -> Tensor {
  func ramp(_ t: Tensor) -> Tensor {
    Tensor.arange(0, Double(t.count), dtype: t.dtype).reshaped(to: t.shape).sin()
  }
  return (r.output * ramp(r.output)).sum() + (r.hidden * ramp(r.hidden)).sum() * 2 + (r.cell.cos()).sum()
}

@Suite("LSTM sequences") struct LSTMSequenceTests {
  @Test(arguments: [DType.float64, .float32], [false, true])
  func valuesAndGradientsMatchTheStepsRecordedOpByOp(dtype: DType, batchFirst: Bool) {
    for bias in [true, false] {
      let x = lstmInputs(
        steps: 5, batch: 3, inputSize: 4, hiddenSize: 6, bias: bias, batchFirst: batchFirst, dtype: dtype, seed: 31)
      for t in x { t.requiresGrad = true }
      let fused = lstm(x)
      let states = composedLSTMStates(x)
      let tolerance = dtype == .float64 ? 1e-12 : 2e-5
      #expect(isClose(fused.output, states[0], tolerance))
      #expect(isClose(fused.hidden, states[0, 4], tolerance))
      #expect(isClose(fused.cell, states[1, 4], tolerance))
      let fusedGrads = grad(of: weightedSum(fused), withRespectTo: x)
      let composedGrads = grad(of: weightedSum((states[0], states[0, 4], states[1, 4])), withRespectTo: x)
      for (i, (a, b)) in zip(fusedGrads, composedGrads).enumerated() {
        #expect(a!.dtype == dtype && isClose(a!, b!, tolerance * 10), "input \(i), bias \(bias), \(dtype)")
      }
    }
  }

  /// A sequence long and wide enough that the samples of the batch are split between threads.
  @Test func aBatchSplitBetweenThreadsGivesTheSameValuesAndGradients() {
    let x = lstmInputs(steps: 32, batch: 4, inputSize: 3, hiddenSize: 128, seed: 37)
    for t in x { t.requiresGrad = true }
    let fused = lstm(x)
    let states = composedLSTMStates(x)
    #expect(isClose(fused.output, states[0], 1e-12))
    let fusedGrads = grad(of: weightedSum(fused), withRespectTo: x)
    let composedGrads = grad(of: weightedSum((states[0], states[0, 31], states[1, 31])), withRespectTo: x)
    for (i, (a, b)) in zip(fusedGrads, composedGrads).enumerated() { #expect(isClose(a!, b!, 1e-10), "input \(i)") }
  }

  @Test func gradientsOfFirstAndSecondOrder() {
    for bias in [true, false] {
      let x = lstmInputs(steps: 3, batch: 2, inputSize: 2, hiddenSize: 2, bias: bias, seed: 32)
      checkBothOrders(inputs: x, label: "bias \(bias)") {
        let r = lstm($0)
        return r.output.sum(axis: 0) + r.cell * 2
      }
    }
    // One step, one sequence: the edges of the loops.
    checkBothOrders(inputs: lstmInputs(steps: 1, batch: 1, inputSize: 3, hiddenSize: 1, seed: 33)) {
      weightedSum(lstm($0))
    }
  }

  @Test func onlyTheInputsThatRequireGradGetOne() {
    let x = lstmInputs(steps: 4, batch: 2, inputSize: 3, hiddenSize: 5, seed: 34)
    for i in [3, 4, 6] { x[i].requiresGrad = true }
    let r = lstm(x)
    #expect(r.output.requiresGrad)
    let grads = grad(of: r.hidden.sum(), withRespectTo: x)
    #expect(grads[0] == nil && grads[1] == nil && grads[2] == nil && grads[5] == nil)
    let all = x.map { t in
      let leaf = t.detached()
      leaf.requiresGrad = true
      return leaf
    }
    let reference = grad(of: lstm(all).hidden.sum(), withRespectTo: all)
    for i in [3, 4, 6] { #expect(isClose(grads[i]!, reference[i]!, 1e-12)) }
    // Without any input that requires grad nothing is recorded.
    let plain = lstm(x.map { $0.detached() })
    #expect(!plain.output.requiresGrad)
  }

  @Test func anInPlaceChangeToTheOutputTrapsInBackward() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = lstmInputs(steps: 2, batch: 1, inputSize: 2, hiddenSize: 2, seed: 35)
      x[3].requiresGrad = true
      let r = lstm(x)
      withNoGrad { r.output *= 2 }
      r.hidden.sum().backward()
    }.map { result in
      let text = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(text.contains("LSTMBackward"), "\(text.suffix(300))")
    }
  }

  @Test(arguments: [
    ("weightHH", "lstm: expected weightHH [8, 2]"),
    ("hidden", "lstm: expected hidden and cell [1, 2]"),
    ("steps", "lstm: expected input [T, N, I] with at least one step"),
    ("bias", "lstm: give both biases or neither"),
    ("dtype", "lstm: weightIH is float32"),
  ])
  func badOperandsTrapNamingTheOpAndShapes(name: String, message: String) async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name] in
      var x = lstmInputs(steps: 2, batch: 1, inputSize: 3, hiddenSize: 2, seed: 36)
      switch name {
      case "weightHH": x[4] = Tensor.zeros([8, 3], dtype: .float64)
      case "hidden": x[1] = Tensor.zeros([2, 2], dtype: .float64)
      case "steps": x[0] = Tensor.zeros([0, 1, 3], dtype: .float64)
      case "bias": x.removeLast()
      default: x[3] = x[3].cast(to: .float32)
      }
      _ = lstmSequence(
        x[0], hidden: x[1], cell: x[2], weightIH: x[3], weightHH: x[4], biasIH: x[5], biasHH: x.count > 6 ? x[6] : nil)
    }.map { result in
      let text = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(text.contains(message), "\(text.suffix(300))")
    }
  }
}
