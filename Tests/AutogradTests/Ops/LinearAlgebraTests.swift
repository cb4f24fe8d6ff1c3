import Testing

@testable import Autograd

@Suite("Linear algebra") struct LinearAlgebraTests {
  @Test func dotOuterBmm() {
    let u = Tensor([1, 2, 3], dtype: .float64)
    let v = Tensor([4, 5, 6], dtype: .float64)
    #expect(u.dot(v).item() == 32)
    #expect(u.dot(v).shape == [])
    #expect(u.outer(v).scalars(as: Double.self) == [4, 5, 6, 8, 10, 12, 12, 15, 18])
    let a = seededNormal([2, 3, 4], seed: 1)
    let b = seededNormal([2, 4, 5], seed: 2)
    #expect(isClose(a.bmm(b), a.matmul(b)))
  }

  @Test func einsumMatchesExplicitOps() {
    let m = seededNormal([3, 4], seed: 3)
    let n = seededNormal([4, 5], seed: 4)
    let sq = seededNormal([4, 4], seed: 5)
    let u = seededNormal([4], seed: 6)
    let w = seededNormal([3], seed: 7)
    let a = seededNormal([2, 3, 4], seed: 8)
    let b = seededNormal([2, 4, 5], seed: 9)
    let p = seededNormal([5, 2], seed: 10)
    #expect(isClose(Tensor.einsum("ij,jk->ik", m, n), m.matmul(n)))
    #expect(isClose(Tensor.einsum("ij,jk", m, n), m.matmul(n)))
    #expect(isClose(Tensor.einsum("bij,bjk->bik", a, b), a.matmul(b)))
    #expect(isClose(Tensor.einsum("ii->", sq), sq.diagonal().sum()))
    #expect(isClose(Tensor.einsum("ii->i", sq), sq.diagonal()))
    #expect(isClose(Tensor.einsum("ij->ji", m), m.transposed()))
    #expect(isClose(Tensor.einsum("ij->", m), m.sum()))
    #expect(isClose(Tensor.einsum("ij->j", m), m.sum(axis: 0)))
    #expect(isClose(Tensor.einsum("i,j->ij", w, u), w.outer(u)))
    #expect(isClose(Tensor.einsum("i,i->", u, u), u.dot(u)))
    #expect(isClose(Tensor.einsum("i,i->i", u, u), u * u))
    #expect(isClose(Tensor.einsum("ij,j->i", m, u), m.matmul(u)))
    #expect(isClose(Tensor.einsum("ij,jk,kl->il", m, n, p), m.matmul(n).matmul(p)))
    #expect(isClose(Tensor.einsum("bij,bjk->", a, b), a.matmul(b).sum()))
    #expect(isClose(Tensor.einsum("bij->jb", a), a.sum(axis: 1).transposed()))
    let q = seededNormal([2, 3, 4, 6], seed: 11)
    let k = seededNormal([2, 3, 5, 6], seed: 12)
    #expect(isClose(Tensor.einsum("bhqd,bhkd->bhqk", q, k), q.matmul(k.transposed())))
  }

  @Test func einsumGradients() {
    for (equation, shapes) in [
      ("ij,jk->ik", [[3, 4], [4, 2]]), ("bij,bjk->bik", [[2, 2, 3], [2, 3, 2]]), ("ii->", [[3, 3]]),
      ("i,j->ij", [[3], [2]]), ("ij,jk,kl->il", [[2, 3], [3, 2], [2, 2]]), ("iij->j", [[2, 2, 3]]),
    ]
      as [(String, [[Int]])]
    {
      let inputs = shapes.enumerated().map { seededNormal($0.element, seed: 20 + UInt64($0.offset)) }
      // Products are linear in each operand: the second-order check squares the result.
      let squared: (Tensor) -> Tensor = { $0.pow(2) }
      checkBothOrders(inputs: inputs, secondOrderOf: squared, label: equation) { Tensor.einsum(equation, $0) }
    }
    #expect(gradCheck([seededNormal([3], seed: 30), seededNormal([3], seed: 31)]) { $0[0].dot($0[1]) })
    #expect(gradCheck([seededNormal([3], seed: 32), seededNormal([2], seed: 33)]) { $0[0].outer($0[1]) })
  }

  @Test func einsumErrorsTrapWithAMessage() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.einsum("ij,jk->ik", Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains("einsum: letter 'j' has size 3 and 4"))
    }
  }
}
