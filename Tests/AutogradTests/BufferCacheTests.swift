import Foundation
import Testing

@testable import Autograd

/// Other tests run in parallel and share the cache, so these check what holds whatever they do.
@Suite("Buffer cache") struct BufferCacheTests {
  @Test func sizeClassesAreQuartersOfPowersOfTwoFrom64Bytes() {
    #expect(BufferCache.sizeClass(1) == (0, 64))
    #expect(BufferCache.sizeClass(64) == (0, 64))
    #expect(BufferCache.sizeClass(65) == (1, 80))
    #expect(BufferCache.sizeClass(112) == (3, 112))
    #expect(BufferCache.sizeClass(113) == (4, 128))
    #expect(BufferCache.sizeClass(40_000_000) == (77, 40 << 20))
    for request in [1, 64, 100, 16_384, 30_000, 1 << 20, 40_000_000, (1 << 30) + 1] {
      let (index, bytes) = BufferCache.sizeClass(request)
      #expect(bytes >= request && BufferCache.classBytes(index) == bytes)
      #expect(request <= 64 || BufferCache.classBytes(index - 1) < request, "the smallest class that fits")
    }
  }

  @Test func smallStoragesHoldTheirElementsInlineAndLargeOnesUseTheCache() {
    // Element counts around the 16 KiB line, in each dtype's bytes.
    for dtype in [DType.float32, .float64, .int64, .bool] {
      let limit = BufferCache.smallest / dtype.byteSize
      for count in [0, 1, 3, limit - 1, limit, limit + 1] {
        let storage = Storage.make(dtype: dtype, count: count, zeroed: true)
        let bytes = storage.base.assumingMemoryBound(to: UInt8.self)
        #expect(Int(bitPattern: storage.base) % 8 == 0, "\(dtype) x \(count) is aligned for any element type")
        #expect((0..<count * dtype.byteSize).allSatisfy { bytes[$0] == 0 }, "\(dtype) x \(count) is zeroed")
        let isInline = count * dtype.byteSize < BufferCache.smallest
        let address = Int(bitPattern: storage.base)
        let object = Int(bitPattern: Unmanaged.passUnretained(storage).toOpaque())
        #expect((address > object && address < object + 128) == isInline, "\(dtype) x \(count)")
      }
    }
    let t = Tensor((0..<1000).map(Double.init), dtype: .float64)
    #expect(t.storage.count == 1000 && t.scalars(as: Double.self).last == 999)
  }

  @Test func aReleasedBufferIsHandedOutAgainForTheSameClass() {
    // The 96 MiB class, which no other test uses (never touched, so it costs no memory).
    let (p, c) = BufferCache.allocate(100_000_000)
    BufferCache.release(p, sizeClass: c)
    let (q, d) = BufferCache.allocate(90_000_000)
    #expect(d == c)
    #expect(q == p)
    BufferCache.release(q, sizeClass: d)
  }

  @Test func theCacheIsBoundedPerClass() {
    let index = BufferCache.sizeClass(30_000).index
    let buffers = (0..<(BufferCache.maxPerClass + 10)).map { _ in BufferCache.allocate(30_000) }
    for (p, c) in buffers { BufferCache.release(p, sizeClass: c) }
    #expect(BufferCache.cachedCount(sizeClass: index) <= BufferCache.maxPerClass)
  }

  /// In a child process, where no other test releases buffers meanwhile.
  @Test func aFullCacheMakesRoomForWhatIsReleasedNow() async {
    await #expect(processExitsWith: .success) {
      // Four buffers of 128 MiB fill the cache (never touched, so they cost no memory).
      let large = (0..<4).map { _ in BufferCache.allocate(128 << 20) }
      for (p, c) in large { BufferCache.release(p, sizeClass: c) }
      guard BufferCache.cachedCount(sizeClass: large[0].sizeClass) == 4 else { exit(1) }
      let (p, c) = BufferCache.allocate(40 << 20)
      BufferCache.release(p, sizeClass: c)
      // One 128 MiB buffer made room for the 40 MiB one, which is handed out again.
      guard BufferCache.cachedCount(sizeClass: large[0].sizeClass) == 3, BufferCache.cachedCount(sizeClass: c) == 1,
        BufferCache.cachedBytes == 3 * (128 << 20) + BufferCache.classBytes(c),
        BufferCache.allocate(40 << 20).pointer == p
      else { exit(2) }
    }
  }

  @Test func smallBuffersBypassTheCache() {
    let (p, c) = BufferCache.allocate(1000)
    #expect(c == -1)
    BufferCache.release(p, sizeClass: c)
  }

  @Test func tensorsReuseBuffersAndStayCorrect() {
    for round in 0..<5 {
      let a = Tensor.full([10_000], value: Double(round))
      let b = Tensor.zeros([10_000])
      #expect(b.scalars(as: Float.self).allSatisfy { $0 == 0 }, "a zeroed tensor is zero even in a reused buffer")
      #expect(a.sum().item() == Double(10_000 * round))
    }
  }

  /// In a child process, where no other test fills or empties the cache meanwhile.
  @Test func emptyingTheCacheGivesItsMemoryBackToTheSystem() async {
    await #expect(processExitsWith: .success) {
      // Sixteen 4 MiB tensors, written so that their pages are resident, then freed into the cache.
      do {
        let tensors = (0..<16).map { Tensor.full([1 << 20], value: Double($0)) }
        guard tensors.allSatisfy({ $0.count == 1 << 20 }) else { exit(1) }
      }
      guard TensorMemory.cachedBytes >= 16 << 22 else { exit(2) }
      let resident = residentBytes()
      TensorMemory.emptyCache()
      guard TensorMemory.cachedBytes == 0 else { exit(3) }
      #if os(Linux)
        // At least three quarters of the 64 MiB leave the process. (AddressSanitizer's allocator keeps
        // freed memory in quarantine whatever the program does, so only the system's is measured.)
        if dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") == nil {
          guard let before = resident, let after = residentBytes(), before - after >= 48 << 20 else { exit(4) }
        }
      #endif
    }
  }

  @Test func loweringTheLimitFreesWhatNoLongerFits() async {
    await #expect(processExitsWith: .success) {
      do { _ = (0..<8).map { _ in Tensor.zeros([1 << 20]) } }
      guard TensorMemory.cachedBytes == 8 << 22 else { exit(1) }
      TensorMemory.cacheLimit = 10 << 20
      guard TensorMemory.cachedBytes <= 10 << 20, TensorMemory.cacheLimit == 10 << 20 else { exit(2) }
      TensorMemory.cacheLimit = 0
      guard TensorMemory.cachedBytes == 0 else { exit(3) }
      do { _ = Tensor.zeros([1 << 20]) }
      guard TensorMemory.cachedBytes == 0 else { exit(4) }
    }
  }
}

/// The process's resident bytes, read from /proc (Linux only).
private func residentBytes() -> Int? {
  guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
    let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
  else { return nil }
  return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
