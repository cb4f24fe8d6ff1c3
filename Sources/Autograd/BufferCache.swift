/// Freed storage buffers of 16 KiB and more kept for reuse, by size class (four per power of two).
///
/// Measured on the workloads: malloc and free take about a third of the time of small-op graphs,
/// and each fresh multi-megabyte buffer costs a page fault per 4 KiB on first touch. Reusing a
/// buffer of the same class avoids both. The cache is bounded (per class and in total), so memory
/// held back stays small next to what a workload uses; `TensorMemory` lets a user lower the bound
/// or empty the cache when a phase of work is over.
enum BufferCache {
  /// Cached buffers are 64-byte aligned and at least 64 bytes. Each power of two from 64 bytes is
  /// split into four classes (64, 80, 96, 112, 128, 160, ... bytes), so a buffer wastes at most a
  /// quarter of its size: with power-of-two classes a 40 MB tensor took a 64 MiB class, and the cap
  /// held too few of them for W6.
  static let classes = 160
  /// Below this, malloc is faster than the cache's lock and page faults do not arise.
  static let smallest = 16 << 10
  static let maxPerClass = 32
  /// The default bound on the bytes cached in all classes together.
  static let defaultLimit = 512 << 20

  /// A cached buffer. Sound to send: a cached buffer belongs to no tensor until it is handed out again.
  private struct Buffer: @unchecked Sendable { let pointer: UnsafeMutableRawPointer }

  private struct State {
    var free: [[Buffer]] = Array(repeating: [], count: BufferCache.classes)
    var bytes = 0
    var limit = BufferCache.defaultLimit

    /// Takes buffers out, smallest classes first (the fewest bytes given up for the room needed),
    /// sparing class `spared`, until at most `target` bytes stay cached. Returns them to be freed
    /// outside the lock.
    mutating func evict(downTo target: Int, sparing spared: Int = -1) -> [Buffer] {
      var evicted: [Buffer] = []
      var index = 0
      while bytes > target && index < BufferCache.classes {
        if index != spared, let victim = free[index].popLast() {
          evicted.append(victim)
          bytes -= BufferCache.classBytes(index)
        } else {
          index += 1
        }
      }
      return evicted
    }
  }

  private static let state = Locked(State())

  /// The size class and its byte size for a request of `byteCount` bytes.
  static func sizeClass(_ byteCount: Int) -> (index: Int, bytes: Int) {
    var base = 64
    var index = 0
    while base * 2 < byteCount {
      base <<= 1
      index += 4
    }
    guard byteCount > base else { return (index, base) }
    let step = base / 4
    let quarters = (byteCount - base + step - 1) / step
    return (index + quarters, base + quarters * step)
  }

  /// The byte size of class `index`.
  static func classBytes(_ index: Int) -> Int {
    let base = 64 << (index / 4)
    return base + (index % 4) * (base / 4)
  }

  /// A buffer of at least `byteCount` bytes, reused when one is cached.
  static func allocate(_ byteCount: Int) -> (pointer: UnsafeMutableRawPointer, sizeClass: Int) {
    // Small buffers take malloc's own 16-byte alignment: asking glibc for 64 makes it split a
    // larger chunk and free the rest, and that fragmentation cost a third of a small-op graph's time.
    guard byteCount >= smallest else { return (.allocate(byteCount: byteCount, alignment: 16), -1) }
    let (index, bytes) = sizeClass(byteCount)
    guard index < classes else { return (.allocate(byteCount: byteCount, alignment: 64), -1) }
    let cached = state.withLock { s -> Buffer? in
      guard let buffer = s.free[index].popLast() else { return nil }
      s.bytes -= bytes
      return buffer
    }
    return (cached?.pointer ?? .allocate(byteCount: bytes, alignment: 64), index)
  }

  /// The bytes held by cached buffers (for tests).
  static var cachedBytes: Int { state.withLock { $0.bytes } }

  /// How many buffers of a class are cached (for tests).
  static func cachedCount(sizeClass index: Int) -> Int { state.withLock { $0.free[index].count } }

  /// Returns a buffer to the cache, or frees it when its class is full. When the cache would grow
  /// past its limit, buffers of other classes are freed to make room: what a workload releases now
  /// is what it will ask for next, not what an earlier one left behind.
  static func release(_ pointer: UnsafeMutableRawPointer, sizeClass index: Int) {
    guard index >= 0 else { return pointer.deallocate() }
    let bytes = classBytes(index)
    let buffer = Buffer(pointer: pointer)
    let (kept, evicted) = state.withLock { s -> (Bool, [Buffer]) in
      guard s.free[index].count < maxPerClass, bytes <= s.limit else { return (false, []) }
      let evicted = s.evict(downTo: s.limit - bytes, sparing: index)
      guard s.bytes + bytes <= s.limit else { return (false, evicted) }
      s.free[index].append(buffer)
      s.bytes += bytes
      return (true, evicted)
    }
    for victim in evicted { victim.pointer.deallocate() }
    if !kept { pointer.deallocate() }
  }

  /// The bound on the cached bytes. Lowering it frees what no longer fits at once.
  static var limit: Int {
    get { state.withLock { $0.limit } }
    set {
      let evicted = state.withLock { s -> [Buffer] in
        s.limit = Swift.max(newValue, 0)
        return s.evict(downTo: s.limit)
      }
      for victim in evicted { victim.pointer.deallocate() }
    }
  }

  /// Frees every cached buffer.
  static func empty() {
    let evicted = state.withLock { $0.evict(downTo: 0) }
    for victim in evicted { victim.pointer.deallocate() }
  }
}
