/// Why a tensor file could not be read or written. Bad files throw; they never crash the process.
public enum TensorIOError: Error, CustomStringConvertible, Equatable {
  /// The file could not be opened, read or written.
  case fileAccess(path: String, reason: String)
  /// The bytes do not follow the format; `reason` says what is wrong and where.
  case malformed(reason: String)
  /// The file is valid but holds something this library does not support (a dtype, say).
  case unsupported(reason: String)

  /// The same error with the file's path in front of the reason.
  func inFile(_ path: String) -> TensorIOError {
    switch self {
    case .fileAccess: self
    case .malformed(let reason): .malformed(reason: "\(path): \(reason)")
    case .unsupported(let reason): .unsupported(reason: "\(path): \(reason)")
    }
  }

  public var description: String {
    switch self {
    case .fileAccess(let path, let reason): "cannot access \(path): \(reason)"
    case .malformed(let reason): "malformed file: \(reason)"
    case .unsupported(let reason): "unsupported file: \(reason)"
    }
  }
}
