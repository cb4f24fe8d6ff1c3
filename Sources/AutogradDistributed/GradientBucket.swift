import Autograd

/// A group of parameters whose gradients are averaged across ranks in one all-reduce: copied into
/// one flat buffer as each becomes complete, reduced when the last one is in, and copied back.
///
/// Fewer, larger reductions cost less than one per parameter (each call has a fixed latency),
/// and starting each bucket as soon as it is full lets communication overlap the rest of backward.
final class GradientBucket {
  /// Indices into the model's parameter list, and each one's place in `buffer`.
  let members: [Int]
  private let offsets: [Int]
  /// The gradients, flat, in one dtype.
  let buffer: Tensor
  /// How many members are complete in the current pass.
  private(set) var readyCount = 0
  private var isReady: [Bool]
  /// The reduction in flight, between `start` and `finish`.
  private var pending: PendingAllReduce?

  init(members: [Int], parameters: [Tensor]) {
    self.members = members
    var offsets: [Int] = []
    var total = 0
    for index in members {
      offsets.append(total)
      total += parameters[index].count
    }
    self.offsets = offsets
    buffer = Tensor.zeros([total], dtype: parameters[members[0]].dtype)
    isReady = Array(repeating: false, count: members.count)
  }

  /// The part of `buffer` that holds member `position`'s gradient, in its parameter's shape.
  private func slot(_ position: Int, shape: [Int]) -> Tensor {
    let count = shape.reduce(1, *)
    return buffer[offsets[position]..<(offsets[position] + count)].reshaped(to: shape)
  }

  var isFull: Bool { readyCount == members.count }

  /// Copies member `position`'s gradient in (zeros for a parameter without one) and marks it complete.
  func fill(_ position: Int, from parameter: Tensor) {
    guard !isReady[position] else { return }
    if let grad = parameter.grad {
      if !copyBytes(from: grad, to: position) { withNoGrad { slot(position, shape: parameter.shape).copy(from: grad) } }
    } else {
      withNoGrad { slot(position, shape: parameter.shape).zero() }
    }
    isReady[position] = true
    readyCount += 1
  }

  /// Copies a contiguous gradient of the buffer's dtype into member `position`'s place with one
  /// memcpy (a slice view and a copy kernel per parameter cost about 3% of a small CNN's step);
  /// returns false, touching nothing, for any other.
  private func copyBytes(from grad: Tensor, to position: Int) -> Bool {
    guard grad.isContiguous && grad.dtype == buffer.dtype else { return false }
    let size = buffer.dtype.byteSize
    grad.withUnsafeElementBytes { source, count in
      buffer.withUnsafeMutableElementBytes { base, _ in
        (base + offsets[position] * size).copyMemory(from: source, byteCount: count * size)
      }
    }
    return true
  }

  /// The reverse of `copyBytes`: member `position`'s average into a contiguous gradient.
  private func copyBytes(from position: Int, to grad: Tensor) -> Bool {
    guard grad.isContiguous && grad.dtype == buffer.dtype else { return false }
    let size = buffer.dtype.byteSize
    buffer.withUnsafeElementBytes { base, _ in
      grad.withUnsafeMutableElementBytes { destination, count in
        destination.copyMemory(from: base + offsets[position] * size, byteCount: count * size)
      }
    }
    return true
  }

  /// Starts averaging the buffer across the ranks.
  func start(on group: ProcessGroup) throws {
    pending = try group.allReduceUnchecked(buffer, op: .mean)
  }

  /// Averages the buffer across the ranks, waiting for the result.
  func reduceNow(on group: ProcessGroup) throws {
    try group.allReduceUncheckedNow(buffer, op: .mean)
  }

  /// Lets MPI make progress on the reduction, without waiting.
  func poll() throws { _ = try pending?.isCompleted() }

  /// Waits for the reduction and writes the averages into the gradients of the members that
  /// `keep` accepts, then resets for the next pass.
  func finish(parameters: [Tensor], keep: (Int) -> Bool) throws {
    try pending?.wait()
    pending = nil
    for (position, index) in members.enumerated() where keep(index) {
      let parameter = parameters[index]
      // A parameter that had no gradient gets its own tensor: the buffer is rewritten next pass.
      let grad = parameter.grad ?? Tensor.zeros(like: parameter)
      if !copyBytes(from: position, to: grad) { withNoGrad { grad.copy(from: slot(position, shape: parameter.shape)) } }
      parameter.grad = grad
    }
    readyCount = 0
    isReady = Array(repeating: false, count: members.count)
  }
}
