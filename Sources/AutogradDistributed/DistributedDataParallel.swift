import Autograd
import AutogradNN

/// Trains one model on many processes, each on its own share of every batch, as PyTorch's
/// `DistributedDataParallel`: after each backward pass every rank holds the gradients averaged
/// over all ranks, so that the optimizers keep the copies of the model identical.
///
/// ```swift
/// let group = try ProcessGroup.world()
/// let model = DistributedDataParallel(try makeModel(), group: group)
/// let optimizer = SGD(parameters: model.module.parameters(), learningRate: 0.1, momentum: 0.9)
/// for (inputs, labels) in loader {           // a DataLoader over a DistributedSampler
///   optimizer.zeroGrad()
///   crossEntropy(model(inputs), labels).backward()   // gradients are averaged here
///   optimizer.step()
/// }
/// ```
///
/// At construction, rank 0's parameters and buffers are copied to every rank, after checking that
/// every rank has the same model. During backward, the gradients are grouped in buckets of about
/// `bucketCapacity` bytes, taken in the reverse order of the parameters (roughly the order backward
/// completes them); as soon as a bucket's last gradient is complete, its averaging starts, without
/// waiting, and backward goes on. When the pass ends, the averages are written into each `grad`.
public final class DistributedDataParallel<M: Module> {
  /// The model; call it for the forward pass (or call this wrapper, for a `Layer`).
  public let module: M
  public let group: ProcessGroup
  /// Whether parameters that get no gradient in a pass are expected (see `init`).
  public let findUnusedParameters: Bool
  /// Whether rank 0's buffers (running statistics) are copied to every rank after each pass.
  public let broadcastsBuffers: Bool

  private let names: [String]
  private let parameters: [Tensor]
  /// The buffers rank 0 sends after each pass, by dtype, each group through one flat tensor:
  /// finding them by reflection and sending each alone cost more than a small model's step.
  private let bufferGroups: [(buffers: [Tensor], flat: Tensor)]
  private let buckets: [GradientBucket]
  /// Each parameter's bucket and place in it.
  private let placement: [(bucket: Int, position: Int)]
  /// The first bucket whose reduction has not started: they start in order, the same on every
  /// rank, as MPI requires of collective calls.
  private var nextBucket = 0
  private var isSyncing = true
  private var isPassOpen = false
  private var gotGradient: [Bool]

  /// Wraps `module` for training on every rank of `group`.
  ///
  /// - Parameters:
  ///   - module: The model; its parameters' gradients are averaged across the ranks.
  ///   - group: The processes that train together (`ProcessGroup.world()`).
  ///   - bucketCapacity: About how many bytes of gradients each all-reduce carries (25 MiB, as
  ///     PyTorch). A parameter larger than that has a bucket of its own.
  ///   - findUnusedParameters: Allow parameters that get no gradient in some passes (a branch a
  ///     batch does not take): they count as zero on that rank, and a parameter no rank used keeps
  ///     its `grad`. This costs one more small all-reduce per pass. Without it, such a parameter is
  ///     a programmer error that stops the process with its name.
  ///   - broadcastBuffers: Copy rank 0's buffers to every rank after each pass.
  /// - Throws: `DistributedError.mismatchedCall` when the ranks' models differ, or an MPI failure.
  public init(
    _ module: M, group: ProcessGroup, bucketCapacity: Int = 25 << 20, findUnusedParameters: Bool = false,
    broadcastBuffers: Bool = true
  ) throws {
    trapUnless(bucketCapacity > 0, "DistributedDataParallel: bucket capacity must be positive, got \(bucketCapacity)")
    let trainable = module.namedParameters().filter { $0.1.requiresGrad }
    self.module = module
    self.group = group
    self.findUnusedParameters = findUnusedParameters
    broadcastsBuffers = broadcastBuffers
    names = trainable.map(\.0)
    parameters = trainable.map(\.1)
    gotGradient = Array(repeating: false, count: trainable.count)
    (buckets, placement) = Self.makeBuckets(parameters, capacity: bucketCapacity)
    let buffers = broadcastBuffers ? module.namedBuffers().map(\.1).filter { $0.dtype != .bool } : []
    bufferGroups = [DType.float32, .float64, .int64].compactMap { dtype in
      let members = buffers.filter { $0.dtype == dtype }
      return members.isEmpty ? nil : (members, Tensor.zeros([members.reduce(0) { $0 + $1.count }], dtype: dtype))
    }

    try Self.agreeOnModel(module, trainable, group)
    for (_, parameter) in module.namedParameters() { try group.broadcast(parameter, from: 0) }
    for (_, buffer) in module.namedBuffers() where buffer.dtype != .bool { try group.broadcast(buffer, from: 0) }

    for (index, parameter) in parameters.enumerated() {
      parameter.registerPostAccumulateGradHook { [weak self] _ in self?.gradientIsComplete(index) }
    }
  }

  /// Runs `body` (forward and backward passes) without averaging gradients: they accumulate on
  /// this rank, and the next pass outside `noSync` averages the sums, as PyTorch's `no_sync()`.
  public func noSync<R>(_ body: () throws -> R) rethrows -> R {
    isSyncing = false
    defer { isSyncing = true }
    return try body()
  }

  /// How many gradient buckets there are, for tests and tuning.
  public var bucketCount: Int { buckets.count }

  // MARK: During backward

  private func gradientIsComplete(_ index: Int) {
    guard isSyncing else { return }
    if !isPassOpen {
      isPassOpen = true
      BackwardCallbacks.queue { [weak self] in self?.finishPass() }
    }
    gotGradient[index] = true
    let (bucket, position) = placement[index]
    buckets[bucket].fill(position, from: parameters[index])
    failOnError {
      try startFullBuckets(includingLast: false)
      // Open MPI moves a non-blocking reduction forward only inside MPI calls.
      for started in buckets[..<nextBucket] { try started.poll() }
    }
  }

