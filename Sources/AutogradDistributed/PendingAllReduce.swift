import Autograd
import CAutogradMPI

/// An all-reduce that has started and not yet been waited on (`ProcessGroup.allReduceAsync`).
///
/// Call `wait()` exactly once, on every rank; the tensor holds the combined values after it.
public final class PendingAllReduce: @unchecked Sendable {
  private let tensor: Tensor
  /// The contiguous buffer MPI works on: the tensor itself, or a copy written back at the end.
  private let buffer: Tensor
  private let op: ReduceOp
  private unowned let group: ProcessGroup
  private var request: Int64 = 0
  private var isStarted: Bool
  private var isDone = false

  init(starting tensor: Tensor, op: ReduceOp, group: ProcessGroup) throws {
    self.tensor = tensor
    self.buffer = tensor.isContiguous ? tensor : tensor.contiguous()
    self.op = op
    self.group = group
    isStarted = buffer.count > 0
    guard isStarted else { return }
    let buffer = self.buffer
    var handle: Int64 = 0
    try buffer.withUnsafeMutableElementBytes { base, count in
      try MPILibrary.check(
        ag_mpi_iallreduce(base, Int64(count), ProcessGroup.mpiType(buffer.dtype), op.mpi, &handle),
        "allReduceAsync")
    }
    request = handle
  }

  /// Whether the reduction has finished, without waiting (it also lets MPI make progress).
  public func isCompleted() throws -> Bool {
    if isDone || !isStarted { return true }
    var done: Int32 = 0
    try group.serialized { try MPILibrary.check(ag_mpi_test(&request, &done), "allReduceAsync") }
    if done != 0 { finish() }
    return isDone
  }

  /// Waits until the reduction has finished; `tensor` then holds the result.
  public func wait() throws {
    if !isDone && isStarted {
      try group.serialized { try MPILibrary.check(ag_mpi_wait(&request), "allReduceAsync") }
      finish()
    }
    isDone = true
  }

  private func finish() {
    isDone = true
    buffer.withUnsafeMutableElementBytes { base, count in
      if op == .mean { ProcessGroup.divide(base, count: count, dtype: buffer.dtype, by: group.size) }
    }
    // Written back as a gradient or parameter update is: unrecorded.
    if buffer !== tensor { withNoGrad { tensor.copy(from: buffer) } }
  }
}
