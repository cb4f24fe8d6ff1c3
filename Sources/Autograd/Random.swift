import CAutogradKernels

/// A seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same numbers on every platform: the generator and the conversions to
/// floats and normals use only integer and correctly rounded IEEE arithmetic (no libm calls).
public struct RandomGenerator: RandomNumberGenerator, Sendable {
  private var s0, s1, s2, s3: UInt64

  /// Creates a generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
  }

  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3 << 45 | s3 >> 19
    return result
  }

  /// A uniform double in [0, 1), with 53 random bits.
  public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// A standard normal double, by Marsaglia's polar method.
  public mutating func nextNormal() -> Double {
    let (u, s) = nextPolarPair()
    return Self.normal(u: u, s: s, logOfS: portableLog(s))
  }

  /// Fills `values` with what `nextNormal()` would return, one call after another, to the same
  /// bits: the accepted pairs of a batch are drawn first and their logarithms then computed
  /// together, several lanes at once (a logarithm is most of a normal's cost).
  mutating func fillNormals(_ values: UnsafeMutableBufferPointer<Double>) {
    let batch = 256
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * batch) { scratch in
      let (u, s, logs) = (scratch.baseAddress!, scratch.baseAddress! + batch, scratch.baseAddress! + 2 * batch)
      for start in stride(from: 0, to: values.count, by: batch) {
        let count = Swift.min(batch, values.count - start)
        for i in 0..<count { (u[i], s[i]) = nextPolarPair() }
        ag_portable_log(s, logs, count)
        for i in 0..<count { values[start + i] = Self.normal(u: u[i], s: s[i], logOfS: logs[i]) }
      }
    }
  }

  /// A point (u, v) drawn uniformly in the unit disc (without its centre), as u and s = u² + v².
  private mutating func nextPolarPair() -> (u: Double, s: Double) {
    while true {
      let u = 2 * nextUniform() - 1
      let v = 2 * nextUniform() - 1
      let s = u * u + v * v
      if s > 0 && s < 1 { return (u, s) }
    }
  }

  private static func normal(u: Double, s: Double, logOfS: Double) -> Double {
    u * (-2 * logOfS / s).squareRoot()
  }

  /// An integer in `low..<high`, without modulo bias.
  public mutating func nextInt(in range: Range<Int64>) -> Int64 {
    let span = UInt64(bitPattern: range.upperBound &- range.lowerBound)
    let limit = UInt64.max - UInt64.max % span
    var r = next()
    while r >= limit { r = next() }
    return range.lowerBound &+ Int64(bitPattern: r % span)
  }

  /// The process-wide generator behind `Tensor.rand` and friends when none is passed.
  static let global = Locked(RandomGenerator(seed: 0x5EED))

  /// A new generator seeded from the global one (advancing it): what code that draws many numbers
  /// outside the global lock (layer initialization, data shuffling) starts from, so that
  /// `manualSeed` makes it repeatable.
  public static func split() -> RandomGenerator {
    global.withLock { RandomGenerator(seed: $0.next()) }
  }
}

/// Seeds the generator that `rand`, `randn` and `randint` use when no generator is passed,
/// as `torch.manual_seed`.
public func manualSeed(_ seed: UInt64) {
  RandomGenerator.global.withLock { $0 = RandomGenerator(seed: seed) }
}

/// The natural logarithm of a normal double in (0, 1] from basic arithmetic only
/// (`portable_log.c`), so that normals are the same bits on every platform (libm's `log` may differ
/// in the last place between systems).
func portableLog(_ x: Double) -> Double {
  var (x, y) = (x, 0.0)
  ag_portable_log(&x, &y, 1)
  return y
}
