/// A tensor's sizes or strides, held in the value itself up to six axes of 32-bit values.
///
/// A tensor kept its shape and strides as two `[Int]` arrays: every op retained and released
/// them several times (a third of the atomic reference counts of a graph of small ops) and
/// allocated a strides array for results of rank two and more. Six axes cover nearly every
/// tensor, and a list of six 32-bit values is a plain 28-byte value: copying it is copying bytes,
/// with no reference count. (Six `Int` slots made a tensor 96 bytes larger, which showed in a long
/// graph kept in memory.)
///
/// A longer list, or one with a value beyond 32 bits (a tensor of more than 2^31 elements), is
/// interned (`LongDims`): the value holds the address of one shared, immutable copy of it, so no
/// rank or size is refused and the value stays plain. Unused inline slots are always zero, so
/// that two lists compare in one sweep.
struct Dims: RandomAccessCollection, Equatable, CustomStringConvertible {
  /// How many values are held inline.
  static let inlineCapacity = 6

  /// The values, or for a long list the address of its interned copy in the first two slots.
  private var slots: (Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0)
  /// The count of an inline list, or minus the count of an interned one.
  private var header: Int32 = 0

  /// The empty list (a scalar's shape and strides).
  init() {}

  init(_ values: [Int]) {
    self.init(count: values.count) { values[$0] }
  }

  /// `count` values, each `value`.
  init(repeating value: Int, count: Int) {
    self.init(count: count) { _ in value }
  }

  /// `count` values, the `i`th `value(i)`: inline when they fit, interned otherwise.
  @inline(__always)
  private init(count: Int, value: (Int) -> Int) {
    if count <= Self.inlineCapacity {
      var fits = true
      withUnsafeMutableBytes(of: &slots) { slots in
        for i in 0..<count {
          let v = value(i)
          guard let narrow = Int32(exactly: v) else {
            fits = false
            return
          }
          slots.storeBytes(of: narrow, toByteOffset: i &* 4, as: Int32.self)
        }
      }
      if fits {
        header = Int32(count)
        return
      }
      slots = (0, 0, 0, 0, 0, 0)
    }
    let address = Int(bitPattern: LongDims.interned((0..<count).map(value)))
    withUnsafeMutableBytes(of: &slots) { $0.storeBytes(of: address, toByteOffset: 0, as: Int.self) }
    header = -Int32(count)
  }

  var startIndex: Int { 0 }
  var endIndex: Int { count }
  var count: Int { Int(header.magnitude) }

  private var isLong: Bool { header < 0 }
  private var longValues: UnsafePointer<Int> {
    let address = withUnsafeBytes(of: slots) { $0.loadUnaligned(as: Int.self) }
    return UnsafePointer(bitPattern: address).unsafelyUnwrapped
  }

  subscript(_ i: Int) -> Int {
    @inline(__always) get {
      trapUnless(UInt(bitPattern: i) < UInt(bitPattern: count), "Dims: index \(i) out of range for \(count) values")
      if isLong { return longValues[i] }
      return Int(withUnsafeBytes(of: slots) { $0.load(fromByteOffset: i &* 4, as: Int32.self) })
    }
    set {
      trapUnless(UInt(bitPattern: i) < UInt(bitPattern: count), "Dims: index \(i) out of range for \(count) values")
      if !isLong, let narrow = Int32(exactly: newValue) {
        withUnsafeMutableBytes(of: &slots) { $0.storeBytes(of: narrow, toByteOffset: i &* 4, as: Int32.self) }
        return
      }
      var values = array
      values[i] = newValue
      self = Dims(values)
    }
  }

  /// Adds a value at the end.
  mutating func append(_ value: Int) {
    let n = count
    if !isLong && n < Self.inlineCapacity, let narrow = Int32(exactly: value) {
      withUnsafeMutableBytes(of: &slots) { $0.storeBytes(of: narrow, toByteOffset: n &* 4, as: Int32.self) }
      header += 1
      return
    }
    self = Dims(array + [value])
  }

  /// Calls `body` with the values in contiguous memory as `Int`s (the loops below read them this
  /// way, rather than element by element).
  @inline(__always)
  func withValues<R>(_ body: (UnsafeBufferPointer<Int>) -> R) -> R {
    if isLong { return body(UnsafeBufferPointer(start: longValues, count: count)) }
    return withUnsafeTemporaryAllocation(of: Int.self, capacity: Self.inlineCapacity) { wide in
      let n = count
      withUnsafeBytes(of: slots) { narrow in
        for i in 0..<n { wide[i] = Int(narrow.load(fromByteOffset: i &* 4, as: Int32.self)) }
      }
      return body(UnsafeBufferPointer(rebasing: wide[..<n]))
    }
  }

  /// The values as an array (an allocation, unless the list is empty).
  var array: [Int] {
    if count == 0 { return [] }
    return withValues { Array($0) }
  }

  /// The product of the values (1 for the empty list): a shape's element count.
  var product: Int {
    // Up to two axes inline: a tensor's count is read several times on every op.
    @inline(__always) get {
      switch header {
      case 0: return 1
      case 1: return Int(slots.0)
      case 2: return Int(slots.0) &* Int(slots.1)
      default: return productOfMany
      }
    }
  }

