/// Shape arithmetic shared by all ops: element counts, strides, broadcasting and axis checks.
package enum Shape {
  /// The number of elements of a tensor of this shape (1 for a scalar).
  static func count(_ shape: [Int]) -> Int {
    var n = 1
    for d in shape { n *= d }
    return n
  }

  /// The number of elements of `shape` if it can be a tensor's shape, otherwise `nil`: no size is
  /// negative, and the product of the sizes other than 0, times `elementSize`, fits in `Int`.
  ///
  /// Every tensor that is made, and every shape a file declares, goes through this one check. Sizes
  /// of 0 count as 1 in the product because the row-major strides still multiply them: shape
  /// `[0, 2^62, 2^62]` has no elements, but its first stride would overflow.
  package static func checkedCount(_ shape: [Int], elementSize: Int = 1) -> Int? {
    checkedCount(Dims(shape), elementSize: elementSize)
  }

  static func checkedCount(_ shape: Dims, elementSize: Int = 1) -> Int? {
    shape.withValues { sizes in
      var span = elementSize
      var isEmpty = false
      for d in sizes {
        guard d >= 0 else { return nil }
        if d == 0 {
          isEmpty = true
          continue
        }
        let (product, overflow) = span.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        span = product
      }
      return isEmpty ? 0 : span / elementSize
    }
  }

  /// Row-major strides, in elements.
  static func contiguousStrides(_ shape: [Int]) -> [Int] {
    // Vectors share one array: a fresh one per small op was an eighth of its allocations.
    if shape.count == 1 { return unitStride }
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i] = step
      step *= shape[i]
    }
    return strides
  }

  /// Whether a view with these shape and strides walks its elements in row-major order without gaps.
  @inline(never)
  static func isContiguous(_ shape: Dims, _ strides: Dims) -> Bool {
    shape.withValues { shape in
      strides.withValues { strides in
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
          if strides[i] != expected { return false }
          expected &*= shape[i]
        }
        return true
      }
    }
  }

  private static let unitStride = [1]

  /// The shape two shapes broadcast to, by NumPy's rules (align on the right; 1 stretches).
  static func broadcast(_ a: [Int], _ b: [Int], op: StaticString) -> [Int] {
    if a == b || stretches(b, to: a) { return a }
    if stretches(a, to: b) { return b }
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
      let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      trapUnless(
        da == db || da == 1 || db == 1,
        "\(op): shapes \(a) and \(b) cannot be broadcast together")
      out[i] = da == 1 ? db : da
    }
    return out
  }

  /// Whether `shape` broadcasts to `target` unchanged (the common case needs no new array).
  private static func stretches(_ shape: [Int], to target: [Int]) -> Bool {
    guard shape.count <= target.count else { return false }
    let lead = target.count - shape.count
    for i in 0..<shape.count where shape[i] != 1 && shape[i] != target[lead + i] { return false }
    return true
  }

  /// Strides that read a tensor of `shape`/`strides` as if expanded to `target` (0 where it repeats).
  static func broadcastStrides(_ shape: Dims, _ strides: Dims, to target: Dims) -> Dims {
    if shape == target { return strides }
    let lead = target.count - shape.count
    var out = Dims(repeating: 0, count: target.count)
    for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
      out[lead + i] = strides[i]
    }
    return out
  }

  /// `broadcastStrides` on arrays.
  static func broadcastStrides(_ shape: [Int], _ strides: [Int], to target: [Int]) -> [Int] {
    let lead = target.count - shape.count
    var out = [Int](repeating: 0, count: target.count)
    for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
      out[lead + i] = strides[i]
    }
    return out
  }

  /// Turns a possibly negative axis into an index in `0..<rank`, trapping with the op's name.
  static func axis(_ axis: Int, rank: Int, op: StaticString) -> Int {
    let a = axis < 0 ? axis + rank : axis
    trapUnless(a >= 0 && a < max(rank, 1), "\(op): axis \(axis) is out of range for rank \(rank)")
    return a
  }
}
