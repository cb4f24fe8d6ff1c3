import Autograd
import Foundation
import Testing

@testable import AutogradNN

private func close(_ a: Tensor, _ b: Tensor, _ tolerance: Double = 1e-10) -> Bool {
  a.shape == b.shape
    && zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).allSatisfy { Swift.abs($0 - $1) <= tolerance }
}

@Suite("Recurrent, attention and bilinear layers") struct SequenceLayerTests {
  @Test func cellsFollowTheirFormulas() {
    var g = RandomGenerator(seed: 1)
    let x = Tensor.randn([2, 3], dtype: .float64, generator: &g)
    let h = Tensor.randn([2, 4], dtype: .float64, generator: &g)
    let c = Tensor.randn([2, 4], dtype: .float64, generator: &g)
    let lstm = RecurrentCell(.lstm, inputSize: 3, hiddenSize: 4, dtype: .float64, generator: &g)
    let w = lstm.weights
    let gates = (x.matmul(w.weightIH.transposed()) + w.biasIH! + h.matmul(w.weightHH.transposed()) + w.biasHH!).split(
      size: 4, axis: 1)
    let newC = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
    let (h1, c1) = lstm(x, hidden: h, cell: c)
    #expect(close(c1!, newC))
    #expect(close(h1, gates[3].sigmoid() * newC.tanh()))
    let gru = RecurrentCell(.gru, inputSize: 3, hiddenSize: 4, dtype: .float64, generator: &g)
    let a = x.linear(weight: gru.weights.weightIH, bias: gru.weights.biasIH).split(size: 4, axis: 1)
    let b = h.linear(weight: gru.weights.weightHH, bias: gru.weights.biasHH).split(size: 4, axis: 1)
    let r = (a[0] + b[0]).sigmoid()
    let z = (a[1] + b[1]).sigmoid()
    let n = (a[2] + r * b[2]).tanh()
    #expect(close(gru(x, hidden: h).hidden, (1 - z) * n + z * h))
    let rnn = RecurrentCell(.rnn(relu: false), inputSize: 3, hiddenSize: 4, dtype: .float64, generator: &g)
    #expect(
      close(
        rnn(x, hidden: h).hidden,
        (x.linear(weight: rnn.weights.weightIH, bias: rnn.weights.biasIH)
          + h.linear(weight: rnn.weights.weightHH, bias: rnn.weights.biasHH)).tanh()))
    #expect(lstm.namedParameters().map(\.0) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
    #expect(lstm.weights.weightIH.shape == [16, 3])
  }

  @Test func multiLayerSequences() {
    var g = RandomGenerator(seed: 2)
    let lstm = Recurrent(
      .lstm, inputSize: 3, hiddenSize: 5, layers: 2, batchFirst: true, dtype: .float64, generator: &g)
    #expect(
      lstm.namedParameters().map(\.0) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
      ])
    let x = Tensor.randn([4, 6, 3], dtype: .float64, generator: &g)
    let (output, hidden, cell) = lstm(x)
    #expect(output.shape == [4, 6, 5] && hidden.shape == [2, 4, 5] && cell?.shape == [2, 4, 5])
    #expect(close(output[.all, 5], hidden[1]))
    let gru = Recurrent(.gru, inputSize: 3, hiddenSize: 2, dtype: .float64, generator: &g)
    let (gruOut, gruHidden, gruCell) = gru(x.transposed(0, 1))
    #expect(gruOut.shape == [6, 4, 2] && gruHidden.shape == [1, 4, 2] && gruCell == nil)
    // Gradients through time, checked by finite differences.
    let small = Recurrent(.lstm, inputSize: 2, hiddenSize: 2, dtype: .float64, generator: &g)
    #expect(gradCheck([Tensor.randn([3, 1, 2], dtype: .float64, generator: &g)]) { small($0[0]).output.sum() })

  }

  /// A multi-layer sequence: the same values and gradients as the formulas stepped by hand.
  @Test func anLSTMSequenceEqualsItsStepsByHand() {
    var g = RandomGenerator(seed: 4)
    let lstm = Recurrent(.lstm, inputSize: 3, hiddenSize: 4, layers: 2, dtype: .float64, generator: &g)
    let x = Tensor.randn([5, 2, 3], dtype: .float64, generator: &g)
    func byHand() -> Tensor {
      var input = (0..<5).map { x[$0] }
      for l in 0..<2 {
        let p = Dictionary(uniqueKeysWithValues: lstm.namedParameters())
        var (h, c) = (Tensor.zeros([2, 4], dtype: .float64), Tensor.zeros([2, 4], dtype: .float64))
        input = input.map { xt in
          let gates =
            (xt.linear(weight: p["weight_ih_l\(l)"]!, bias: p["bias_ih_l\(l)"]!)
            + h.linear(weight: p["weight_hh_l\(l)"]!, bias: p["bias_hh_l\(l)"]!)).split(size: 4, axis: 1)
          c = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
          h = gates[3].sigmoid() * c.tanh()
          return h
        }
      }
      return Tensor.stack(input)
    }
    let (fused, reference) = (lstm(x).output, byHand())
    #expect(close(fused, reference))
    let weights = lstm.parameters()
    let fusedGrads = grad(of: fused.pow(2).sum(), withRespectTo: weights)
    let referenceGrads = grad(of: reference.pow(2).sum(), withRespectTo: weights)
    for (a, b) in zip(fusedGrads, referenceGrads) { #expect(close(a!, b!)) }
  }

  @Test func multiheadAttentionMatchesItsDefinition() {
    var g = RandomGenerator(seed: 3)
    let mha = MultiheadAttention(embedDimension: 4, heads: 2, batchFirst: true, dtype: .float64, generator: &g)
    #expect(mha.namedParameters().map(\.0) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
    let x = Tensor.randn([2, 3, 4], dtype: .float64, generator: &g)
    let (out, weights) = mha(query: x, key: x, value: x)
    #expect(out.shape == [2, 3, 4] && weights?.shape == [2, 3, 3])
    // Without weights, attention is one fused op; the output is the same.
    let (fused, none) = mha(query: x, key: x, value: x, needWeights: false)
    #expect(none == nil && close(fused, out))
    let w = mha.inProjectionWeight!.split(size: 4, axis: 0)
    func heads(_ t: Tensor) -> Tensor { t.reshaped(to: [2, 3, 2, 2]).transposed(1, 2) }
    let q = heads(x.linear(weight: w[0]))
    let k = heads(x.linear(weight: w[1]))
    let v = heads(x.linear(weight: w[2]))
    let attended = scaledDotProductAttention(query: q, key: k, value: v).transposed(1, 2).reshaped(to: [2, 3, 4])
    #expect(close(out, mha.outProjection(attended)))
    let causal = Tensor(bools: [true, false, false, true, true, false, true, true, true], shape: [3, 3])
    let (_, maskedWeights) = mha(query: x, key: x, value: x, attentionMask: causal)
    #expect(maskedWeights![0, 0, 1].item() == 0)
    let padding = Tensor(bools: [false, false, true, false, false, false], shape: [2, 3])
    #expect(mha(query: x, key: x, value: x, keyPaddingMask: padding).weights![0, .all, 2].sum().item() == 0)
    for mask in [causal, Tensor.where(causal, Tensor(0.0, dtype: .float64), Tensor(-3.0, dtype: .float64))] {
      let (withWeights, _) = mha(query: x, key: x, value: x, keyPaddingMask: padding, attentionMask: mask)
      let (fused, _) = mha(query: x, key: x, value: x, keyPaddingMask: padding, needWeights: false, attentionMask: mask)
      #expect(close(fused, withWeights))
      #expect(
        gradCheck([x]) {
          mha(
            query: $0[0], key: x, value: x, keyPaddingMask: padding, needWeights: false,
            attentionMask: mask
          ).output.sum()
        })
      // Self-attention, one tensor for all three: one projection, attended as one op.
      #expect(
        gradCheck([x]) {
          mha(
            query: $0[0], key: $0[0], value: $0[0], keyPaddingMask: padding, needWeights: false,
            attentionMask: mask
          ).output.sum()
        })
    }
  }

  @Test func separateProjectionsComputeWhatThePackedOnesDo() throws {
    var g = RandomGenerator(seed: 5)
    let packed = MultiheadAttention(embedDimension: 4, heads: 2, batchFirst: true, dtype: .float64, generator: &g)
    let separate = MultiheadAttention(
      embedDimension: 4, heads: 2, batchFirst: true, projections: .separate, dtype: .float64, generator: &g)
    #expect(
      separate.namedParameters().map(\.0) == [
        "query.weight", "query.bias", "key.weight", "key.bias", "value.weight", "value.bias", "out_proj.weight",
        "out_proj.bias",
      ])
    #expect(separate.inProjectionWeight == nil && packed.query == nil)
    // The packed weights, split into the three layers, give the same attention.
    let (w, b) = (packed.inProjectionWeight!.split(size: 4, axis: 0), packed.inProjectionBias!.split(size: 4, axis: 0))
    try separate.loadStateDict(
      [
        ("query.weight", w[0]), ("query.bias", b[0]), ("key.weight", w[1]), ("key.bias", b[1]), ("value.weight", w[2]),
        ("value.bias", b[2]), ("out_proj.weight", packed.outProjection.weight),
        ("out_proj.bias", packed.outProjection.bias!),
      ])
    let x = Tensor.randn([2, 3, 4], dtype: .float64, generator: &g)
    let y = Tensor.randn([2, 5, 4], dtype: .float64, generator: &g)
    #expect(close(separate(query: x, key: y, value: y).output, packed(query: x, key: y, value: y).output))
    #expect(gradCheck([x]) { separate(query: $0[0], key: y, value: y).output.sum() })
  }

  @Test func attentionWeightsAreDroppedInTrainingAlone() {
    var g = RandomGenerator(seed: 12)
    let attention = MultiheadAttention(
      embedDimension: 4, heads: 1, dropout: 0.5, batchFirst: true, dtype: .float64, generator: &g)
    let x = Tensor.randn([2, 6, 4], dtype: .float64, generator: &g)
    attention.eval()
    let (output, weights) = attention(query: x, key: x, value: x)
    #expect(close(attention(query: x, key: x, value: x).output, output))
    attention.train()
    let (dropped, droppedWeights) = attention(query: x, key: x, value: x)
    // Each weight is dropped or scaled by 1 / (1 - p); about half are dropped.
    let pairs = zip(droppedWeights!.scalars(as: Double.self), weights!.scalars(as: Double.self))
    #expect(pairs.allSatisfy { $0 == 0 || Swift.abs($0 - 2 * $1) < 1e-12 })
    let zeros = droppedWeights!.scalars(as: Double.self).filter { $0 == 0 }.count
    #expect(zeros > 20 && zeros < 52, "\(zeros) of 72 dropped")
    #expect(!close(dropped, output))
  }

  @Test func transformerEncoderLayer() {
    var g = RandomGenerator(seed: 4)
    let layer = TransformerEncoderLayer(
      modelDimension: 8, heads: 2, feedForwardDimension: 16, batchFirst: true, generator: &g)
    #expect(
      layer.namedParameters().map(\.0).prefix(4) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias",
        "self_attn.out_proj.weight", "self_attn.out_proj.bias",
      ])
    let x = Tensor.randn([2, 5, 8], generator: &g)
    #expect(layer(x).shape == [2, 5, 8])
    layer.eval()
    #expect(layer(x).scalars(as: Float.self) == layer(x).scalars(as: Float.self))
    let preNorm = TransformerEncoderLayer(
      modelDimension: 8, heads: 2, feedForwardDimension: 16, dropout: 0, gelu: true, normFirst: true, generator: &g)
    #expect(preNorm(x.transposed(0, 1)).shape == [5, 2, 8])
  }

  @Test func bilinear() {
    var g = RandomGenerator(seed: 5)
    let layer = Bilinear(input1Size: 3, input2Size: 2, outputSize: 4, dtype: .float64, generator: &g)
    let a = Tensor.randn([5, 3], dtype: .float64, generator: &g)
    let b = Tensor.randn([5, 2], dtype: .float64, generator: &g)
    let y = layer(a, b)
    #expect(y.shape == [5, 4])
    let manual =
      (a.unsqueezed(at: 1).unsqueezed(at: 3) * layer.weight.unsqueezed(at: 0) * b.unsqueezed(at: 1).unsqueezed(at: 2))
      .sum(axes: [2, 3])
    #expect(close(y, manual + layer.bias!))
  }
}
