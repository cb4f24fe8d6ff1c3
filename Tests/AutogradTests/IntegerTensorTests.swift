import Testing

@testable import Autograd

/// int64 and bool tensors in reductions, with PyTorch's result dtypes.
@Suite("Integer and bool reductions") struct IntegerReductionTests {
  let labels = Tensor(integers: [3, 1, 4, 1, 5, 9], shape: [2, 3])
  let hits = Tensor(bools: [true, false, true, true])

  @Test func sumsCountAndGiveInt64() {
    #expect(hits.sum().dtype == .int64 && hits.sum().item() == 3)
    let predicted = Tensor(integers: [1, 2, 3])
    let truth = Tensor(integers: [1, 0, 3])
    #expect((predicted .== truth).sum().item() == 2)
    #expect(labels.sum().dtype == .int64 && labels.sum().item() == 23)
    #expect(labels.sum(axis: 0).scalars(as: Int64.self) == [4, 6, 13])
    #expect(labels.sum(axis: 1, keepDims: true).shape == [2, 1])
    // int64 arithmetic wraps, as PyTorch's does.
    #expect(Tensor(integers: [Int.max, 1]).sum().scalars(as: Int64.self) == [Int64.min])
  }

  @Test func productsAndRunningTotals() {
    #expect(labels.prod().dtype == .int64 && labels.prod().item() == 540)
    #expect(labels.prod(axis: 1).scalars(as: Int64.self) == [12, 45])
    #expect(labels.cumsum(axis: 1).scalars(as: Int64.self) == [3, 4, 8, 1, 6, 15])
    #expect(labels.cumprod(axis: 0).scalars(as: Int64.self) == [3, 1, 4, 3, 5, 36])
    #expect(hits.cumsum(axis: 0).dtype == .int64 && hits.cumsum(axis: 0).scalars(as: Int64.self) == [1, 1, 2, 3])
    #expect(hits.prod().dtype == .int64 && hits.prod().item() == 0)
  }

  @Test func extremesAndTheirIndices() {
    #expect(labels.max().dtype == .int64 && labels.max().item() == 9)
    // `labels.max() + 1`: the number of classes, still an integer.
    #expect((labels.max() + 1).dtype == .int64 && (labels.max() + 1).item() == 10)
    #expect(labels.min().item() == 1)
    #expect(labels.max(axis: 1).scalars(as: Int64.self) == [4, 9])
    #expect(labels.argmax(axis: 1).scalars(as: Int64.self) == [2, 2])
    #expect(labels.argmin(axis: 1).scalars(as: Int64.self) == [1, 0])
    #expect(labels.argmax().item() == 5)
    #expect(labels.amax(axis: 0).scalars(as: Int64.self) == [3, 5, 9])
    #expect(labels.amin().item() == 1)
    #expect(hits.max().dtype == .bool && hits.max().scalars(as: Bool.self) == [true])
    #expect(hits.min().scalars(as: Bool.self) == [false])
  }

  @Test func meanOfIntegersTraps() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor(integers: [1, 2]).mean()
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "mean: expected a floating-point tensor, got int64"))
    }
  }
}
