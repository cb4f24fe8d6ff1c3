import Foundation
import Testing

@testable import Autograd

@Suite("Softmax, log softmax and logsumexp") struct StatisticsTests {
  @Test func stableForLargeInputs() {
    let big = Tensor([1000, 1001, -.infinity], dtype: .float64)
    #expect(big.softmax(axis: 0).scalars(as: Double.self)[2] == 0)
    #expect(!big.logSumExp(axis: 0).item().isNaN)
    #expect(Swift.abs(big.logSumExp(axis: 0).item() - (1001 + Foundation.log(1 + Foundation.exp(-1)))) < 1e-12)
    #expect(Tensor([-Double.infinity, -.infinity], dtype: .float64).logSumExp(axis: 0).item() == -.infinity)
  }

  /// Softmax and log softmax run as row kernels, split over threads: in place along a contiguous
  /// last axis, else on a copy with the axis moved last. Both ways agree, and give PyTorch 2.15's
  /// NaN rows.
  @Test func rowKernelsAgreeAlongEveryAxisAndWithPyTorchAtTheEdges() {
    let edges = Tensor([.infinity, 1, -.infinity, -.infinity, .nan, 1, -.infinity, 0], shape: [4, 2], dtype: .float64)
    let nan = Double.nan
    func same(_ a: [Double], _ b: [Double]) -> Bool {
      a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 }
    }
    for x in [edges, edges.transposed().contiguous().transposed()] {  // in place, then moved
      #expect(same(x.softmax(axis: 1).scalars(as: Double.self), [nan, nan, nan, nan, nan, nan, 0, 1]))
      #expect(same(x.logSoftmax(axis: 1).scalars(as: Double.self), [nan, nan, nan, nan, nan, nan, -.infinity, 0]))
    }
    var g = RandomGenerator(seed: 3)
    let x = Tensor.randn([64, 2048], generator: &g) * 4
    let rows = x.transposed().contiguous()  // [2048, 64]: more rows than one thread takes
    for (inPlace, moved) in [
      (rows.softmax(axis: 1), x.softmax(axis: 0).transposed()),
      (rows.logSoftmax(axis: 1), x.logSoftmax(axis: 0).transposed()),
    ] {
      let difference = (inPlace - moved).abs().max().item()
      #expect(difference < 1e-5, "\(difference)")
    }
  }

  @Test func logSoftmaxAlongTheLastAxisMatchesTheComposedOps() {
    // The last axis of a contiguous tensor takes a one-pass kernel; the composed ops are the
    // reference, for values, gradients and rows with infinities (an all -inf row is NaN in both).
    func agrees(_ a: Tensor, _ b: Tensor, _ tolerance: Double) -> Bool {
      zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).allSatisfy { x, y in
        x.isNaN ? y.isNaN : (x == y || Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y)))
      }
    }
    var g = RandomGenerator(seed: 5)
    for (dtype, tolerance) in [(DType.float32, 1e-5), (.float64, 1e-12)] {
      let special = Tensor(
        [-.infinity, 0, 1, 2, 1000, 1001, 999, -5, -.infinity, -.infinity, -.infinity, -.infinity],
        shape: [3, 4], dtype: dtype)
      for x in [Tensor.randn([7, 13], dtype: dtype, generator: &g) * 30, special] {
        #expect(agrees(x.logSoftmax(axis: 1), x - x.logSumExp(axis: 1, keepDims: true), tolerance))
        let leaf = x.detached()
        leaf.requiresGrad = true
        let upstream = Tensor.randn(x.shape, dtype: dtype, generator: &g)
        let fused = grad(of: leaf.logSoftmax(axis: 1), withRespectTo: [leaf], outputGradient: upstream)[0]!
        let composed = grad(
          of: leaf - leaf.logSumExp(axis: 1, keepDims: true), withRespectTo: [leaf],
          outputGradient: upstream)[0]!
        #expect(agrees(fused, composed, tolerance * 10))
      }
    }
  }
}
