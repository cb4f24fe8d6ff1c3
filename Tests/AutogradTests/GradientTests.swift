import Foundation
import Testing

@testable import Autograd

/// Every differentiable op against central finite differences in Float64, on a scalar, a vector,
/// a matrix, and (for ops of two tensors) broadcast pairs of shapes.
private let shapes: [[Int]] = [[], [4], [3, 4]]
private let broadcastPairs: [([Int], [Int])] = [
  ([3, 4], [4]), ([3, 1], [1, 4]), ([], [2, 3]), ([2, 3, 4], [3, 1]),
]

/// Both orders (the backward rules are themselves differentiated correctly); inputs from seed 1
/// unless given.
private func check(
  _ shapes: [[Int]], in range: ClosedRange<Double> = -2...2, seed: UInt64 = 1,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor
) {
  checkBothOrders(shapes, in: range, seed: seed, sourceLocation: sourceLocation, f)
}

@Suite("Gradients of element-wise ops") struct UnaryGradientTests {
  @Test(arguments: shapes) func neg(shape: [Int]) { check([shape]) { -$0[0] } }
  @Test(arguments: shapes) func exp(shape: [Int]) { check([shape]) { $0[0].exp() } }
  @Test(arguments: shapes) func log(shape: [Int]) { check([shape], in: 0.2...3) { $0[0].log() } }
  @Test(arguments: shapes) func sqrt(shape: [Int]) { check([shape], in: 0.2...3) { $0[0].sqrt() } }
  @Test(arguments: shapes) func abs(shape: [Int]) { check([shape]) { $0[0].abs() } }
  @Test(arguments: shapes) func tanh(shape: [Int]) { check([shape]) { $0[0].tanh() } }
  @Test(arguments: shapes) func sigmoid(shape: [Int]) { check([shape]) { $0[0].sigmoid() } }
  @Test(arguments: shapes) func relu(shape: [Int]) { check([shape]) { $0[0].relu() } }
  @Test(arguments: shapes) func clamp(shape: [Int]) { check([shape]) { $0[0].clamped(min: -1, max: 0.5) } }
  @Test(arguments: shapes) func powScalar(shape: [Int]) {
    check([shape]) { $0[0].pow(2) }
    check([shape], in: 0.2...3) { $0[0].pow(-1.5) }
    check([shape]) { $0[0].pow(3) }
  }
  @Test func castSendsTheGradientBackInTheSourceDType() {
    // Finite differences through float32 are too coarse at eps = 1e-6, so check by hand.
    let x = Tensor([1.5, -2], requiresGrad: true)
    let y = x.cast(to: .float64) * Tensor([3.0, 4.0], dtype: .float64)
    y.sum().backward()
    #expect(x.grad?.dtype == .float32)
    #expect(x.grad?.scalars(as: Float.self) == [3, 4])
    check([[3]]) { $0[0].cast(to: .float64) * 1 }
  }

  @Test func kinksFollowPyTorch() {
    // At the kink PyTorch 2.15 picks: relu'(0) = 0, |x|'(0) = 0, and clamp with number bounds
    // passes no gradient at its bounds (it did before 2.15).
    let x = Tensor([0.0, -1.0, 0.5], dtype: .float64, requiresGrad: true)
    #expect(grad(of: x.relu().sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 1])
    #expect(grad(of: x.abs().sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, -1, 1])
    #expect(grad(of: x.clamped(min: -1, max: 0.5).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [1, 0, 0])
    #expect(grad(of: x.clamped(min: 0, max: 0).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 0])
    #expect(grad(of: x.clamped(min: 0.1).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 1])
  }
}

@Suite("Gradients of binary ops") struct BinaryGradientTests {
  @Test(arguments: shapes) func sameShape(shape: [Int]) {
    check([shape, shape]) { $0[0] + $0[1] }
    check([shape, shape]) { $0[0] - $0[1] }
    check([shape, shape]) { $0[0] * $0[1] }
    check([shape, shape], in: 0.5...2) { $0[0] / $0[1] }
    check([shape, shape], in: 0.5...2) { $0[0].pow($0[1]) }
  }

  @Test(arguments: broadcastPairs) func broadcast(shapes: ([Int], [Int])) {
    for pair in [[shapes.0, shapes.1], [shapes.1, shapes.0]] {
      check(pair) { $0[0] + $0[1] }
      check(pair) { $0[0] - $0[1] }
      check(pair) { $0[0] * $0[1] }
      check(pair, in: 0.5...2) { $0[0] / $0[1] }
      check(pair, in: 0.5...2) { $0[0].pow($0[1]) }
    }
  }

  @Test(arguments: shapes) func scalarOperands(shape: [Int]) {
    check([shape]) { 3 - $0[0] * 2 + 1 }
    check([shape], in: 0.5...2) { 1 / $0[0] - $0[0] / 4 }
    check([shape]) { (0.5 + $0[0]) * (2.5 * $0[0] - 1.25) }
  }

  @Test func powOfZeroBaseHasFiniteExponentGradient() {
    let a = Tensor([0.0, 2.0], dtype: .float64)
    let b = Tensor([2.0, 3.0], dtype: .float64, requiresGrad: true)
    let g = grad(of: a.pow(b).sum(), withRespectTo: [b])[0]!.scalars(as: Double.self)
    #expect(g[0] == 0)
    #expect(Swift.abs(g[1] - 8 * Foundation.log(2.0)) < 1e-12)
  }
}

