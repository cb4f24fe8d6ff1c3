import Testing

@testable import Autograd

@Suite("Gradients of matmul") struct MatMulGradientTests {
  @Test(
    arguments: [
      ([4], [4]), ([3, 4], [4, 2]), ([4], [4, 2]), ([3, 4], [4]), ([2, 3, 4], [4, 2]),
      ([2, 1, 3, 4], [3, 4, 2]), ([4], [2, 4, 3]), ([2, 3, 4], [4]),
    ] as [([Int], [Int])])
  func allRankCombinations(shapes: ([Int], [Int])) {
    check([shapes.0, shapes.1]) { $0[0].matmul($0[1]) }
  }

  @Test func transposedOperands() {
    check([[4, 3], [2, 4]]) { $0[0].transposed().matmul($0[1].transposed()) }
  }

  @Test func stackTimesMatrixIsOneProduct() {
    // [2, 3, 4] · [4, 5] folds the stack into 6 rows: one product forward, one per gradient.
    let x = Tensor.randn([2, 3, 4], dtype: .float64)
    let w = Tensor.randn([5, 4], dtype: .float64)
    x.requiresGrad = true
    w.requiresGrad = true
    let y = ComputationGraph.recording { x.linear(weight: w) }
    #expect(y.shape == [2, 3, 5])
    let recorded = ComputationGraph(of: ComputationGraph.recording { y.sum() }, gradients: false, level: .recordedOps)
    let products = recorded.nodes.filter {
      $0.op == "Mm"
    }
    #expect(products.map(\.shape) == [[6, 5]])
    // Non-contiguous stacks (a permuted view) and vectors on the right fold too.
    check([[3, 2, 4], [5, 4]]) { $0[0].permuted([1, 0, 2]).linear(weight: $0[1]) }
    check([[2, 3, 4], [4]]) { $0[0].matmul($0[1]) }
    check([[2, 2, 3, 4], [4, 2]]) { $0[0].matmul($0[1]) * $0[0].sum() }
  }

  @Test func emptyInnerDimensionGivesZeros() {
    let y = Tensor.zeros([2, 3, 0]).matmul(Tensor.zeros([0, 4]))
    #expect(y.shape == [2, 3, 4] && y.scalars(as: Float.self).allSatisfy { $0 == 0 })
  }
}
