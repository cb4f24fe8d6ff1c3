/// A list that keeps its first two elements inline and only allocates for a third.
///
/// A node's inputs, its saved values and the gradients its rule returns are almost always one or
/// two tensors; as arrays they were three heap allocations per recorded op, about a quarter of
/// the allocations of a graph of scalar ops.
struct SmallList<Element>: RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral {
  private var first: Element?
  private var second: Element?
  private var rest: [Element] = []
  private(set) var count = 0

  init() {}

  @inline(__always)
  init(arrayLiteral elements: Element...) {
    self.init(elements)
  }

  @inline(__always)
  init<S: Sequence>(_ elements: S) where S.Element == Element {
    for element in elements { append(element) }
  }

  // One and two elements without the array that a literal builds first (and then destroys,
  // retaining and releasing every element once more).
  @inline(__always)
  init(_ first: Element) {
    self.first = first
    count = 1
  }

  @inline(__always)
  init(_ first: Element, _ second: Element) {
    self.first = first
    self.second = second
    count = 2
  }

  var startIndex: Int { 0 }
  var endIndex: Int { count }
  var isEmpty: Bool { count == 0 }

  subscript(_ i: Int) -> Element {
    get {
      precondition(i >= 0 && i < count, "SmallList: index \(i) is out of range 0..<\(count)")
      switch i {
      case 0: return first.unsafelyUnwrapped
      case 1: return second.unsafelyUnwrapped
      default: return rest[i - 2]
      }
    }
    set {
      precondition(i >= 0 && i < count, "SmallList: index \(i) is out of range 0..<\(count)")
      switch i {
      case 0: first = newValue
      case 1: second = newValue
      default: rest[i - 2] = newValue
      }
    }
  }

  mutating func append(_ element: Element) {
    switch count {
    case 0: first = element
    case 1: second = element
    default: rest.append(element)
    }
    count += 1
  }

  /// Puts `element` at position `i` and returns what was there, moved rather than copied (so that
  /// the caller may hold the only reference to it).
  mutating func exchange(at i: Int, with element: Element) -> Element {
    precondition(i >= 0 && i < count, "SmallList: index \(i) is out of range 0..<\(count)")
    switch i {
    case 0:
      defer { first = element }
      return first.take().unsafelyUnwrapped
    case 1:
      defer { second = element }
      return second.take().unsafelyUnwrapped
    default:
      var old = element
      swap(&old, &rest[i - 2])
      return old
    }
  }

  /// Empties the list, releasing its elements.
  mutating func removeAll() { self = SmallList() }

  /// Returns the list and leaves this one empty, moving the elements rather than copying them.
  mutating func take() -> SmallList {
    let taken = self
    self = SmallList()
    return taken
  }

  /// Moves the elements to the end of `array` and empties the list, without copying them.
  mutating func moveAll(into array: inout [Element]) {
    if let element = first.take() { array.append(element) }
    if let element = second.take() { array.append(element) }
    if !rest.isEmpty {
      array.append(contentsOf: rest)
      rest = []
    }
    count = 0
  }

  /// The positions of the elements that satisfy `predicate`, as bits (the list must be no longer
  /// than 64). An index loop: iterating the list would copy it, retaining every element.
  func bits(where predicate: (Element) -> Bool) -> UInt64 {
    var bits: UInt64 = 0
    for i in 0..<count where predicate(self[i]) { bits |= 1 << UInt64(i) }
    return bits
  }
}
