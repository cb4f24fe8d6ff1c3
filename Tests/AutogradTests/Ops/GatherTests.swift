import Testing

@testable import Autograd

@Suite("Gather, scatter and indexing") struct GatherTests {
  @Test func gatherAndScatterValues() {
    let index = Tensor(integers: [0, 3, 1, 1, 2, 0], shape: [3, 2])
    #expect(m34.gather(axis: 1, index: index).scalars(as: Double.self) == [0, 3, 5, 5, 10, 8])
    let rows = Tensor(integers: [2, 0, 1, 0], shape: [1, 4])
    #expect(m34.gather(axis: 0, index: rows).scalars(as: Double.self) == [8, 1, 6, 3])
    let z = Tensor.zeros([2, 3], dtype: .float64)
    let src = Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
    let at = Tensor(integers: [2, 0, 1, 1], shape: [2, 2])
    #expect(z.scattering(axis: 1, index: at, source: src).scalars(as: Double.self) == [2, 0, 1, 0, 4, 0])
    #expect(z.scatterAdding(axis: 1, index: at, source: src).scalars(as: Double.self) == [2, 0, 1, 0, 7, 0])
  }

  @Test func selectionValues() {
    #expect(
      m34.indexSelect(axis: 1, indices: Tensor(integers: [3, 0, -1])).scalars(as: Double.self) == [
        3, 0, 3, 7, 4, 7, 11, 8, 11,
      ])
    #expect(m34[Tensor(integers: [2, 0])].scalars(as: Double.self) == [8, 9, 10, 11, 0, 1, 2, 3])
    #expect(m34[Tensor(integers: [1, 1, 2, 0], shape: [2, 2])].shape == [2, 2, 4])
    #expect(m34[m34 .> 8].scalars(as: Double.self) == [9, 10, 11])
    #expect(m34[Tensor(bools: [false, true, false, true])].scalars(as: Double.self) == [1, 3, 5, 7, 9, 11])
    #expect(m34.maskedFill(m34 .< 2, value: -1).scalars(as: Double.self).prefix(3) == [-1, -1, 2])
    // index_add: rows 1 and 0 of the source land on rows 2 and 0; a repeated index adds twice.
    let source = Tensor.ones([3, 4], dtype: .float64)
    #expect(
      m34.indexAdding(axis: 0, indices: Tensor(integers: [2, 0, 2]), source: source).scalars(as: Double.self) == [
        1, 2, 3, 4, 4, 5, 6, 7, 10, 11, 12, 13,
      ])
  }

  @Test func gradients() {
    let index = Tensor(integers: [0, 3, 1, 1, 2, 0], shape: [3, 2])
    checkLinearOp([[3, 4]]) { $0[0].gather(axis: 1, index: index) }
    let at = Tensor(integers: [2, 0, 1, 1], shape: [2, 2])
    checkLinearOp([[2, 3], [2, 2]]) { $0[0].scatterAdding(axis: 1, index: at, source: $0[1]) }
    let distinct = Tensor(integers: [2, 0, 1, 2], shape: [2, 2])
    checkLinearOp([[2, 3], [2, 2]]) { $0[0].scattering(axis: 1, index: distinct, source: $0[1]) }
    checkLinearOp([[3, 4]]) { $0[0].indexSelect(axis: 1, indices: Tensor(integers: [3, 0, 3])) }
    checkLinearOp([[3, 4], [3, 2]]) { $0[0].indexAdding(axis: 1, indices: Tensor(integers: [3, -4]), source: $0[1]) }
    checkLinearOp([[3, 4]]) { $0[0][Tensor(integers: [2, 2, 0])] }
    checkLinearOp([[3, 4]]) { $0[0][m34 .> 6] }
    checkLinearOp([[3, 4]]) { $0[0].maskedFill(m34 .< 5, value: 3) }
  }

  @Test func badIndicesTrapWithAMessage() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).gather(axis: 1, index: Tensor(integers: [0, 3], shape: [2, 1]))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "gather: index 3 is out of range for axis 1 of size 3"))
    }
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).indexSelect(axis: 0, indices: Tensor([0.0]))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "indexSelect: indices must be an int64 tensor, got float32"))
    }
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).indexAdding(axis: 0, indices: Tensor(integers: [1]), source: Tensor.ones([2, 3]))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "indexAdd: source [2, 3] does not fit [2, 3] with 1 indices along axis 0"))
    }
  }
}
