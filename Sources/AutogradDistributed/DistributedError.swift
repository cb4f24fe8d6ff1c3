/// What can go wrong in a collective call, or in starting one.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
  /// No MPI library could be loaded; the text says which package to install.
  case mpiUnavailable(String)
  /// An MPI call returned an error: the collective and MPI's description of the error.
  case mpiFailed(call: String, message: String)
  /// The ranks made different calls, or the same call with tensors of different shapes or types:
  /// the text names what each rank passed.
  case mismatchedCall(String)
  /// A rank reported a failure to `ProcessGroup.agree(onFailure:)`, so every rank stopped.
  case rankFailed(rank: Int, reason: String)
  /// A call was given an argument that no rank could accept (a root out of range, a mean of integers).
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .mpiUnavailable(let text): return text
    case .mpiFailed(let call, let message): return "\(call): MPI failed: \(message)"
    case .mismatchedCall(let text): return text
    case .rankFailed(let rank, let reason): return "rank \(rank) stopped: \(reason)"
    case .invalidArgument(let text): return text
    }
  }
}
