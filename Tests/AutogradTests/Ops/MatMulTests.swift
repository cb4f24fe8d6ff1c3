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

@Suite("Products against a matrix packed once") struct RepeatedRightOperandTests {
  /// Packed once, then multiplied into C or added to it: the same as the product that packs each
  /// time, for row counts off the micro-kernel's 6, widths off its 32, depths past one 256-deep
  /// panel, and a transposed matrix.
  @Test(arguments: [DType.float32, .float64])
  func equalsTheProductThatPacksEachTime(dtype: DType) {
    for (m, k, n, transposed) in [(16, 128, 512, true), (7, 300, 45, false), (1, 3, 2100, false), (13, 1, 33, true)] {
      var g = RandomGenerator(seed: 8)
      let a = Tensor.randn([m, k], dtype: dtype, generator: &g)
      let b =
        transposed
        ? Tensor.randn([n, k], dtype: dtype, generator: &g).transposed()
        : Tensor.randn([k, n], dtype: dtype, generator: &g)
      let start = Tensor.randn([m, n], dtype: dtype, generator: &g)
      let operand = RepeatedRightOperand(b)
      for accumulate in [false, true] {
        let c = start * 1
        func run<T: FloatingElement>(_: T.Type) {
          operand.multiply(
            a.basePointer(T.self), rows: m, rowStride: k, into: c.basePointer(T.self), rowStride: n,
            accumulate: accumulate)
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        let expected = accumulate ? start + a.matmul(b) : a.matmul(b)
        #expect(isClose(c, expected, dtype == .float32 ? 1e-5 : 1e-12), "\(m)x\(k)x\(n), accumulate \(accumulate)")
      }
    }
  }
}
