import CAutogradMPI
import Foundation

/// Loads MPI once per process, at the first `ProcessGroup`, as the optional system BLAS is loaded:
/// nothing in the build links it.
enum MPILibrary {
  /// The environment variable that names the library to load instead of searching the usual names.
  static let pathVariable = "AUTOGRAD_MPI_LIBRARY"

  /// `nil` once loaded, or why not.
  private static let loadFailure: String? = {
    let path = ProcessInfo.processInfo.environment[pathVariable]
    var message = [CChar](repeating: 0, count: 512)
    guard ag_mpi_load(path, &message, message.count) != 0 else { return nil }
    return String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }()

  /// Loads the library, or throws an error that says what to install.
  static func load() throws {
    guard let loadFailure else { return }
    throw DistributedError.mpiUnavailable("""
      distributed training needs MPI, which could not be loaded (\(loadFailure)). \
      Install Open MPI (on Debian or Ubuntu: apt-get install openmpi-bin; on macOS: brew install open-mpi), \
      or MPICH (apt-get install mpich), or set \(pathVariable) to the path of libmpi
      """)
  }

  /// "Open MPI" or "MPICH", once loaded.
  static var flavor: String? { ag_mpi_flavor().map { String(cString: $0) } }

  /// Throws `DistributedError.mpiFailed` when `code` is not MPI's success.
  static func check(_ code: Int32, _ call: String) throws {
    guard code != 0 else { return }
    var text = [CChar](repeating: 0, count: 1024)
    ag_mpi_error_text(code, &text, text.count)
    throw DistributedError.mpiFailed(call: call, message: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }
}
