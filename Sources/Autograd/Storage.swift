/// One aligned buffer of elements, shared by a tensor and all of its views.
///
/// The version counter is bumped by every in-place write, so that a backward rule can tell when
/// a value it saved has been overwritten since.
final class Storage {
  let dtype: DType
  let count: Int
  let base: UnsafeMutableRawPointer
  @exclusivity(unchecked) var version = 0
  /// The buffer's size class in `BufferCache` (-1: allocated outside the classes).
  private let sizeClass: Int

  /// Allocates uninitialized storage for `count` elements.
  init(dtype: DType, count: Int) {
    self.dtype = dtype
    self.count = count
    // Large buffers are 64-byte aligned (cache lines, AVX-512 loads) and reused by size class.
    (base, sizeClass) = BufferCache.allocate(max(count * dtype.byteSize, 1))
    switch dtype {
    case .float32: base.bindMemory(to: Float.self, capacity: count)
    case .float64: base.bindMemory(to: Double.self, capacity: count)
    case .int64: base.bindMemory(to: Int64.self, capacity: count)
    case .bool: base.bindMemory(to: Bool.self, capacity: count)
    }
  }

  /// Allocates storage with every byte zero (0, 0.0 or false).
  convenience init(zeroed dtype: DType, count: Int) {
    self.init(dtype: dtype, count: count)
    base.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.byteSize)
  }

  deinit { BufferCache.release(base, sizeClass: sizeClass) }

  /// The buffer as elements of `T`, which must be the dtype's Swift type.
  @inline(__always)
  func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
    base.assumingMemoryBound(to: T.self)
  }
}
