import Autograd

/// Batches of a dataset, in order or reshuffled each time it is iterated, as PyTorch's `DataLoader`.
///
/// ```swift
/// let loader = DataLoader(TensorDataset(x, y), batchSize: 32, shuffle: true, generator: RandomGenerator(seed: 0))
/// for epoch in 0..<10 { for (inputs, labels) in loader { ... } }
/// ```
public final class DataLoader<D: Dataset>: Sequence {
  public let dataset: D
  public let batchSize: Int
  public let shuffle: Bool
  public let dropLast: Bool
  /// Where the indices of each pass come from when training across processes.
  public let sampler: DistributedSampler?
  private var generator: RandomGenerator

  public init(
    _ dataset: D, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false,
    generator: RandomGenerator = RandomGenerator.split()
  ) {
    trapUnless(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
    (self.dataset, self.batchSize, self.shuffle, self.dropLast, self.generator) = (
      dataset, batchSize, shuffle, dropLast, generator
    )
    sampler = nil
  }

  /// Batches of this process's share of `dataset`, in the order `sampler` gives for its current
  /// epoch (set `sampler.epoch` before each pass to reshuffle), as PyTorch's `DataLoader(sampler=)`.
  public init(_ dataset: D, batchSize: Int, sampler: DistributedSampler, dropLast: Bool = false) {
    trapUnless(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
    trapUnless(
      sampler.datasetCount == dataset.count,
      "DataLoader: the sampler is for \(sampler.datasetCount) elements, the dataset has \(dataset.count)")
    (self.dataset, self.batchSize, self.shuffle, self.dropLast, self.sampler) = (
      dataset, batchSize, false, dropLast, sampler
    )
    generator = RandomGenerator(seed: 0)
  }

  /// The number of elements one pass visits.
  private var passCount: Int { sampler?.count ?? dataset.count }

  /// The number of batches per pass.
  public var batchCount: Int {
    dropLast ? passCount / batchSize : (passCount + batchSize - 1) / batchSize
  }

  /// One pass over the data; each new pass draws a new order when shuffling.
  public func makeIterator() -> AnyIterator<D.Batch> {
    let order =
      sampler?.indices()
      ?? (shuffle ? permutation(dataset.count, generator: &generator) : Array(0..<dataset.count))
    let batches = batchCount
    var index = 0
    let dataset = self.dataset
    let size = batchSize
    return AnyIterator {
      guard index < batches else { return nil }
      defer { index += 1 }
      let start = index * size
      return dataset.batch(at: Array(order[start..<Swift.min(start + size, order.count)]))
    }
  }
}
