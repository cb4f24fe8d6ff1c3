import Foundation
import Testing

@testable import Autograd

@Suite("Gradients of subscripts, cat and stack") struct IndexingGradientTests {
  @Test func subscripts() {
    check([[4]]) { $0[0][1] * $0[0][-1] }
    check([[3, 4]]) { $0[0][1..<3, stride(from: 0, to: 4, by: 2)] * 5 }
    check([[3, 4]]) { $0[0][.ellipsis, 2] + $0[0][0].sum() }
    check([[3, 4]]) { $0[0][.newAxis, 1...] * $0[0][1...] }
    check([[2, 3, 4]]) { $0[0][1].narrowed(axis: 1, start: 1, length: 2) }
  }

  @Test func catAndStack() {
    check([[2, 3], [1, 3], [4, 3]]) {
      Tensor.cat($0, axis: 0) * Tensor.arange(0, 21, dtype: .float64).reshaped(to: [7, 3])
    }
    check([[2, 3], [2, 1]]) { Tensor.cat($0, axis: 1).pow(2) }
    check([[], []]) { Tensor.stack($0) * Tensor([1.0, 2.0], dtype: .float64) }
    check([[2, 3], [2, 3]]) { Tensor.stack($0, axis: -1).pow(2) }
  }

  @Test func secondOrderThroughSlices() {
    // f(x) = sum(x[1:]³), so the Hessian-vector product with ones is 6 x on x[1:] and 0 on x[0].
    let x = Tensor([1.0, 2.0, 3.0], dtype: .float64, requiresGrad: true)
    let g = grad(of: x[1...].pow(3).sum(), withRespectTo: [x], createGraph: true)[0]!
    let h = grad(of: g.sum(), withRespectTo: [x])[0]!
    #expect(h.scalars(as: Double.self) == [0, 12, 18])
  }
}
