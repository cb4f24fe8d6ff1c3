import Testing

@testable import Autograd

@Suite("Attention") struct AttentionTests {
  @Test func attention() {
    let q = seededNormal([2, 4, 3], seed: 40)
    let k = seededNormal([2, 5, 3], seed: 41)
    let v = seededNormal([2, 5, 2], seed: 42)
    let expected = (q.matmul(k.transposed()) / 3.0.squareRoot()).softmax(axis: -1).matmul(v)
    #expect(isClose(scaledDotProductAttention(query: q, key: k, value: v), expected))
    let causal = Tensor(bools: (0..<20).map { $0 % 5 <= $0 / 5 }, shape: [4, 5])
    #expect(
      isClose(
        scaledDotProductAttention(query: q, key: k, value: v, isCausal: true),
        scaledDotProductAttention(query: q, key: k, value: v, mask: causal)))
    let additive = Tensor.where(causal, Tensor(0.0, dtype: .float64), Tensor(-1e9, dtype: .float64))
    #expect(
      isClose(
        scaledDotProductAttention(query: q, key: k, value: v, mask: additive),
        scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)))
    checkBothOrders(inputs: [q, k, v]) {
      scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true)
    }
  }

  /// The fused op against the same computation recorded op by op, in both dtypes, with every kind
  /// of mask, batch axes that broadcast, and heads cut from a projection by views.
  @Test(arguments: [DType.float64, .float32])
  func theFusedOpMatchesTheComposedOps(dtype: DType) {
    var g = RandomGenerator(seed: 50)
    func normal(_ shape: [Int]) -> Tensor {
      let t = Tensor.randn(shape, dtype: dtype, generator: &g)
      t.requiresGrad = true
      return t
    }
    let projected = normal([2, 4, 6])  // [N, L, heads · d], as a projection's result
    // [N, heads, L, d] views of it, made afresh for each graph.
    func heads() -> [Tensor] {
      let h = projected.reshaped(to: [2, 4, 3, 2]).transposed(1, 2)
      return [h, h * 0.5, h.flipped(axes: [2])]
    }
    let boolMask = Tensor(bools: (0..<20).map { $0 % 3 != 1 }, shape: [4, 5])
    let floatMask = Tensor.randn([2, 1, 4, 5], dtype: dtype, generator: &g)
    let plain = [normal([2, 3, 4, 5]), normal([2, 3, 5, 5]), normal([2, 3, 5, 7])]
    let causal = [normal([3, 4, 5]), normal([3, 6, 5]), normal([3, 6, 2])]
    let broadcast = [normal([2, 3, 4, 5]), normal([3, 5, 5]), normal([1, 3, 5, 2])]
    let cases: [(name: String, operands: () -> [Tensor], leaves: [Tensor], mask: Tensor?, isCausal: Bool)] = [
      ("plain", { plain }, plain, nil, false), ("bool mask", { plain }, plain, boolMask, false),
      ("float mask", { plain }, plain, floatMask, false), ("causal", { causal }, causal, nil, true),
      ("broadcast batch", { broadcast }, broadcast, nil, false), ("head views", heads, [projected], nil, false),
    ]
    let tolerance = dtype == .float64 ? 1e-12 : 1e-5
    for (name, operands, leaves, mask, isCausal) in cases {
      let fused = ComputationGraph.recording {
        let x = operands()
        return scaledDotProductAttention(
          query: x[0], key: x[1], value: x[2], mask: mask, isCausal: isCausal, scale: 0.7)
      }
      let composed = composedAttention(operands() + (mask.map { [$0] } ?? []), isCausal: isCausal, scale: 0.7)
      #expect(fused.dtype == dtype && isClose(fused, composed, tolerance), "\(name)")
      if name == "plain" {
        let graph = ComputationGraph(of: fused, gradients: false, level: .recordedOps)
        #expect(graph.nodes.compactMap(\.op) == ["ScaledDotProductAttention"])
      }
      let ramp = Tensor.arange(0, Double(fused.count), dtype: dtype).reshaped(to: fused.shape).sin()
      let fusedGrads = grad(of: (fused * ramp).sum(), withRespectTo: leaves)
      let composedGrads = grad(of: (composed * ramp).sum(), withRespectTo: leaves)
      for (i, (a, b)) in zip(fusedGrads, composedGrads).enumerated() {
        #expect(a!.shape == b!.shape && isClose(a!, b!, tolerance * 10), "\(name), input \(i)")
      }
    }
  }

  @Test func fusedGradientsOfFirstAndSecondOrder() {
    let mask = Tensor.where(
      Tensor(bools: [true, false, true, true, true, false], shape: [2, 3]), Tensor(0.0, dtype: .float64),
      Tensor(-2.0, dtype: .float64))
    checkBothOrders(inputs: [
      seededNormal([2, 2, 3], seed: 51), seededNormal([2, 3, 3], seed: 52),
      seededNormal([2, 3, 2], seed: 53),
    ]) {
      scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: mask)
    }
  }

  /// The query and key of the scores carry no gradient when only the value needs one, and a row
  /// with every position masked is NaN, as recorded op by op.
  @Test func onlyTheValueNeedsAGradientAndFullyMaskedRows() {
    let q = seededNormal([3, 2], seed: 54)
    let k = seededNormal([4, 2], seed: 55)
    let v = seededNormal([4, 3], seed: 56)
    v.requiresGrad = true
    let y = scaledDotProductAttention(query: q, key: k, value: v)
    let expected = grad(
      of: composedAttention([q, k, v], isCausal: false, scale: 0.5.squareRoot()).sum(), withRespectTo: [v])
    #expect(isClose(grad(of: y.sum(), withRespectTo: [v])[0]!, expected[0]!))
    let none = Tensor(bools: [Bool](repeating: false, count: 12), shape: [3, 4])
    let masked = scaledDotProductAttention(query: q, key: k, value: v, mask: none)
    #expect(masked.scalars(as: Double.self).allSatisfy { $0.isNaN })
  }
}
