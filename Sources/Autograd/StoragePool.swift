import CAutogradKernels

/// Small storages kept for reuse, per thread: a tensor that dies as the only holder of a storage
/// of at most `classes` eight-byte units gives it to its thread's pool, and the next small tensor
/// of the same size takes it instead of a fresh allocation.
///
/// A graph of scalar ops makes and frees one storage per op and per gradient (the lecture's loop
/// fourteen per step); reusing them spares each a malloc and a free and Swift's object setup and
/// teardown. The pool is a few stacks of at most 16 storages each (C, `storage_pool.c`): a thread
/// keeps at most about 10 KB, and a thread that exits releases what its pool held.
enum StoragePool {
  /// Storages of 1 to `classes` units are recycled.
  static let classes = Int(AG_STORAGE_POOL_CLASSES)

  /// A storage of `poolClass` from this thread's pool, or nil when it has none.
  @inline(__always)
  static func take(_ poolClass: Int) -> Storage? {
    guard let pointer = ag_storage_pool_take(poolClass) else { return nil }
    return Unmanaged<Storage>.fromOpaque(pointer).takeRetainedValue()
  }

  /// Gives `storage` to this thread's pool when nothing else holds it and it is small; releases it
  /// otherwise.
  @inline(__always)
  static func recycle(_ storage: consuming Storage) {
    let poolClass = storage.poolClass
    guard poolClass >= 0 && isKnownUniquelyReferenced(&storage) else { return }
    // The caller's reference becomes the pool's.
    let object = Unmanaged.passRetained(consume storage)
    if !ag_storage_pool_give(poolClass, object.toOpaque(), releasePooledObject) { object.release() }
  }

  /// Releases every storage this thread's pool holds: for code that watches a storage's lifetime
  /// (a weak reference that must become nil once its tensors are gone).
  static func releaseAll() {
    for poolClass in 0..<classes {
      while take(poolClass) != nil {}
    }
  }
}

/// The C pools' one release function (storages, nodes, the ready list): gives back the reference
/// to a Swift object that a pool held when its thread exits or the pool is emptied. A function
/// rather than a closure at each call, so that every pool passes the same one.
func releasePooledObject(_ object: UnsafeMutableRawPointer?) {
  Unmanaged<AnyObject>.fromOpaque(object!).release()
}
