import CAutogradKernels

/// Float32 matrix products on a system BLAS instead of the built-in kernel: an opt-in backend,
/// loaded at run time, so that the package neither links nor needs one.
///
/// On Linux the default is OpenBLAS (`libopenblas.so.0`, Debian's `libopenblas0-pthread`); on
/// macOS, Accelerate. Any library that exports `cblas_sgemm` works. Products whose operands BLAS
/// cannot read as they are laid out (broadcast or otherwise strided views) still use the built-in
/// kernel, and so does float64. BENCHMARKS.md compares the two.
public enum SystemBLAS {
  /// The library `enable()` loads when given no other.
  public static var defaultLibrary: String {
    #if os(macOS)
      "/System/Library/Frameworks/Accelerate.framework/Accelerate"
    #else
      "libopenblas.so.0"
    #endif
  }

  /// Loads `library` and sends float32 products to it from now on, with up to `threads` threads
  /// where the library lets us set that (OpenBLAS).
  /// - Throws: `SystemBLASError` if the library cannot be loaded or has no `cblas_sgemm`.
  public static func enable(library: String = defaultLibrary, threads: Int = Threading.maxThreads) throws {
    guard ag_blas_load(library) else { throw SystemBLASError(library: library) }
    ag_blas_set_threads(Int32(clamping: Swift.max(1, threads)))
  }

  /// Goes back to the built-in kernel.
  public static func disable() { ag_blas_unload() }

  /// Whether float32 products go to a system BLAS.
  public static var isEnabled: Bool { ag_blas_active() }
}

/// A system BLAS could not be loaded.
public struct SystemBLASError: Error, CustomStringConvertible {
  /// The library that was asked for.
  public let library: String

  public var description: String {
    "cannot use \(library) as the BLAS: it cannot be loaded or does not export cblas_sgemm"
      + " (on Debian: apt install libopenblas0-pthread)"
  }
}
