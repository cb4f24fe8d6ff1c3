/// The fields of a `Storage`, in 32 bytes: with the object's own 16 and one inline element, a
/// scalar's storage is a 64-byte malloc chunk (it was 80 with the dtype and size class in words
/// of their own, and a graph of scalar ops keeps one per op).
struct StorageHeader {
  /// Count and dtype change only when a recycled storage is handed out again (`StoragePool`).
  var count: Int
  /// The first element: just after the header for small storages, a separate buffer for large ones.
  let base: UnsafeMutableRawPointer
  var version = 0
  /// The large buffer's size class in `BufferCache`; `Storage.inline` for elements held in the
  /// object itself, -1 for a large buffer allocated outside the classes.
  let sizeClass: Int32
  var dtype: DType
  /// The storage's class in `StoragePool` (its inline units less one), or -1 when it is too large
  /// to be recycled.
  let poolClass: Int8

  init(dtype: DType, count: Int, base: UnsafeMutableRawPointer, sizeClass: Int32, poolClass: Int8 = -1) {
    self.count = count
    self.base = base
    self.sizeClass = sizeClass
    self.dtype = dtype
    self.poolClass = poolClass
  }
}

/// One buffer of elements, shared by a tensor and all of its views.
///
/// Storages under `BufferCache.smallest` bytes hold their elements in the same heap object as
/// their fields: one allocation per small tensor fewer, and a graph of scalar ops keeps fewer,
/// closer objects. Larger ones point at a 64-byte-aligned buffer that `BufferCache` reuses.
///
/// The version counter is bumped by every in-place write, so that a backward rule can tell when
/// a value it saved has been overwritten since.
final class Storage: ManagedBuffer<StorageHeader, Storage.Unit> {
  /// The unit inline elements are counted in, which sets their alignment: 8 bytes, as the widest
  /// element needs. (A 16-byte unit made Swift allocate each storage through posix_memalign.)
  typealias Unit = Double

  /// The size class of elements held inline.
  static let inline: Int32 = -2

  /// Allocates uninitialized storage for `count` elements, or zeroed storage (0, 0.0 or false).
  static func make(dtype: DType, count: Int, zeroed: Bool = false) -> Storage {
    let bytes = Swift.max(count * dtype.byteSize, 1)
    let isInline = bytes < BufferCache.smallest
    let units = isInline ? (bytes + MemoryLayout<Unit>.stride - 1) / MemoryLayout<Unit>.stride : 0
    let poolClass = units - 1 < StoragePool.classes ? units - 1 : -1
    let storage: Storage
    if poolClass >= 0, let recycled = StoragePool.take(poolClass) {
      recycled.fields.pointee.count = count
      recycled.fields.pointee.dtype = dtype
      recycled.fields.pointee.version = 0
      storage = recycled
    } else {
      let made = create(minimumCapacity: units) { buffer in
        if isInline {
          // The elements' address is fixed for the object's life: Swift objects never move.
          let base = buffer.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
          return StorageHeader(dtype: dtype, count: count, base: base, sizeClass: inline, poolClass: Int8(poolClass))
        }
        let (base, sizeClass) = BufferCache.allocate(bytes)
        return StorageHeader(dtype: dtype, count: count, base: base, sizeClass: Int32(sizeClass))
      }
      storage = unsafeDowncast(made, to: Storage.self)
    }
    let base = storage.base
    switch dtype {
    case .float32: base.bindMemory(to: Float.self, capacity: count)
    case .float64: base.bindMemory(to: Double.self, capacity: count)
    case .int64: base.bindMemory(to: Int64.self, capacity: count)
    case .bool: base.bindMemory(to: Bool.self, capacity: count)
    }
    if zeroed { base.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.byteSize) }
    return storage
  }

  deinit {
    let fields = self.fields.pointee
    if fields.sizeClass != Self.inline { BufferCache.release(fields.base, sizeClass: Int(fields.sizeClass)) }
  }

  /// The header, read and written through a pointer: the `header` property of `ManagedBuffer`
  /// takes a run-time exclusivity check on every access, and these fields are read on every op.
  @inline(__always)
  private var fields: UnsafeMutablePointer<StorageHeader> { withUnsafeMutablePointerToHeader { $0 } }

  var dtype: DType { fields.pointee.dtype }
  var poolClass: Int { Int(fields.pointee.poolClass) }
  var count: Int { fields.pointee.count }
  var base: UnsafeMutableRawPointer { fields.pointee.base }
  var version: Int {
    get { fields.pointee.version }
    set { fields.pointee.version = newValue }
  }

  /// The buffer as elements of `T`, which must be the dtype's Swift type.
  @inline(__always)
  func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
    base.assumingMemoryBound(to: T.self)
  }
}
