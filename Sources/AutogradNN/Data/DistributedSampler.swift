import Autograd

/// The share of a dataset that one of several processes trains on, as PyTorch's
/// `DistributedSampler`: each rank gets a disjoint part of one order of the whole dataset.
///
/// The order is a permutation drawn from `seed + epoch` (or the dataset's own order without
/// shuffling), so every rank computes the same one without talking to the others; set `epoch`
/// before each pass to draw a new one, as PyTorch's `set_epoch`. Unless `dropLast`, the order is
/// padded by repeating its first indices until it divides evenly, so that every rank runs the same
/// number of steps; with `dropLast` the tail that does not divide evenly is left out instead.
///
/// ```swift
/// let sampler = DistributedSampler(count: data.count, rank: group.rank, ranks: group.size, seed: 0)
/// let loader = DataLoader(data, batchSize: 32, sampler: sampler)
/// for epoch in 0..<10 { sampler.epoch = epoch; for (inputs, labels) in loader { ... } }
/// ```
public final class DistributedSampler {
  /// The number of elements in the dataset.
  public let datasetCount: Int
  public let rank: Int
  public let ranks: Int
  public let shuffle: Bool
  public let seed: UInt64
  public let dropLast: Bool
  /// The pass the next order is drawn for.
  public var epoch = 0

  public init(count: Int, rank: Int, ranks: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false) {
    trapUnless(ranks > 0 && (0..<ranks).contains(rank), "DistributedSampler: rank \(rank) is not one of \(ranks) ranks")
    trapUnless(count >= 0, "DistributedSampler: a dataset of \(count) elements")
    (datasetCount, self.rank, self.ranks, self.shuffle, self.seed, self.dropLast) = (
      count, rank, ranks, shuffle, seed, dropLast
    )
  }

  /// How many indices each rank gets per pass.
  public var count: Int { dropLast ? datasetCount / ranks : (datasetCount + ranks - 1) / ranks }

  /// This rank's indices for the current `epoch`, in the order to visit them.
  public func indices() -> [Int] {
    var order: [Int]
    if shuffle {
      var generator = RandomGenerator(seed: seed &+ UInt64(truncatingIfNeeded: epoch))
      order = permutation(datasetCount, generator: &generator)
    } else {
      order = Array(0..<datasetCount)
    }
    let total = count * ranks
    if order.count > total {
      order.removeLast(order.count - total)
    } else if !order.isEmpty {
      // Pad from the start, as often as needed (a dataset smaller than the ranks repeats).
      while order.count < total { order += order.prefix(total - order.count) }
    }
    return Array(stride(from: rank, to: order.count, by: ranks).map { order[$0] })
  }
}
