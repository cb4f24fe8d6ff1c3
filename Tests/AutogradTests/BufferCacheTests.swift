import Testing
@testable import Autograd

/// Other tests run in parallel and share the cache, so these check what holds whatever they do;
/// they run one at a time among themselves, as two of them use the same large classes.
@Suite("Buffer cache", .serialized) struct BufferCacheTests {
  @Test func sizeClassesArePowersOfTwoFrom64Bytes() {
    #expect(BufferCache.sizeClass(1) == (0, 64))
    #expect(BufferCache.sizeClass(64) == (0, 64))
    #expect(BufferCache.sizeClass(65) == (1, 128))
    #expect(BufferCache.sizeClass(40_000_000) == (20, 64 << 20))
  }

  @Test func aReleasedBufferIsHandedOutAgainForTheSameClass() {
    // The 128 MiB class, which no other test uses (never touched, so it costs no memory).
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

  @Test func aFullCacheMakesRoomForWhatIsReleasedNow() {
    // Classes of 256 MiB and 64 MiB: no other test uses them (never touched: no memory is used).
    let large = (0..<2).map { _ in BufferCache.allocate(200 << 20) }
    for (p, c) in large { BufferCache.release(p, sizeClass: c) }
    let (p, c) = BufferCache.allocate(40 << 20)
    BufferCache.release(p, sizeClass: c)
    #expect(BufferCache.cachedCount(sizeClass: c) >= 1)
    #expect(BufferCache.cachedBytes <= BufferCache.maxBytes)
    #expect(BufferCache.cachedCount(sizeClass: large[0].sizeClass) < 2)
  }

  @Test func smallBuffersBypassTheCache() {
    let (p, c) = BufferCache.allocate(1000)
    #expect(c == -1)
    BufferCache.release(p, sizeClass: c)
  }

  @Test func tensorsReuseBuffersAndStayCorrect() {
    for round in 0..<5 {
      let a = Tensor.full([10_000], value: Double(round)), b = Tensor.zeros([10_000])
      #expect(b.scalars(as: Float.self).allSatisfy { $0 == 0 }, "a zeroed tensor is zero even in a reused buffer")
      #expect(a.sum().item() == Double(10_000 * round))
    }
  }
}
