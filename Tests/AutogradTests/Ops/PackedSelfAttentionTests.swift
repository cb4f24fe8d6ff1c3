import Testing

@testable import Autograd

@Suite("Self-attention on one packed projection") struct PackedSelfAttentionTests {
  /// The one op against the same attention recorded op by op on views of the projection, in both
  /// dtypes, with each kind of mask, and from a projection that is itself a strided view.
  @Test(arguments: [DType.float64, .float32])
  func theOneOpMatchesTheComposedOps(dtype: DType) {
    var g = RandomGenerator(seed: 60)
    let contiguous = Tensor.randn([2, 5, 12], dtype: dtype, generator: &g)  // [N, L, 3 · heads · d]
    let sequenceFirst = Tensor.randn([5, 2, 12], dtype: dtype, generator: &g)
    for leaf in [contiguous, sequenceFirst] { leaf.requiresGrad = true }
    let causal = Tensor(bools: (0..<25).map { $0 % 5 <= $0 / 5 }, shape: [5, 5])
    let padding = Tensor(bools: (0..<10).map { $0 % 5 != 4 }, shape: [2, 1, 1, 5])
    let additive = Tensor.randn([2, 1, 1, 5], dtype: dtype, generator: &g)
    let cases: [(name: String, projection: () -> Tensor, leaf: Tensor, mask: Tensor?)] = [
      ("plain", { contiguous }, contiguous, nil), ("bool mask", { contiguous }, contiguous, causal),
      ("padding", { contiguous }, contiguous, padding), ("float mask", { contiguous }, contiguous, additive),
      ("strided projection", { sequenceFirst.transposed(0, 1) }, sequenceFirst, causal),
    ]
    let tolerance = dtype == .float64 ? 1e-12 : 1e-5
    for (name, projection, leaf, mask) in cases {
      let packed = ComputationGraph.recording { packedSelfAttention(projection(), heads: 2, mask: mask, scale: 0.6) }
      let composed = composedPackedAttention([projection()] + (mask.map { [$0] } ?? []), heads: 2, scale: 0.6)
      #expect(packed.shape == [2, 5, 4] && isClose(packed, composed, tolerance), "\(name)")
      if name == "plain" {
        let graph = ComputationGraph(of: packed, gradients: false, level: .recordedOps)
        #expect(graph.nodes.compactMap(\.op) == ["ScaledDotProductAttention"])
      }
      let ramp = Tensor.arange(0, Double(packed.count), dtype: dtype).reshaped(to: packed.shape).cos()
      let packedGrad = grad(of: (packed * ramp).sum(), withRespectTo: [leaf])[0]!
      let composedGrad = grad(of: (composed * ramp).sum(), withRespectTo: [leaf])[0]!
      #expect(packedGrad.shape == leaf.shape && isClose(packedGrad, composedGrad, tolerance * 10), "\(name)")
    }
  }

  @Test func gradientsOfFirstAndSecondOrder() {
    let padding = Tensor(bools: [true, true, false, true, true, true], shape: [2, 1, 1, 3])
    checkBothOrders(inputs: [seededNormal([2, 3, 6], seed: 61)]) {
      packedSelfAttention($0[0], heads: 2, mask: padding, scale: 0.8)
    }
  }

  /// A float mask that requires grad takes the composed ops, and gets its gradient.
  @Test func aMaskThatRequiresGradGetsItsGradient() {
    let projection = seededNormal([1, 3, 6], seed: 62)
    let mask = seededNormal([3, 3], seed: 63)
    checkBothOrders(inputs: [projection, mask], secondOrder: false) {
      packedSelfAttention($0[0], heads: 1, mask: $0[1], scale: 0.5)
    }
  }
}
