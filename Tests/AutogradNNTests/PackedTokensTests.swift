import Autograd
import Foundation
import Testing

@testable import AutogradNN

private func close(_ a: Tensor, _ b: Tensor, _ tolerance: Double = 1e-10) -> Bool {
  a.shape == b.shape
    && zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).allSatisfy { Swift.abs($0 - $1) <= tolerance }
}

/// Three sequences of up to 4 tokens: padded on the right, on the left, and not at all.
private var mask: Tensor { Tensor(integers: [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1], shape: [3, 4]) }

@Suite("Padded batches packed into their real tokens") struct PackedTokensTests {
  @Test func packingKeepsTheRealTokensInOrderAndUnpackingPutsThemBack() {
    let tokens = PackedTokens(attentionMask: mask)
    #expect(tokens.count == 9 && !tokens.isDense && tokens.batchShape == [3, 4])
    #expect(tokens.rows.scalars(as: Int64.self) == [0, 1, 2, 6, 7, 8, 9, 10, 11])
    #expect(tokens.positions.scalars(as: Int64.self) == [0, 1, 2, 2, 3, 0, 1, 2, 3])
    #expect(tokens.padding.scalars(as: Bool.self) == mask.scalars(as: Int64.self).map { $0 == 0 })
    // A bool mask marks the same tokens.
    #expect(PackedTokens(attentionMask: mask .!= 0).rows.scalars(as: Int64.self) == tokens.rows.scalars(as: Int64.self))
    let x = Tensor.arange(0, 24, dtype: .float64).reshaped(to: [3, 4, 2])
    let packed = tokens.pack(x)
    #expect(packed.shape == [9, 2])
    #expect(packed[3].scalars(as: Double.self) == [12, 13])  // sequence 1, position 2
    let back = tokens.unpack(packed)
    #expect(close(back, x * mask.unsqueezed(at: -1).cast(to: .float64)))
    #expect(PackedTokens(attentionMask: Tensor.ones([2, 3], dtype: .int64)).isDense)
  }

  @Test func packingAndUnpackingAreDifferentiable() {
    let tokens = PackedTokens(attentionMask: mask)
    var g = RandomGenerator(seed: 3)
    let x = Tensor.randn([3, 4, 2], dtype: .float64, generator: &g)
    let rows = Tensor.randn([9, 2], dtype: .float64, generator: &g)
    #expect(gradCheck([x]) { (tokens.pack($0[0]) * tokens.pack($0[0])).sum() })
    #expect(gradCheck([rows]) { tokens.unpack($0[0]).pow(3).sum() })
    #expect(gradGradCheck([x]) { tokens.unpack(tokens.pack($0[0]).pow(2)).sum() })
  }

  /// Attention on packed tokens gives, at the real tokens, what attention on the padded batch
  /// with a key padding mask gives, with the same gradients, in both projection layouts.
  @Test(arguments: [MultiheadAttention.Projections.packed, .separate])
  func attentionOnPackedTokensIsAttentionWithAKeyPaddingMask(projections: MultiheadAttention.Projections) {
    var g = RandomGenerator(seed: 8)
    let attention = MultiheadAttention(
      embedDimension: 4, heads: 2, batchFirst: true, projections: projections, dtype: .float64, generator: &g)
    let tokens = PackedTokens(attentionMask: mask)
    let x = Tensor.randn([3, 4, 4], dtype: .float64, generator: &g)
    let padded = attention(query: x, key: x, value: x, keyPaddingMask: tokens.padding).output
    let packed = attention.selfAttention(tokens.pack(x), tokens: tokens)
    #expect(close(packed, tokens.pack(padded)))
    let probe = Tensor.randn([9, 4], dtype: .float64, generator: &g)
    func gradients(_ loss: () -> Tensor) -> [Tensor] {
      attention.zeroGrad()
      loss().backward()
      return attention.parameters().map { $0.grad! }
    }
    let throughPadding = gradients {
      (tokens.pack(attention(query: x, key: x, value: x, keyPaddingMask: tokens.padding).output) * probe).sum()
    }
    let throughPacking = gradients { (attention.selfAttention(tokens.pack(x), tokens: tokens) * probe).sum() }
    for (a, b) in zip(throughPadding, throughPacking) { #expect(close(a, b)) }
    #expect(gradCheck([tokens.pack(x)]) { attention.selfAttention($0[0], tokens: tokens).sum() })
  }

  @Test func aMaskOrRowsOfTheWrongShapeTrapWithAMessage() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = PackedTokens(attentionMask: mask).pack(Tensor.zeros([3, 5, 2]))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "PackedTokens.pack: expected [3, 4, ...], got [3, 5, 2]"))
    }
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = PackedTokens(attentionMask: mask).unpack(Tensor.zeros([8, 2]))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "PackedTokens.unpack: expected 9 rows, got [8, 2]"))
    }
  }
}
