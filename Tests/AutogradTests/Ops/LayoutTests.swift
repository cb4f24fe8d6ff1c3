import Testing

@testable import Autograd

@Suite("Layout ops") struct LayoutOpTests {
  @Test func values() {
    let v = Tensor([1, 2, 3], dtype: .float64)
    #expect(v.repeated([2]).scalars(as: Double.self) == [1, 2, 3, 1, 2, 3])
    #expect(v.repeated([2, 2]).shape == [2, 6])
    #expect(
      Tensor([1, 2, 3, 4], shape: [2, 2]).repeated([1, 2]).scalars(as: Float.self) == [1, 2, 1, 2, 3, 4, 3, 4])
    #expect(v.tiled([2]).scalars(as: Double.self) == [1, 2, 3, 1, 2, 3])
    #expect(Tensor.zeros([2, 3]).tiled([2]).shape == [2, 6])
    #expect(v.rolled(shift: 1, axis: 0).scalars(as: Double.self) == [3, 1, 2])
    #expect(v.rolled(shift: -4, axis: 0).scalars(as: Double.self) == [2, 3, 1])
    #expect(m34.split(sizes: [1, 3], axis: 1).map(\.shape) == [[3, 1], [3, 3]])
    #expect(m34.split(size: 3, axis: 1).map(\.shape) == [[3, 3], [3, 1]])
    #expect(m34.chunked(2, axis: 0).map(\.shape) == [[2, 4], [1, 4]])
    #expect(m34.flattened(startAxis: 0).shape == [12])
    #expect(Tensor.zeros([2, 3, 4]).flattened(startAxis: 1).shape == [2, 12])
    #expect(Tensor.zeros([2, 12]).unflattened(axis: 1, sizes: [3, -1]).shape == [2, 3, 4])
    #expect(v.padded([(1, 2)]).scalars(as: Double.self) == [0, 1, 2, 3, 0, 0])
    #expect(v.padded([(1, 1)], mode: .constant(9)).scalars(as: Double.self) == [9, 1, 2, 3, 9])
    #expect(v.padded([(2, 2)], mode: .reflect).scalars(as: Double.self) == [3, 2, 1, 2, 3, 2, 1])
    #expect(v.padded([(2, 1)], mode: .replicate).scalars(as: Double.self) == [1, 1, 1, 2, 3, 3])
    #expect(Tensor.ones([1, 2, 2]).padded([(1, 0), (0, 1)]).shape == [1, 3, 3])
    #expect(m34.tril().scalars(as: Double.self) == [0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0])
    #expect(m34.triu(diagonal: 1).scalars(as: Double.self) == [0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11])
    #expect(m34.diagonal().scalars(as: Double.self) == [0, 5, 10])
    #expect(m34.diagonal(offset: 1).scalars(as: Double.self) == [1, 6, 11])
    #expect(m34.diagonal(offset: -1).scalars(as: Double.self) == [4, 9])
    #expect(
      Tensor.arange(0, 8).reshaped(to: [2, 2, 2]).diagonal(axis1: 0, axis2: 2).scalars(as: Float.self) == [0, 5, 2, 7])
  }

  @Test func gradients() {
    checkLinearOp([[2, 3]]) { $0[0].repeated([2, 1, 2]) }
    checkLinearOp([[3]]) { $0[0].tiled([2, 2]) }
    checkLinearOp([[2, 3]]) { $0[0].rolled(shift: 2, axis: 1) }
    checkLinearOp([[4, 3]]) { x in Tensor.cat(x[0].split(sizes: [1, 3]).reversed(), axis: 0) }
    checkLinearOp([[5]]) { x in x[0].chunked(2)[1] }
    checkLinearOp([[2, 3]]) { $0[0].padded([(1, 2)], mode: .constant(0.5)) }
    checkLinearOp([[2, 4]]) { $0[0].padded([(1, 1), (2, 3)], mode: .reflect) }
    checkLinearOp([[2, 3]]) { $0[0].padded([(2, 1)], mode: .replicate) }
    checkLinearOp([[3, 4]]) { $0[0].tril(diagonal: -1) }
    checkLinearOp([[2, 3, 3]]) { $0[0].triu() }
    checkLinearOp([[3, 4]]) { $0[0].diagonal(offset: 1) }
    checkLinearOp([[2, 3, 4]]) { $0[0].flattened(startAxis: 1).unflattened(axis: 1, sizes: [4, 3]) }
  }
}
