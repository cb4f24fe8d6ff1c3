import Autograd
import CAutogradMPI
import Foundation

/// How `ProcessGroup.allReduce` combines the ranks' values.
public enum ReduceOp: Sendable {
  case sum
  /// The sum divided by the number of ranks (floating-point tensors only).
  case mean
  case max
  case min

  var mpi: ag_mpi_op {
    switch self {
    case .sum, .mean: AG_MPI_SUM
    case .max: AG_MPI_MAX
    case .min: AG_MPI_MIN
    }
  }
}

/// All the processes of an MPI job, and the collective operations among them: PyTorch's
/// `torch.distributed` on its MPI backend.
///
/// Start the job with `mpirun -np N program`; each process calls `ProcessGroup.world()` and
/// gets its `rank` among `size`. Every rank must make the same collective calls in the same order,
/// with tensors of the same shape and dtype; a mismatch of shape or dtype throws
/// `DistributedError.mismatchedCall` on every rank, naming what each passed.
///
/// Calls may come from any thread, one at a time (the group serializes them).
public final class ProcessGroup: @unchecked Sendable {
  /// This process's index, from 0 to `size - 1`.
  public let rank: Int
  /// The number of processes.
  public let size: Int
  /// "Open MPI" or "MPICH".
  public let implementation: String

