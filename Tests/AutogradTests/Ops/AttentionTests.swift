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
}