  /// `product` for three axes or more (unrolled: a loop over a copy of the slots cost more), and
  /// for interned lists.
  @inline(never)
  private var productOfMany: Int {
    let s = slots
    switch header {
    case 3: return Int(s.0) &* Int(s.1) &* Int(s.2)
    case 4: return Int(s.0) &* Int(s.1) &* Int(s.2) &* Int(s.3)
    case 5: return Int(s.0) &* Int(s.1) &* Int(s.2) &* Int(s.3) &* Int(s.4)
    case 6: return Int(s.0) &* Int(s.1) &* Int(s.2) &* Int(s.3) &* Int(s.4) &* Int(s.5)
    default: return withValues { $0.reduce(1, &*) }
    }
  }

  /// Whether every value is zero (a view that repeats one element).
  var allZero: Bool {
    if isLong { return withValues { $0.allSatisfy { $0 == 0 } } }
    return slots == (0, 0, 0, 0, 0, 0)
  }

  /// Row-major strides for a tensor of this shape, in elements.
  var contiguousStrides: Dims {
    guard let layout = contiguousLayout(elementSize: 1) else {
      trap("Dims: strides of an invalid shape \(self)")
    }
    return layout.strides
  }

  /// The element count and row-major strides of a tensor of this shape, in one pass, or `nil`
  /// when a size is negative or the bytes would overflow `Int` (the rule of `Shape.checkedCount`).
  @inline(__always)
  func contiguousLayout(elementSize: Int) -> (count: Int, strides: Dims)? {
    // Scalars and vectors, most of the results of small ops, inline and without the loop: every
    // new tensor asks for its layout, and the call was a twentieth of a graph of scalar ops.
    switch header {
    case 0:
      return (1, Dims())
    case 1:
      let size = Int(slots.0)
      guard size >= 0, !size.multipliedReportingOverflow(by: elementSize).overflow else { return nil }
      var strides = Dims()
      (strides.slots.0, strides.header) = (1, 1)
      return (size, strides)
    default:
      return generalContiguousLayout(elementSize: elementSize)
    }
  }

  /// `contiguousLayout` for two axes or more, and for interned lists.
  @inline(never)
  private func generalContiguousLayout(elementSize: Int) -> (count: Int, strides: Dims)? {
    if isLong { return longContiguousLayout(elementSize: elementSize) }
    // The sizes are overwritten by the strides from the last axis back, each read just before.
    // Each stride is a product of sizes no larger than the count: a count beyond 32 bits takes
    // the long path, which also finds the counts that overflow.
    var strides = self
    var elements = 1
    var isEmpty = false
    let n = count
    let fits = withUnsafeMutableBytes(of: &strides.slots) { raw -> Bool in
      var step = 1
      var i = n - 1
      while i >= 0 {
        let size = Int(raw.load(fromByteOffset: i &* 4, as: Int32.self))
        guard size >= 0, let narrow = Int32(exactly: step) else { return false }
        raw.storeBytes(of: narrow, toByteOffset: i &* 4, as: Int32.self)
        // Zero sizes count as one in the count here, since the strides still multiply the others.
        if size == 0 {
          isEmpty = true
        } else {
          let (product, overflow) = elements.multipliedReportingOverflow(by: size)
          guard !overflow, Int32(exactly: product) != nil else { return false }
          elements = product
        }
        step &*= size
        i -= 1
      }
      return true
    }
    guard fits else { return longContiguousLayout(elementSize: elementSize) }
    guard !elements.multipliedReportingOverflow(by: elementSize).overflow else { return nil }
    return (isEmpty ? 0 : elements, strides)
  }

  /// `contiguousLayout` for a long list, or one whose count or strides do not fit 32 bits.
  private func longContiguousLayout(elementSize: Int) -> (count: Int, strides: Dims)? {
    let sizes = array
    guard let n = Shape.checkedCount(sizes, elementSize: elementSize) else { return nil }
    return (n, Dims(Shape.contiguousStrides(sizes)))
  }

  static func == (a: Dims, b: Dims) -> Bool {
    // Interned lists are equal exactly when their addresses are.
    a.header == b.header && a.slots == b.slots
  }

  static func == (a: Dims, b: [Int]) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<b.count where a[i] != b[i] { return false }
    return true
  }

  var description: String { array.description }
}

/// The lists of more than six sizes or strides, or with a value beyond 32 bits: one immutable copy
/// of each distinct list, kept for the life of the process. Such tensors are rare, and a shared
/// copy keeps `Dims` a plain value. The lock is `Locked`'s, not a `Mutex` (ThreadSanitizer does
/// not see a `Mutex`'s synchronization: see `Locked`).
private enum LongDims {
  private static let table = Locked<[[Int]: UnsafeMutablePointer<Int>]>([:])

  static func interned(_ values: [Int]) -> UnsafePointer<Int> {
    table.withLock { table in
      if let known = table[values] { return UnsafePointer(known) }
      let copy = UnsafeMutablePointer<Int>.allocate(capacity: values.count)
      copy.initialize(from: values, count: values.count)
      table[values] = copy
      return UnsafePointer(copy)
    }
  }
}