  /// How many ranks of the job run on this machine, as the launcher says (Open MPI's and MPICH's
  /// environment), or `size` when it does not: to share the machine's cores among them.
  public var ranksOnThisMachine: Int {
    let environment = ProcessInfo.processInfo.environment
    let named = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMI_LOCAL_SIZE"].lazy.compactMap {
      environment[$0].flatMap(Int.init)
    }
    return named.first { $0 > 0 } ?? size
  }

  /// Serializes MPI calls: MPI is initialized for one call at a time.
  private let lock = NSLock()

  private init(rank: Int, size: Int, implementation: String) {
    self.rank = rank
    self.size = size
    self.implementation = implementation
  }

  private nonisolated(unsafe) static var shared: ProcessGroup?
  private static let sharedLock = NSLock()

  /// The group of every process in the job, initializing MPI on the first call.
  ///
  /// Run outside `mpirun`, it is a group of one. MPI is finalized when the process exits.
  /// - Throws: `DistributedError.mpiUnavailable` when no MPI library is installed.
  public static func world() throws -> ProcessGroup {
    sharedLock.lock()
    defer { sharedLock.unlock() }
    if let shared { return shared }
    try MPILibrary.load()
    var rank: Int32 = 0
    var size: Int32 = 0
    try MPILibrary.check(ag_mpi_initialize(&rank, &size), "ProcessGroup.world")
    let group = ProcessGroup(rank: Int(rank), size: Int(size), implementation: MPILibrary.flavor ?? "MPI")
    shared = group
    return group
  }

  func serialized<R>(_ body: () throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  // MARK: Collectives

  /// Waits until every rank has called it.
  public func barrier() throws {
    try serialized { try MPILibrary.check(ag_mpi_barrier(), "barrier") }
  }

  /// Replaces `tensor`'s values, on every rank, by the combination of all ranks' values, in place.
  public func allReduce(_ tensor: Tensor, op: ReduceOp = .sum) throws {
    try checkReducible(tensor, op, "allReduce")
    try serialized {
      try agreeOnCall(.allReduce, tensor)
      try reduceInPlace(tensor, op: op)
    }
  }

  /// Starts an all-reduce of `tensor` in place and returns at once; the values are combined when
  /// `wait()` on the result returns. Until then, neither read nor write `tensor`.
  ///
  /// The ranks' shapes are checked before it starts, as `allReduce` checks them.
  public func allReduceAsync(_ tensor: Tensor, op: ReduceOp = .sum) throws -> PendingAllReduce {
    try checkReducible(tensor, op, "allReduceAsync")
    return try serialized {
      try agreeOnCall(.allReduce, tensor)
      return try PendingAllReduce(starting: tensor, op: op, group: self)
    }
  }

  /// Starts an all-reduce without checking the ranks' shapes, for callers that checked them once
  /// (data-parallel training, whose buckets are the same on every rank).
  func allReduceUnchecked(_ tensor: Tensor, op: ReduceOp) throws -> PendingAllReduce {
    try serialized { try PendingAllReduce(starting: tensor, op: op, group: self) }
  }

  /// A blocking all-reduce without comparing the ranks' calls, for callers that checked them once.
  func allReduceUncheckedNow(_ tensor: Tensor, op: ReduceOp) throws {
    try serialized { try reduceInPlace(tensor, op: op) }
  }

  /// The all-reduce itself; the caller holds the lock.
  private func reduceInPlace(_ tensor: Tensor, op: ReduceOp) throws {
    try tensor.withUnsafeMutableElementBytes { base, count in
      guard count > 0 else { return }
      try MPILibrary.check(ag_mpi_allreduce(base, Int64(count), Self.mpiType(tensor.dtype), op.mpi), "allReduce")
      if op == .mean { Self.divide(base, count: count, dtype: tensor.dtype, by: size) }
    }
  }

  /// Copies rank `root`'s values of `tensor` into `tensor` on every other rank, in place.
  public func broadcast(_ tensor: Tensor, from root: Int = 0) throws {
    try checkRoot(root, "broadcast")
    try checkSupported(tensor.dtype, "broadcast")
    try serialized {
      try agreeOnCall(.broadcast(root: root), tensor)
      try broadcastInPlace(tensor, from: root)
    }
  }

  /// Broadcasts without comparing the ranks' calls, for callers that checked the shapes once
  /// (data-parallel training's buffers).
  func broadcastUnchecked(_ tensor: Tensor, from root: Int) throws {
    try serialized { try broadcastInPlace(tensor, from: root) }
  }

  /// The broadcast itself; the caller holds the lock.
  private func broadcastInPlace(_ tensor: Tensor, from root: Int) throws {
    try tensor.withUnsafeMutableElementBytes { base, count in
      guard count > 0 else { return }
      try MPILibrary.check(ag_mpi_broadcast(base, Int64(count), Self.mpiType(tensor.dtype), Int32(root)), "broadcast")
    }
  }

  /// Every rank's `tensor`, stacked in rank order: a tensor of shape `[size] + tensor.shape`.
  public func allGather(_ tensor: Tensor) throws -> Tensor {
    try checkSupported(tensor.dtype, "allGather")
    return try serialized {
      try agreeOnCall(.allGather, tensor)
      let gathered = Tensor.zeros([size] + tensor.shape, dtype: tensor.dtype)
      try tensor.withUnsafeElementBytes { source, count in
        guard count > 0 else { return }
        try gathered.withUnsafeMutableElementBytes { destination, _ in
          try MPILibrary.check(
            ag_mpi_allgather(source, destination, Int64(count), Self.mpiType(tensor.dtype)), "allGather")
        }
      }
      return gathered
    }
  }

  // MARK: Stopping together

  /// Every rank calls this at the same point, passing what went wrong on it, or `nil`. If any
  /// rank passed a failure, every rank throws `DistributedError.rankFailed` with the lowest such
  /// rank and its reason, so that all stop together instead of waiting for one that left.
  public func agree(onFailure failure: String?) throws {
    let bytes = Array((failure ?? "").utf8)
    let report = Tensor(integers: [failure == nil ? 0 : 1, bytes.count])
    let reports = try allGather(report).scalars(as: Int64.self)
    guard let failed = (0..<size).first(where: { reports[2 * $0] != 0 }) else { return }
    let length = Int(reports[2 * failed + 1])
    let message = rank == failed ? Tensor(integers: bytes.map(Int.init)) : Tensor.zeros([length], dtype: .int64)
    try broadcast(message, from: failed)
    let reason = String(decoding: message.scalars(as: Int64.self).map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    throw DistributedError.rankFailed(rank: failed, reason: reason)
  }

  /// Ends every process of the job at once, after printing why on this rank's standard error:
  /// for a failure the other ranks cannot reach a common call to hear of.
  public func abort(reason: String, exitCode: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("error: rank \(rank) of \(size) stopped the job: \(reason)\n".utf8))
    ag_mpi_abort(exitCode)
    exit(exitCode)
  }

  // MARK: Checks

  /// The call every rank is about to make, compared across ranks before any data moves.
  enum Call: Equatable {
    case allReduce, allGather
    case broadcast(root: Int)

    var code: Int64 {
      switch self {
      case .allReduce: 1
      case .allGather: 2
      case .broadcast(let root): 3 + Int64(root)
      }
    }

    init(code: Int64) {
      switch code {
      case 1: self = .allReduce
      case 2: self = .allGather
      default: self = .broadcast(root: Int(code - 3))
      }
    }

    var name: String {
      switch self {
      case .allReduce: "allReduce"
      case .allGather: "allGather"
      case .broadcast(let root): "broadcast from rank \(root)"
      }
    }
  }

  /// How many axes a signature holds; longer shapes are compared by their first axes and count.
  private static let signatureAxes = 8

  /// Gathers every rank's call, dtype and shape, and throws on every rank if they differ.
  private func agreeOnCall(_ call: Call, _ tensor: Tensor) throws {
    guard size > 1 else { return }
    let width = 4 + Self.signatureAxes
    var signature = [call.code, Self.dtypeCode(tensor.dtype), Int64(tensor.rank), Int64(tensor.count)]
    signature += (0..<Self.signatureAxes).map { $0 < tensor.rank ? Int64(tensor.shape[$0]) : -1 }
    var all = [Int64](repeating: 0, count: width * size)
    try signature.withUnsafeBytes { mine in
      try all.withUnsafeMutableBytes { everyone in
        try MPILibrary.check(
          ag_mpi_allgather(mine.baseAddress, everyone.baseAddress, Int64(width), AG_MPI_INT64), call.name)
      }
    }
    let rows = (0..<size).map { Array(all[($0 * width)..<(($0 + 1) * width)]) }
    guard rows.contains(where: { $0 != signature }) else { return }
    let described = rows.enumerated().map { rank, row in "rank \(rank): \(Self.describe(row))" }
    throw DistributedError.mismatchedCall(
      "\(call.name): the ranks' calls differ (\(described.joined(separator: "; "))); every rank must make the same call with the same shape and dtype"
    )
  }

  private static func describe(_ signature: [Int64]) -> String {
    let dtype = [DType.float32, .float64, .int64, .bool][Int(signature[1])]
    let rank = Int(signature[2])
    var shape = signature[4..<(4 + Swift.min(rank, signatureAxes))].map(String.init).joined(separator: ", ")
    if rank > signatureAxes { shape += ", ... (\(signature[3]) elements)" }
    return "\(Call(code: signature[0]).name) of \(dtype) [\(shape)]"
  }

  private func checkReducible(_ tensor: Tensor, _ op: ReduceOp, _ call: String) throws {
    try checkSupported(tensor.dtype, call)
    if op == .mean && !tensor.dtype.isFloatingPoint {
      throw DistributedError.invalidArgument(
        "\(call): the mean of an \(tensor.dtype) tensor is not one; use .sum and divide")
    }
  }

  private func checkSupported(_ dtype: DType, _ call: String) throws {
    if dtype == .bool {
      throw DistributedError.invalidArgument("\(call): bool tensors are not supported; cast to int64 first")
    }
  }

  private func checkRoot(_ root: Int, _ call: String) throws {
    if !(0..<size).contains(root) {
      throw DistributedError.invalidArgument("\(call): root \(root) is not a rank of this group of \(size)")
    }
  }

  static func dtypeCode(_ dtype: DType) -> Int64 {
    switch dtype {
    case .float32: 0
    case .float64: 1
    case .int64: 2
    case .bool: 3
    }
  }

  static func mpiType(_ dtype: DType) -> ag_mpi_type {
    switch dtype {
    case .float32: AG_MPI_FLOAT
    case .float64: AG_MPI_DOUBLE
    default: AG_MPI_INT64
    }
  }

  /// Divides `count` floating-point elements at `base` by `divisor`, for a mean.
  static func divide(_ base: UnsafeMutableRawPointer, count: Int, dtype: DType, by divisor: Int) {
    switch dtype {
    case .float32:
      let p = base.assumingMemoryBound(to: Float.self)
      for i in 0..<count { p[i] /= Float(divisor) }
    case .float64:
      let p = base.assumingMemoryBound(to: Double.self)
      for i in 0..<count { p[i] /= Double(divisor) }
    default:
      break
    }
  }
}
