import CAutogradMPI
import Foundation

/// Loads MPI once per process, at the first `ProcessGroup`, as the optional system BLAS is loaded:
/// nothing in the build links it.
enum MPILibrary {
  /// The environment variable that names the library to load instead of searching the usual names.
  static let pathVariable = "AUTOGRAD_MPI_LIBRARY"

  /// The libraries to try, in order: the one named by `AUTOGRAD_MPI_LIBRARY`, else the usual names
  /// of Open MPI's and MPICH's, the launcher's own first (a rank of MPICH's `mpiexec` must load
  /// MPICH even where Open MPI is installed too).
  static func candidates(_ environment: [String: String]) -> [String] {
    if let path = environment[pathVariable] { return [path] }
    #if os(macOS)
      let openMPI = ["libmpi.40.dylib", "/opt/homebrew/lib/libmpi.40.dylib", "/usr/local/lib/libmpi.40.dylib"]
      let mpich = ["libmpi.12.dylib", "/opt/homebrew/lib/libmpi.12.dylib", "/usr/local/lib/libmpi.12.dylib"]
    #else
      let openMPI = ["libmpi.so.40"]
      let mpich = ["libmpich.so.12", "libmpi.so.12"]
    #endif
    let launchedByMPICH = environment["OMPI_COMM_WORLD_SIZE"] == nil && environment["PMI_RANK"] != nil
    return launchedByMPICH ? mpich + openMPI : openMPI + mpich
  }

  /// `nil` once loaded, or why not.
  private static let loadFailure: String? = {
    var reasons: [String] = []
    for candidate in candidates(ProcessInfo.processInfo.environment) {
      var message = [CChar](repeating: 0, count: 512)
      if ag_mpi_load(candidate, &message, message.count) == 0 { return nil }
      reasons.append(text(of: message))
    }
    return reasons.joined(separator: "; ")
  }()

  /// Loads the library, or throws an error that says what to install.
  static func load() throws {
    guard let loadFailure else { return }
    throw DistributedError.mpiUnavailable(
      """
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
    throw DistributedError.mpiFailed(
      call: call, message: Self.text(of: text))
  }

  /// The text a C function wrote into `buffer`, up to its terminating zero.
  private static func text(of buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
