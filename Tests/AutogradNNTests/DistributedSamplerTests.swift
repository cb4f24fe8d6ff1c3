import Autograd
import Testing

@testable import AutogradNN

@Suite("DistributedSampler") struct DistributedSamplerTests {
  /// Every rank's share, for one epoch.
  private func shares(count: Int, ranks: Int, shuffle: Bool = true, dropLast: Bool = false, epoch: Int = 0) -> [[Int]] {
    (0..<ranks).map { rank in
      let sampler = DistributedSampler(
        count: count, rank: rank, ranks: ranks, shuffle: shuffle, seed: 7, dropLast: dropLast)
      sampler.epoch = epoch
      return sampler.indices()
    }
  }

  @Test(arguments: [(10, 2), (10, 3), (11, 4), (3, 3)])
  func sharesAreDisjointAndCoverTheDataset(count: Int, ranks: Int) {
    let parts = shares(count: count, ranks: ranks)
    #expect(Set(parts.map(\.count)).count == 1, "every rank runs the same number of steps")
    #expect(parts[0].count == (count + ranks - 1) / ranks)
    let all = parts.flatMap { $0 }
    #expect(Set(all) == Set(0..<count), "together they cover every element")
    // Only the padding repeats, and it repeats the order's first elements.
    #expect(all.count - count == parts[0].count * ranks - count)
  }

  @Test func withoutPaddingTheTailIsLeftOutAndNothingRepeats() {
    let parts = shares(count: 11, ranks: 4, dropLast: true)
    #expect(parts.allSatisfy { $0.count == 2 })
    let all = parts.flatMap { $0 }
    #expect(Set(all).count == 8)
  }

  @Test func eachEpochReshufflesTheSameWayOnEveryRank() {
    let first = shares(count: 20, ranks: 2, epoch: 0)
    let again = shares(count: 20, ranks: 2, epoch: 0)
    let second = shares(count: 20, ranks: 2, epoch: 1)
    #expect(first == again, "the order depends only on seed and epoch")
    #expect(first != second)
    #expect(Set(second.flatMap { $0 }) == Set(0..<20))
  }

  @Test func withoutShufflingRanksTakeEveryNthElement() {
    #expect(shares(count: 7, ranks: 3, shuffle: false) == [[0, 3, 6], [1, 4, 0], [2, 5, 1]])
  }

  @Test func aLoaderBatchesTheRanksShare() {
    let x = Tensor((0..<10).map(Double.init), shape: [10, 1])
    let sampler = DistributedSampler(count: 10, rank: 1, ranks: 2, shuffle: false)
    let loader = DataLoader(TensorDataset(x, x), batchSize: 2, sampler: sampler)
    #expect(loader.batchCount == 3)
    let seen = loader.flatMap { (inputs, _) in inputs.scalars(as: Double.self) }
    #expect(seen == [1, 3, 5, 7, 9])
  }

  @Test func aSamplerForAnotherDatasetIsATrap() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor.zeros([4, 1])
      _ = DataLoader(TensorDataset(x, x), batchSize: 2, sampler: DistributedSampler(count: 5, rank: 0, ranks: 2))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "DataLoader: the sampler is for 5 elements, the dataset has 4"))
    }
  }
}
