/// One entry of a subscript: an index (removes the axis), a range with an optional step, every
/// element of an axis (`.all`, PyTorch's `:`), a new axis of size 1 (`.newAxis`, PyTorch's
/// `None`), or as many `.all` as needed (`.ellipsis`, PyTorch's `...`).
///
/// In a subscript, write the short forms: `t[.all, ..<64]` is PyTorch's `t[:, :64]`.
public enum TensorIndex: Sendable, Equatable {
  case index(Int)
  case range(start: Int?, end: Int?, step: Int)
  /// Every element of the axis: `.all` in a subscript.
  case wholeAxis
  /// A new axis of size 1: `.newAxis` in a subscript.
  case insertedAxis
  /// As many whole axes as the other entries leave: `.ellipsis` in a subscript.
  case remainingAxes
}

/// A type that can stand in a tensor subscript: `Int`, ranges, `stride(from:to:by:)`, `TensorIndex`.
public protocol TensorIndexConvertible {
  var tensorIndex: TensorIndex { get }
}

// The short forms, found where a subscript expects any `TensorIndexConvertible` (so that `.all`
// needs no type name beside an integer or a range). They cannot be the enum's case names: a case
// and a static member of the same name would be ambiguous.
extension TensorIndexConvertible where Self == TensorIndex {
  /// Every element of an axis, PyTorch's `:`.
  public static var all: TensorIndex { .wholeAxis }
  /// A new axis of size 1, PyTorch's `None`.
  public static var newAxis: TensorIndex { .insertedAxis }
  /// As many `.all` as the other entries leave, PyTorch's `...`.
  public static var ellipsis: TensorIndex { .remainingAxes }
}

extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { .index(self) } }
extension Range: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .range(start: lowerBound, end: upperBound, step: 1) }
}
extension ClosedRange: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .range(start: lowerBound, end: upperBound + 1, step: 1) }
}
extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .range(start: lowerBound, end: nil, step: 1) }
}
extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .range(start: nil, end: upperBound, step: 1) }
}
extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .range(start: nil, end: upperBound + 1, step: 1) }
}
extension StrideTo: TensorIndexConvertible where Element == Int {
  public var tensorIndex: TensorIndex {
    // StrideTo hides its bounds; read them from its first element and a mirror-free walk.
    let values = Array(self)
    guard let first = values.first else { return .range(start: 0, end: 0, step: 1) }
    let step = values.count > 1 ? values[1] - first : 1
    return .range(start: first, end: values.last! + 1, step: Swift.max(step, 1))
  }
}

/// Where a slice lies in its source: per source axis, the first index, the step, the length,
/// and whether the axis stays (a range) or goes (an integer index); plus new axes to insert.
struct SliceSpec: Sendable {
  var starts: [Int] = [], steps: [Int] = [], lengths: [Int] = [], keeps: [Bool] = []
  /// Positions, in the result, of inserted axes of size 1.
  var newAxes: [Int] = []

  /// The view of a tensor laid out with `strides` and `offset` that this slice selects.
  func view(storage: Storage, strides: [Int], offset: Int) -> Tensor {
    var shape: [Int] = []
    var newStrides: [Int] = []
    var offset = offset
    for axis in starts.indices {
      offset += starts[axis] * strides[axis]
      if keeps[axis] {
        shape.append(lengths[axis])
        newStrides.append(steps[axis] * strides[axis])
      }
    }
    for position in newAxes {
      shape.insert(1, at: position)
      newStrides.insert(0, at: position)
    }
    return Tensor(storage: storage, shape: shape, strides: newStrides, offset: offset)
  }
}

extension Tensor {
  /// Selects elements as NumPy and PyTorch do: `x[0]`, `x[1..<3]`, `x[.all, 2]` (`x[:, 2]`),
  /// `x[.all, ..<64]` (`x[:, :64]`), `x[stride(from: 0, to: 10, by: 2)]`, `x[.ellipsis, 0]`,
  /// `x[.newAxis]`. Negative indices count from the end. The result is a view.
  ///
  /// Backward: the gradient is written into zeros of `self`'s shape at the selected places.
  public subscript<each Index: TensorIndexConvertible>(_ indices: repeat each Index) -> Tensor {
    var entries: [TensorIndex] = []
    for index in repeat each indices { entries.append(index.tensorIndex) }
    return self[entries]
  }

  /// Selects elements by a list of entries made at run time; see the variadic subscript.
  public subscript(_ entries: [TensorIndex]) -> Tensor {
    sliced(sliceSpec(entries))
  }

