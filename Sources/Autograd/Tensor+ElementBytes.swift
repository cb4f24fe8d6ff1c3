extension Tensor {
  /// Hands this tensor's elements, in row-major order, to `body` as raw bytes with their count in
  /// elements, for code in this package that passes them to a C library (MPI). A contiguous tensor
  /// hands out its own storage; any other is copied first.
  package func withUnsafeElementBytes<R>(_ body: (UnsafeRawPointer, Int) throws -> R) rethrows -> R {
    let source = isContiguous ? self : Kernels.contiguousCopy(self)
    return try body(UnsafeRawPointer(source.storage.base + source.offset * dtype.byteSize), count)
  }

  /// As `withUnsafeElementBytes`, for a `body` that writes the elements: a tensor that is not
  /// contiguous is staged through a contiguous copy that is written back. Either way the storage's
  /// version is bumped, so that a backward rule that saved this tensor sees the change.
  package func withUnsafeMutableElementBytes<R>(_ body: (UnsafeMutableRawPointer, Int) throws -> R) rethrows -> R {
    defer { bumpVersion() }
    guard isContiguous else {
      let staged = Kernels.contiguousCopy(self)
      defer { Kernels.copy(staged, into: self) }
      return try body(staged.storage.base, count)
    }
    return try body(storage.base + offset * dtype.byteSize, count)
  }
}
