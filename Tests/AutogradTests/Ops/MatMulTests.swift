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

@Suite("A linear layer with a bias as one op") struct FusedLinearTests {
  /// float32 `linear` with a bias (one op) against the float64 product and sum, values and
  /// gradients, on shapes that take each of the GEMM's paths with the bias added in: one thread,
  /// row blocks on two threads, the depth cut in two halves, shared panels; and a stack of
  /// matrices, a transposed input and a transposed weight.
  @Test func valuesAndGradientsMatchTheProductAndTheSum() {
    var g = RandomGenerator(seed: 61)
    let cases: [(input: [Int], outputs: Int, transposedInput: Bool, transposedWeight: Bool)] = [
      ([5, 3], 4, false, false), ([2, 3, 7], 33, false, true), ([300, 200], 150, true, false),
      ([64, 1000], 100, false, false), ([512, 512], 256, false, false),
    ]
    for (shape, outputs, transposedInput, transposedWeight) in cases {
      let inputs = shape.last!
      let x64 =
        transposedInput
        ? Tensor.randn(shape.reversed(), dtype: .float64, generator: &g).transposed()
        : Tensor.randn(shape, dtype: .float64, generator: &g)
      let w64 =
        transposedWeight
        ? Tensor.randn([inputs, outputs], dtype: .float64, generator: &g).transposed()
        : Tensor.randn([outputs, inputs], dtype: .float64, generator: &g)
      let b64 = Tensor.randn([outputs], dtype: .float64, generator: &g)
      let operands = [x64, w64, b64].map { t -> Tensor in
        let leaf = t.cast(to: .float32)
        leaf.requiresGrad = true
        return leaf
      }
      let y = ComputationGraph.recording { operands[0].linear(weight: operands[1], bias: operands[2]) }
      let reference = x64.matmul(w64.transposed()) + b64
      let tolerance = 1e-4 * Double(inputs).squareRoot()
      #expect(y.shape == reference.shape && isClose(y, reference, tolerance), "\(shape)")
      if shape == [5, 3] {
        let graph = ComputationGraph(of: y, gradients: false, level: .recordedOps)
        #expect(graph.nodes.compactMap(\.op) == ["Addmm"])
      }
      let ramp = Tensor.arange(0, Double(y.count), dtype: .float64).reshaped(to: y.shape).sin()
      let grads = grad(of: (y * ramp.cast(to: .float32)).sum(), withRespectTo: operands)
      // The gradients by definition, for G = ramp: G · W, Gᵀ · X (over the stack's rows), Σ G.
      let (rows, gradientRows) = (x64.reshaped(to: [-1, inputs]), ramp.reshaped(to: [-1, outputs]))
      let expected = [ramp.matmul(w64), gradientRows.transposed().matmul(rows), gradientRows.sum(axis: 0)]
      for (i, (a, b)) in zip(grads, expected).enumerated() {
        #expect(a!.shape == operands[i].shape && isClose(a!, b, tolerance * 10), "\(shape), input \(i)")
      }
    }
  }

  /// Gradients of gradients go through the product and the sum recorded op by op.
  @Test func secondOrderGradientsMatchFloat64() {
    var g = RandomGenerator(seed: 62)
    let shapes = [[3, 2, 4], [5, 4], [5]]
    let doubles = shapes.map { Tensor.randn($0, dtype: .float64, generator: &g) }
    func secondOrder(_ leaves: [Tensor]) -> [Tensor?] {
      let y = leaves[0].linear(weight: leaves[1], bias: leaves[2]).tanh().sum()
      let first = grad(of: y, withRespectTo: [leaves[0]], createGraph: true)[0]!
      return grad(of: (first * first).sum(), withRespectTo: leaves)
    }
    let leaves64 = doubles.map { t -> Tensor in
      t.requiresGrad = true
      return t
    }
    let leaves32 = doubles.map { t -> Tensor in
      let leaf = t.detached().cast(to: .float32)
      leaf.requiresGrad = true
      return leaf
    }
    for (i, (a, b)) in zip(secondOrder(leaves32), secondOrder(leaves64)).enumerated() {
      #expect(a != nil && b != nil && isClose(a!, b!, 1e-4), "input \(i)")
    }
  }
}
