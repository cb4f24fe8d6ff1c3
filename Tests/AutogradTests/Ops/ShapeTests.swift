import Testing

@testable import Autograd

/// Every differentiable op against central finite differences in Float64, on a scalar, a vector,
/// a matrix, and (for ops of two tensors) broadcast pairs of shapes.
private let shapes: [[Int]] = [[], [4], [3, 4]]

@Suite("Gradients of views") struct ShapeGradientTests {
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
}