  /// Starts, in order, the full buckets not yet started. The last bucket is only reduced when the
  /// pass ends, with a blocking call: nothing is left to overlap it with, and MPI's blocking
  /// all-reduce is faster than its non-blocking one (48 against 87 us for this CNN's 55 KB). The
  /// rule depends on the bucket's index alone, so every rank makes the same kind of call: a
  /// blocking collective never matches a non-blocking one.
  private func startFullBuckets(includingLast: Bool) throws {
    let last = buckets.count - 1
    while nextBucket < last && buckets[nextBucket].isFull {
      try buckets[nextBucket].start(on: group)
      nextBucket += 1
    }
    if includingLast && nextBucket == last {
      try buckets[last].reduceNow(on: group)
      nextBucket += 1
    }
  }

  /// When the backward pass ends: the parameters that got no gradient are dealt with, the rest of
  /// the buckets start, and every average is waited for and written into `grad`.
  private func finishPass() {
    isPassOpen = false
    defer {
      nextBucket = 0
      gotGradient = Array(repeating: false, count: parameters.count)
    }
    if !findUnusedParameters, let unused = gotGradient.firstIndex(of: false) {
      trap(
        """
        DistributedDataParallel: parameter '\(names[unused])' got no gradient in this backward pass; \
        pass findUnusedParameters: true when parts of the model sit out some passes
        """)
    }
    failOnError {
      for (index, got) in gotGradient.enumerated() where !got {
        let (bucket, position) = placement[index]
        buckets[bucket].fill(position, from: parameters[index])
      }
      try startFullBuckets(includingLast: true)
      // Which parameters some rank used: one that no rank used keeps its gradient untouched.
      var usedAnywhere = [Bool](repeating: true, count: parameters.count)
      if findUnusedParameters {
        let used = Tensor(integers: gotGradient.map { $0 ? 1 : 0 })
        try group.allReduce(used, op: .max)
        usedAnywhere = used.scalars(as: Int64.self).map { $0 != 0 }
      }
      for bucket in buckets { try bucket.finish(parameters: parameters) { usedAnywhere[$0] } }
      try broadcastBuffersFromRankZero()
    }
  }

  private func broadcastBuffersFromRankZero() throws {
    for (buffers, flat) in bufferGroups {
      var offset = 0
      withNoGrad {
        for buffer in buffers where group.rank == 0 {
          flat[offset..<(offset + buffer.count)].copy(from: buffer.reshaped(to: [-1]))
          offset += buffer.count
        }
      }
      try group.broadcastUnchecked(flat, from: 0)
      guard group.rank != 0 else { continue }
      offset = 0
      withNoGrad {
        for buffer in buffers {
          buffer.copy(from: flat[offset..<(offset + buffer.count)].reshaped(to: buffer.shape))
          offset += buffer.count
        }
      }
    }
  }

  private func failOnError(_ body: () throws -> Void) {
    do { try body() } catch { trap("DistributedDataParallel: \(error)") }
  }

  // MARK: Construction

  /// Buckets of parameters of one dtype, in reverse order, each of at most `capacity` bytes unless
  /// a single parameter is larger.
  private static func makeBuckets(_ parameters: [Tensor], capacity: Int)
    -> ([GradientBucket], [(bucket: Int, position: Int)])
  {
    var groups: [[Int]] = []
    var open: [DType: (group: Int, bytes: Int)] = [:]
    for index in parameters.indices.reversed() {
      let parameter = parameters[index]
      let bytes = parameter.count * parameter.dtype.byteSize
      if let current = open[parameter.dtype], current.bytes + bytes <= capacity {
        groups[current.group].append(index)
        open[parameter.dtype] = (current.group, current.bytes + bytes)
      } else {
        groups.append([index])
        open[parameter.dtype] = (groups.count - 1, bytes)
      }
    }
    var placement = [(bucket: Int, position: Int)](repeating: (0, 0), count: parameters.count)
    for (bucket, members) in groups.enumerated() {
      for (position, index) in members.enumerated() { placement[index] = (bucket, position) }
    }
    return (groups.map { GradientBucket(members: $0, parameters: parameters) }, placement)
  }

  /// Checks that every rank has the same trainable parameters (names, shapes, dtypes) and buffers.
  private static func agreeOnModel(_ module: M, _ trainable: [(String, Tensor)], _ group: ProcessGroup) throws {
    let elements = trainable.reduce(0) { $0 + $1.1.count }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    let description =
      trainable.map { "\($0.0)\($0.1.shape)\($0.1.dtype)" } + module.namedBuffers().map { "\($0.0)\($0.1.shape)" }
    for byte in description.joined(separator: ";").utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    let signature = Tensor(integers: [trainable.count, elements, Int(Int64(bitPattern: hash))])
    let all = try group.allGather(signature).scalars(as: Int64.self)
    let rows = (0..<group.size).map { Array(all[(3 * $0)..<(3 * $0 + 3)]) }
    guard Set(rows.map { $0[2] }).count > 1 || Set(rows.map { $0[1] }).count > 1 else { return }
    let described = rows.enumerated().map {
      "rank \($0.offset): \($0.element[0]) parameters of \($0.element[1]) elements"
    }
    throw DistributedError.mismatchedCall(
      """
      DistributedDataParallel: the ranks' models differ in their parameters' names, shapes or dtypes, or their buffers \
      (\(described.joined(separator: "; ")))
      """)
  }
}

extension DistributedDataParallel where M: Layer {
  /// Runs the model's forward pass.
  public func callAsFunction(_ input: Tensor) -> Tensor { module(input) }
}
