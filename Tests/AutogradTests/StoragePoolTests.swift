import Foundation
import Testing

@testable import Autograd

/// Each test runs on one thread from start to end (no suspension point), so the pool it sees is
/// its own thread's.
@Suite("Storage pool") struct StoragePoolTests {
  private static func identity(of storage: Storage) -> ObjectIdentifier { ObjectIdentifier(storage) }

  @Test func aSmallStorageOnlyADyingTensorHeldIsReusedWithItsNewSizeAndDtype() {
    var first: Tensor? = Tensor([1.0, 2.0], dtype: .float64)
    first!.storage.version = 7
    let recycled = Self.identity(of: first!.storage)
    first = nil
    // Held by the pool now (malloc might hand the same address out again; the pool's stack shows
    // what it kept), in class 1: two 8-byte units.
    let kept = StoragePool.take(1)
    #expect(kept.map(Self.identity) == recycled)
    var second: Tensor? = Tensor([1.0, 2.0], dtype: .float64)
    second!.storage.version = 7
    let reused = Self.identity(of: second!.storage)
    second = nil
    // 16 bytes either way: two float64s, then four float32s.
    let next = Tensor([5, 6, 7, 8], dtype: .float32)
    #expect(Self.identity(of: next.storage) == reused)
    #expect(next.dtype == .float32 && next.storage.count == 4 && next.storage.version == 0)
    #expect(next.scalars(as: Float.self) == [5, 6, 7, 8])
    let zeros = Tensor.zeros([3], dtype: .int64)
    #expect(zeros.scalars(as: Int64.self) == [0, 0, 0])
  }

  @Test func aStorageAViewStillHoldsIsNotReused() {
    var base: Tensor? = Tensor([1.0, 2.0, 3.0, 4.0], dtype: .float64)
    let view = base![1...]
    let shared = Self.identity(of: view.storage)
    base = nil
    let fresh = (0..<20).map { Tensor([Double($0), 0, 0, 0], dtype: .float64) }
    #expect(fresh.allSatisfy { Self.identity(of: $0.storage) != shared })
    #expect(view.scalars(as: Double.self) == [2, 3, 4])
  }

  @Test func assigningDataRecyclesTheValuesItReplaces() {
    let w = Tensor([1.0], dtype: .float64, requiresGrad: true)
    let replaced = Self.identity(of: w.storage)
    w.data = Tensor([0.5], dtype: .float64)
    #expect(w.item() == 0.5 && w.requiresGrad)
    #expect(StoragePool.take(0).map(Self.identity) == replaced)
  }

  @Test func storagesOfUpTo64BytesAreKept() {
    #expect(Tensor.zeros([16], dtype: .float32).storage.poolClass == 7)
    #expect(Tensor.zeros([17], dtype: .float32).storage.poolClass == -1)
    #expect(Tensor.zeros([3], dtype: .bool).storage.poolClass == 0)
    #expect(Tensor.zeros([0], dtype: .float64).storage.poolClass == 0)
  }

  /// A thread's pool releases what it held when the thread exits.
  @Test func aThreadThatExitsReleasesItsPool() async throws {
    final class Watch: @unchecked Sendable { weak var storage: Storage? }
    let watch = Watch()
    let done = DispatchSemaphore(value: 0)
    Thread {
      var tensor: Tensor? = Tensor([3.0], dtype: .float64)
      watch.storage = tensor!.storage
      tensor = nil
      done.signal()
    }.start()
    done.wait()
    // The thread's pool held it past the tensor; the thread's exit (just after the signal) frees it.
    let deadline = Date().addingTimeInterval(10)
    while watch.storage != nil && Date() < deadline { try await Task.sleep(for: .milliseconds(1)) }
    #expect(watch.storage == nil)
  }
}
