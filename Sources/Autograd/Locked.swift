import Foundation

/// A value that threads share, accessed under a lock: the process-wide buffer cache and random
/// generator.
///
/// Why not `Synchronization.Mutex`: on Linux it locks with futexes inside the Swift runtime, which
/// ThreadSanitizer does not instrument, so it reported every access made under the lock as a race
/// (three such reports on the buffer cache). A pthread mutex, which `NSLock` is, is one that
/// ThreadSanitizer understands, and it costs the same when uncontended.
final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  init(_ value: Value) { self.value = value }

  /// Runs `body` with exclusive access to the value.
  func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