  /// Elements `start..<start+length` along `axis`. A view.
  public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
    let axis = Shape.axis(axis, rank: rank, op: "narrow")
    var entries = [TensorIndex](repeating: .wholeAxis, count: rank)
    entries[axis] = .range(start: start, end: start + length, step: 1)
    return sliced(sliceSpec(entries))
  }

  private func sliceSpec(_ entries: [TensorIndex]) -> SliceSpec {
    var spec = SliceSpec()
    let explicit = entries.filter {
      if case .insertedAxis = $0 { false } else if case .remainingAxes = $0 { false } else { true }
    }.count
    trapUnless(
      entries.filter { if case .remainingAxes = $0 { true } else { false } }.count <= 1,
      "subscript: at most one ellipsis")
    trapUnless(explicit <= rank, "subscript: \(explicit) indices for a tensor of shape \(shape)")
    var axis = 0
    var resultAxes = 0
    func keepAll() {
      spec.starts.append(0)
      spec.steps.append(1)
      spec.lengths.append(shapeDims[axis])
      spec.keeps.append(true)
      axis += 1
      resultAxes += 1
    }
    for entry in entries {
      switch entry {
      case .index(let i):
        let j = i < 0 ? i + shapeDims[axis] : i
        trapUnless(
          j >= 0 && j < shapeDims[axis],
          "subscript: index \(i) is out of range for axis \(axis) of size \(shapeDims[axis]) (shape \(shape))")
        spec.starts.append(j)
        spec.steps.append(1)
        spec.lengths.append(1)
        spec.keeps.append(false)
        axis += 1
      case .range(let start, let end, let step):
        trapUnless(step > 0, "subscript: step must be positive, got \(step)")
        let size = shapeDims[axis]
        func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + size : v, 0), size) }
        let lo = clamp(start ?? 0)
        let hi = Swift.max(clamp(end ?? size), lo)
        spec.starts.append(lo)
        spec.steps.append(step)
        spec.lengths.append((hi - lo + step - 1) / step)
        spec.keeps.append(true)
        axis += 1
        resultAxes += 1
      case .wholeAxis:
        keepAll()
      case .insertedAxis:
        spec.newAxes.append(resultAxes)
        resultAxes += 1
      case .remainingAxes:
        for _ in 0..<(rank - explicit) { keepAll() }
      }
    }
    while axis < rank { keepAll() }
    return spec
  }

  /// The view `spec` selects, recorded so the gradient goes back to the selected places.
  func sliced(_ spec: SliceSpec) -> Tensor {
    spec.view(storage: storage, strides: strides, offset: offset)
      .recorded("SliceBackward", input: self) { [shape] g, _, _ in
        GradientList(g.scattered(into: shape, spec))
      }
  }

  /// Zeros of `shape` with `self` written where `spec` selects: the inverse of `sliced`.
  func scattered(into shape: [Int], _ spec: SliceSpec) -> Tensor {
    let out = Tensor.zeros(shape, dtype: dtype)
    Kernels.copy(self, into: spec.view(storage: out.storage, strides: out.strides, offset: 0))
    return out.recorded("SliceScatterBackward", input: self) { g, _, _ in GradientList(g.sliced(spec)) }
  }

  /// Joins tensors along an existing axis; all other sizes must agree.
  ///
  /// Backward: each input gets its part of the gradient.
  public static func cat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    trapUnless(!tensors.isEmpty, "cat: expected at least one tensor")
    let first = tensors[0]
    let axis = Shape.axis(axis, rank: first.rank, op: "cat")
    let dtype = tensors.dropFirst().reduce(first.dtype) { $0 == .float64 || $1.dtype == .float64 ? .float64 : $0 }
    var shape = first.shape
    shape[axis] = 0
    for t in tensors {
      var expected = first.shape
      expected[axis] = t.rank == first.rank ? t.shapeDims[axis] : -1
      trapUnless(
        t.shapeDims == expected,
        "cat: shapes \(tensors.map(\.shape)) differ outside axis \(axis)")
      shape[axis] += t.shapeDims[axis]
    }
    let out = Tensor(empty: shape, dtype: dtype)
    var starts: [Int] = []
    for t in tensors {
      starts.append(out.narrowRange(axis: axis, start: starts.last.map { $0 } ?? 0, t: t))
    }
    let lengths = tensors.map { $0.shapeDims[axis] }
    return out.recorded("CatBackward", inputs: TensorList(tensors)) { g, _, needs in
      var grads = GradientList()
      var start = 0
      for (i, length) in lengths.enumerated() {
        grads.append(needs[i] ? g.narrowed(axis: axis, start: start, length: length) : nil)
        start += length
      }
      return grads
    }
  }

  /// Copies `t` into this tensor at `start` along `axis` and returns the start of the next part.
  private func narrowRange(axis: Int, start: Int, t: Tensor) -> Int {
    var spec = SliceSpec()
    for a in 0..<rank {
      spec.starts.append(a == axis ? start : 0)
      spec.steps.append(1)
      spec.lengths.append(a == axis ? t.shapeDims[a] : shapeDims[a])
      spec.keeps.append(true)
    }
    Kernels.copy(t, into: spec.view(storage: storage, strides: strides, offset: offset))
    return start + t.shapeDims[axis]
  }

  /// Joins same-shaped tensors along a new axis.
  public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    trapUnless(!tensors.isEmpty, "stack: expected at least one tensor")
    trapUnless(
      tensors.allSatisfy { $0.shapeDims == tensors[0].shape },
      "stack: all tensors must have the same shape, got \(tensors.map(\.shape))")
    return cat(tensors.map { $0.unsqueezed(at: axis) }, axis: axis < 0 ? axis + tensors[0].rank + 1 : axis)
  }
}
