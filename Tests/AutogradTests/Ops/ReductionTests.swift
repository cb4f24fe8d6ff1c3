import Foundation
import Testing

@testable import Autograd

/// Every differentiable op against central finite differences in Float64, on a scalar, a vector,
/// a matrix, and (for ops of two tensors) broadcast pairs of shapes.
private let shapes: [[Int]] = [[], [4], [3, 4]]

/// This file's inputs come from seed 5.
private func checkBothOrders(
  _ shapes: [[Int]], in range: ClosedRange<Double> = -2...2, secondOrder: Bool = true,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor
) {
  AutogradTests.checkBothOrders(shapes, in: range, seed: 5, secondOrder: secondOrder, sourceLocation: sourceLocation, f)
}

@Suite("Reductions and normalizations") struct ReductionTests {
  @Test func values() {
    let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float64)
    #expect(x.prod().item() == 720)
    #expect(x.prod(axis: 0).scalars(as: Double.self) == [4, 10, 18])
    #expect(x.prod(axis: 1, keepDims: true).shape == [2, 1])
    #expect(x.cumsum(axis: 1).scalars(as: Double.self) == [1, 3, 6, 4, 9, 15])
    #expect(x.cumsum(axis: 0).scalars(as: Double.self) == [1, 2, 3, 5, 7, 9])
    #expect(x.cumprod(axis: 1).scalars(as: Double.self) == [1, 2, 6, 4, 20, 120])
    #expect(x.variance().item() == 3.5)
    #expect(x.variance(correction: 0).item() == 17.5 / 6)
    #expect(x.variance(axes: [1]).scalars(as: Double.self) == [1, 1])
    #expect(Swift.abs(x.standardDeviation().item() - 3.5.squareRoot()) < 1e-15)
    #expect(
      Swift.abs(
        x.logSumExp(axis: 1).scalars(as: Double.self)[0]
          - Foundation.log(Foundation.exp(1) + Foundation.exp(2) + Foundation.exp(3))) < 1e-14)
    #expect(x.norm(.one).item() == 21)
    #expect(x.norm().item() == 91.0.squareRoot())
    #expect(x.norm(.infinity, axes: [1]).scalars(as: Double.self) == [3, 6])
    #expect(Swift.abs(x.norm(.p(3)).item() - Foundation.pow(441.0, 1.0 / 3)) < 1e-12)
    let s = x.softmax(axis: 1).scalars(as: Double.self)
    #expect(Swift.abs(s[0] + s[1] + s[2] - 1) < 1e-15)
    #expect(Swift.abs(x.logSoftmax(axis: 1).exp().sum(axis: 1).scalars(as: Double.self)[1] - 1) < 1e-15)
    let (values, indices) = x.maxWithIndices(axis: 0)
    #expect(values.scalars(as: Double.self) == [4, 5, 6])
    #expect(indices.scalars(as: Int64.self) == [1, 1, 1])
    #expect(x.argmax().item() == 5)
    #expect(x.argmin().item() == 0)
    #expect(x.flipped(axes: [1]).scalars(as: Double.self) == [3, 2, 1, 6, 5, 4])
    #expect(x.flipped(axes: [0, 1]).scalars(as: Double.self) == [6, 5, 4, 3, 2, 1])
  }

  @Test(arguments: [[4], [3, 4], [2, 3, 4]] as [[Int]])
  func gradientsOfFirstAndSecondOrder(shape: [Int]) {
    let last = shape.count - 1
    checkBothOrders([shape]) { $0[0].prod() }
    checkBothOrders([shape]) { $0[0].prod(axis: last) }
    checkBothOrders([shape]) { $0[0].cumsum(axis: 0) }
    checkBothOrders([shape]) { $0[0].cumprod(axis: last) }
    checkBothOrders([shape]) { $0[0].variance() }
    checkBothOrders([shape]) { $0[0].variance(axes: [last], correction: 0, keepDims: true) }
    checkBothOrders([shape]) { $0[0].standardDeviation(axes: [0]) }
    checkBothOrders([shape]) { $0[0].logSumExp(axis: last) }
    checkBothOrders([shape]) { $0[0].logSumExp(axes: Array(0...last)) }
    checkBothOrders([shape]) { $0[0].norm() }
    checkBothOrders([shape]) { $0[0].norm(.two, axes: [last]) }
    checkBothOrders([shape]) { $0[0].norm(.one) }
    checkBothOrders([shape]) { $0[0].norm(.p(3), axes: [0]) }
    checkBothOrders([shape]) { $0[0].norm(.infinity) }
    checkBothOrders([shape]) { $0[0].softmax(axis: last) }
    checkBothOrders([shape]) { $0[0].softmax(axis: 0) }
    checkBothOrders([shape]) { $0[0].logSoftmax(axis: last) }
    checkBothOrders([shape]) { $0[0].logSoftmax(axis: 0) }
    checkBothOrders([shape]) {
      $0[0].flipped(axes: [0]) * Tensor.arange(0, Double(Shape.count(shape)), dtype: .float64).reshaped(to: shape)
    }
  }

  /// Sums over a block of middle axes add whole rows of a contiguous tensor; a permuted view of
  /// the same values takes the gathering path. Both agree, in both float dtypes.
  @Test(arguments: [DType.float64, .float32])
  func sumsOverMiddleAxesMatchTheGatheringPath(dtype: DType) {
    var g = RandomGenerator(seed: 60)
    let x = Tensor.randn([3, 4, 5, 6], dtype: dtype, generator: &g)
    let viaView = x.permuted([3, 0, 1, 2])  // not contiguous
    for (axes, viewAxes) in [([1], [2]), ([1, 2], [2, 3]), ([0, 1], [1, 2]), ([0, 1, 2], [1, 2, 3])] {
      let expected = viaView.sum(axes: viewAxes)
      // The view's kept axes put x's last axis first.
      let moved = [1: expected, 2: expected.transposed()][expected.rank] ?? expected.permuted([1, 2, 0])
      #expect(isClose(x.sum(axes: axes), moved, dtype == .float64 ? 1e-12 : 1e-6), "axes \(axes)")
    }
    #expect(isClose(x.mean(axis: 1), x.sum(axis: 1) / 4))
  }

  @Test func productGradientIsExactWithZeros() {
    // d/dx_i Π x = Π_{j≠i} x_j: with one zero only that position has a gradient; with two, none.
    let one = Tensor([2.0, 0.0, 3.0], dtype: .float64, requiresGrad: true)
    #expect(grad(of: one.prod(), withRespectTo: [one])[0]!.scalars(as: Double.self) == [0, 6, 0])
    let two = Tensor([0.0, 5.0, 0.0], dtype: .float64, requiresGrad: true)
    #expect(grad(of: two.prod(), withRespectTo: [two])[0]!.scalars(as: Double.self) == [0, 0, 0])
    let c = Tensor([2.0, 0.0, 3.0], dtype: .float64)
    #expect(gradCheck([c]) { $0[0].cumprod(axis: 0) })
  }

  @Test func emptyAxesGivePyTorchsResults() {
    // Recorded from PyTorch 2.15: softmax over an empty axis is empty, logsumexp is -inf.
    let x = Tensor.zeros([2, 0], dtype: .float64, requiresGrad: true)
    #expect(x.softmax(axis: 1).shape == [2, 0] && x.logSoftmax(axis: 1).shape == [2, 0])
    #expect(x.logSumExp(axis: 1).scalars(as: Double.self) == [-.infinity, -.infinity])
    #expect(Tensor.zeros([0, 3]).logSumExp(axis: 0).scalars(as: Float.self) == [-.infinity, -.infinity, -.infinity])
    #expect(Tensor.zeros([0]).logSumExp(axis: 0, keepDims: true).shape == [1])
    #expect(Tensor.zeros([0, 3]).softmax(axis: 0).shape == [0, 3])
    #expect(grad(of: x.logSoftmax(axis: 1).sum(), withRespectTo: [x])[0]!.shape == [2, 0])
  }

  @Test func emptyExtremaTrapNamingTheOpCalled() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 0]).amax(axis: 1)
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "amax: cannot reduce over axis 1 of shape [2, 0], which is empty"))
    }
  }

  @Test(arguments: [[2.0, 0.0, 3.0, -1.5], [0.0, 5.0, 0.0, 2.0], [1.5, 2.0, 0.0, 0.0]])
  func productsWithZerosHaveExactSecondDerivatives(values: [Double]) {
    let x = Tensor(values, dtype: .float64)
    let weights = Tensor([1.0, 2.0, 3.0, 4.0], dtype: .float64)
    for f in [
      { (t: [Tensor]) in t[0].prod() }, { (t: [Tensor]) in (t[0].cumprod(axis: 0) * weights).sum() },
      { (t: [Tensor]) in t[0].reshaped(to: [2, 2]).prod(axis: 1).sum() },
    ] {
      AutogradTests.checkBothOrders(inputs: [x], f)
    }
  }

  @Test func productHessiansWithZerosMatchPyTorch() {
    // Recorded from PyTorch 2.15 (torch.autograd.functional.hessian).
    #expect(
      hessian({ $0.prod() }, at: Tensor([2.0, 0.0, 3.0], dtype: .float64)).scalars(as: Double.self) == [
        0, 3, 0, 3, 0, 2, 0, 2, 0,
      ])
    #expect(
      hessian({ $0.prod() }, at: Tensor([0.0, 5.0, 0.0], dtype: .float64)).scalars(as: Double.self) == [
        0, 0, 5, 0, 0, 0, 5, 0, 0,
      ])
    let weights = Tensor([1.0, 2.0, 3.0], dtype: .float64)
    #expect(
      hessian({ ($0.cumprod(axis: 0) * weights).sum() }, at: Tensor([2.0, 0.0, 3.0], dtype: .float64)).scalars(
        as: Double.self)
        == [0, 11, 0, 11, 0, 6, 0, 6, 0])
  }

  @Test func normOfZeroHasZeroGradient() {
    let x = Tensor.zeros([3], dtype: .float64, requiresGrad: true)
    #expect(grad(of: x.norm(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 0])
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