@Suite("Gradients of reductions") struct ReductionGradientTests {
  @Test(arguments: shapes) func sumAndMeanOfAll(shape: [Int]) {
    check([shape]) { $0[0].sum() }
    check([shape]) { $0[0].mean() }
    check([shape]) { $0[0].max() }
    check([shape]) { $0[0].min() }
  }

  @Test(arguments: [[4], [3, 4], [2, 3, 4]] as [[Int]]) func overAxes(shape: [Int]) {
    for axis in -1..<shape.count {
      for keep in [false, true] {
        check([shape]) { $0[0].sum(axis: axis, keepDims: keep) }
        check([shape]) { $0[0].mean(axis: axis, keepDims: keep) }
        check([shape]) { $0[0].max(axis: axis, keepDims: keep) }
        check([shape]) { $0[0].min(axis: axis, keepDims: keep) }
      }
    }
    if shape.count > 1 { check([shape]) { $0[0].sum(axes: [0, -1], keepDims: true) } }
  }

  @Test func maxAlongAnAxisSendsTheGradientToTheFirstMaximum() {
    // As PyTorch's max(dim): the index it returns gets it all.
    let x = Tensor([1.0, 3.0, 3.0], dtype: .float64, requiresGrad: true)
    #expect(grad(of: x.max(axis: 0), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 1, 0])
  }

  @Test func maxAndMinOfAllSplitTheGradientAmongTies() {
    // As PyTorch's max() and min(), amax and amin: ties share the gradient evenly.
    let x = Tensor([1.0, 3.0, 3.0, -2.0, 3.0, -2.0], dtype: .float64, requiresGrad: true)
    let third = 1.0 / 3
    #expect(grad(of: x.max(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, third, third, 0, third, 0])
    #expect(grad(of: x.min(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 0, 0.5, 0, 0.5])
    #expect(grad(of: x.amax(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, third, third, 0, third, 0])
    let rows = x.reshaped(to: [2, 3]).amax(axis: 1).sum()
    let columns = x.reshaped(to: [2, 3]).amin(axis: 0).sum()
    #expect(grad(of: rows, withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0.5, 0.5, 0, 1, 0])
    #expect(grad(of: columns, withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0.5, 0, 1, 0.5, 1])
    // The infinity norm too, by magnitude: |-3| ties with 3.
    let v = Tensor([3.0, -3.0, 1.0], dtype: .float64, requiresGrad: true)
    #expect(grad(of: v.norm(.infinity), withRespectTo: [v])[0]!.scalars(as: Double.self) == [0.5, -0.5, 0])
    // NaN is the maximum, and NaNs tie with each other.
    let n = Tensor([1.0, .nan, .nan], dtype: .float64, requiresGrad: true)
    #expect(grad(of: n.max(), withRespectTo: [n])[0]!.scalars(as: Double.self) == [0, 0.5, 0.5])
    // amax along an axis does not: a row with NaN gets NaN gradients (PyTorch 2.15 gives the same).
    let rowsWithNaN = Tensor([1.0, .nan, 2.0, 3.0], shape: [2, 2], dtype: .float64, requiresGrad: true)
    let split = grad(of: rowsWithNaN.amax(axis: 1).sum(), withRespectTo: [rowsWithNaN])[0]!.scalars(as: Double.self)
    #expect(split[0].isNaN && split[1].isNaN && split[2...] == [0, 1])
  }

  @Test(arguments: shapes) func amaxAndAminWithoutTies(shape: [Int]) {
    check([shape]) { $0[0].amax() }
    check([shape]) { $0[0].amin(axes: shape.isEmpty ? [] : [0], keepDims: true) }
  }
}

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

@Suite("Gradients of views, indexing, cat and stack") struct ShapeGradientTests {
  @Test(arguments: shapes) func reshapeAndFlatten(shape: [Int]) {
    check([shape]) { $0[0].reshaped(to: [-1]) * 2 }
    check([shape]) { $0[0].flattened().reshaped(to: shape) * $0[0] }
  }

  @Test func transposePermuteExpand() {
    check([[3, 4]]) { $0[0].transposed() * Tensor.arange(0, 12, dtype: .float64).reshaped(to: [4, 3]) }
    check([[2, 3, 4]]) {
      $0[0].permuted([2, 0, 1]).contiguous() * Tensor.arange(0, 24, dtype: .float64).reshaped(to: [4, 2, 3])
    }
    check([[3, 1]]) { $0[0].expanded(to: [2, 3, 4]) * Tensor.arange(0, 24, dtype: .float64).reshaped(to: [2, 3, 4]) }
    check([[4]]) { $0[0].expanded(to: [3, 4]) * Tensor.arange(0, 12, dtype: .float64).reshaped(to: [3, 4]) }
  }

  @Test func squeezeUnsqueeze() {
    check([[3, 1, 4]]) { $0[0].squeezed() * $0[0].squeezed(at: 1) }
    check([[3, 4]]) { $0[0].unsqueezed(at: 1) * $0[0].unsqueezed(at: 0).transposed(0, 1) }
    check([[]]) { $0[0].unsqueezed(at: 0) * 3 }
  }

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

@Suite("gradCheck itself") struct GradCheckTests {
  @Test func detectsAWrongGradient() {
    // relu's gradient is not the gradient of softplus: the check must fail.
    let x = Tensor([0.5, -0.3, 1.2], dtype: .float64)
    let wrong = gradCheckReport([x]) { v in
      let y = v[0].relu()
      // Forward as softplus, backward as relu: value swapped in with no gradient of its own.
      return y + ((1 + v[0].exp()).log() - y).detached()
    }
    #expect(!wrong.passed)
    #expect(gradCheck(shape: [2, 3]) { $0.tanh().sum() })
  }
}
