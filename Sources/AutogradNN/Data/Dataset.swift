import Autograd

/// A collection of samples that can hand out batches: `batch(at:)` gathers (collates) the samples
/// at the given indices, so that a dataset of tensors can pick rows in one op instead of stacking
/// samples one by one.
public protocol Dataset {
  associatedtype Batch
  /// The number of samples.
  var count: Int { get }
  /// The samples at `indices`, collated into one batch.
  func batch(at indices: [Int]) -> Batch
}

/// Samples that are the rows (axis 0) of one or more tensors with the same first size, as
/// PyTorch's `TensorDataset`. A batch holds those tensors' selected rows, in a shape that
/// destructures as PyTorch's does:
///
/// ```swift
/// let loader = DataLoader(TensorDataset(x, y), batchSize: 32, shuffle: true)
/// for (inputs, labels) in loader { ... }        // two tensors: a pair
/// for rows in DataLoader(TensorDataset(x), batchSize: 8) { ... }   // one tensor: the tensor
/// ```
///
/// Three tensors give a triple, and a list (`TensorDataset([a, b, c, d])`) a list.
public struct TensorDataset<Batch>: Dataset {
  public let tensors: [Tensor]
  /// Makes a batch of the selected rows of each tensor, in order.
  private let collate: ([Tensor]) -> Batch

  private init(checking tensors: [Tensor], collate: @escaping ([Tensor]) -> Batch) {
    trapUnless(
      !tensors.isEmpty && tensors.allSatisfy { $0.rank >= 1 && $0.shape[0] == tensors[0].shape[0] },
      "TensorDataset: tensors must share their first size, got \(tensors.map(\.shape))")
    (self.tensors, self.collate) = (tensors, collate)
  }

  public var count: Int { tensors[0].shape[0] }

  public func batch(at indices: [Int]) -> Batch {
    let index = Tensor(integers: indices)
    return collate(tensors.map { $0.indexSelect(axis: 0, indices: index) })
  }
}

extension TensorDataset where Batch == Tensor {
  /// The rows of one tensor; a batch is a tensor.
  public init(_ samples: Tensor) { self.init(checking: [samples]) { $0[0] } }
}

extension TensorDataset where Batch == (Tensor, Tensor) {
  /// The rows of two tensors (inputs and targets); a batch is a pair.
  public init(_ first: Tensor, _ second: Tensor) { self.init(checking: [first, second]) { ($0[0], $0[1]) } }
}

extension TensorDataset where Batch == (Tensor, Tensor, Tensor) {
  /// The rows of three tensors; a batch is a triple.
  public init(_ first: Tensor, _ second: Tensor, _ third: Tensor) {
    self.init(checking: [first, second, third]) { ($0[0], $0[1], $0[2]) }
  }
}

extension TensorDataset where Batch == [Tensor] {
  /// The rows of any number of tensors; a batch is the list of their rows.
  public init(_ tensors: [Tensor]) { self.init(checking: tensors) { $0 } }
}

/// The samples of `base` at `indices`, as PyTorch's `Subset`.
public struct Subset<Base: Dataset>: Dataset {
  public let base: Base
  public let indices: [Int]

  public init(_ base: Base, indices: [Int]) {
    trapUnless(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "Subset: indices must be in 0..<\(base.count)")
    self.base = base
    self.indices = indices
  }

  public var count: Int { indices.count }
  public func batch(at positions: [Int]) -> Base.Batch { base.batch(at: positions.map { indices[$0] }) }
}

/// Splits a dataset into disjoint random subsets of the given sizes, as `random_split`.
public func randomSplit<D: Dataset>(_ dataset: D, sizes: [Int], generator: inout RandomGenerator) -> [Subset<D>] {
  trapUnless(
    sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == dataset.count,
    "randomSplit: sizes \(sizes) must add up to the dataset's \(dataset.count) samples")
  let order = permutation(dataset.count, generator: &generator)
  var start = 0
  return sizes.map { size in
    defer { start += size }
    return Subset(dataset, indices: Array(order[start..<(start + size)]))
  }
}

/// A uniformly random permutation of 0..<n (Fisher-Yates), the same for the same generator state
/// on every platform.
public func permutation(_ n: Int, generator: inout RandomGenerator) -> [Int] {
  var order = Array(0..<n)
  if n < 2 { return order }
  for i in stride(from: n - 1, to: 0, by: -1) {
    let j = Int(generator.nextInt(in: 0..<Int64(i + 1)))
    order.swapAt(i, j)
  }
  return order
}
