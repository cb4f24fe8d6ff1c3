extension Kernels {
  /// Calls `body(k, outer, inner)` for every element of a contiguous `shape`, where `k` is its flat
  /// index, and `outer`/`inner` are the flat indices of the axes before and after `axis`.
  private static func forEachPosition(_ shape: [Int], axis: Int, _ body: (Int, Int, Int, Int) -> Void) {
    let size = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    let count = Shape.count(shape)
    for k in 0..<count {
      let i = k % inner
      let a = (k / inner) % size
      let o = k / (inner * size)
      body(k, o, a, i)
    }
  }

  /// out[.., j, ..] = x[.., index[.., j, ..], ..] along `axis`; `index` (int64) gives the output shape.
  static func gather(_ x: Tensor, axis: Int, index: Tensor, op: StaticString = "gather") -> Tensor {
    let source = x.isContiguous ? x : contiguousCopy(x)
    let idx = index.scalars(as: Int64.self)
    let out = Tensor(empty: index.shape, dtype: x.dtype)
    let size = x.shapeDims[axis]
    let inner = x.shapeDims[(axis + 1)...].reduce(1, *)
    func run<T>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      forEachPosition(index.shape, axis: axis) { k, o, _, i in
        let j = Int(idx[k])
        trapUnless(j >= 0 && j < size, "\(op): index \(j) is out of range for axis \(axis) of size \(size)")
        dst[k] = src[(o * size + j) * inner + i]
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: run(Int64.self)
    case .bool: run(Bool.self)
    }
    return out
  }

  /// Writes (or adds, with `accumulate`) `src` into `target` at `index` along `axis`:
  /// target[.., index[.., j, ..], ..] (+)= src[.., j, ..]. `target` must be contiguous from offset 0.
  static func scatter(
    into target: Tensor, axis: Int, index: Tensor, source src: Tensor, accumulate: Bool,
    op: StaticString = "scatter"
  ) {
    let values = contiguousCopy(src.detached().expanded(to: index.shape).cast(to: target.dtype))
    let idx = index.scalars(as: Int64.self)
    let size = target.shapeDims[axis]
    let inner = target.shapeDims[(axis + 1)...].reduce(1, *)
    func run<T>(_ add: (T, T) -> T, _: T.Type) {
      let dst = target.basePointer(T.self)
      let s = values.basePointer(T.self)
      forEachPosition(index.shape, axis: axis) { k, o, _, i in
        let j = Int(idx[k])
        trapUnless(j >= 0 && j < size, "\(op): index \(j) is out of range for axis \(axis) of size \(size)")
        let at = (o * size + j) * inner + i
        dst[at] = accumulate ? add(dst[at], s[k]) : s[k]
      }
    }
    switch target.dtype {
    case .float32: run(+, Float.self)
    case .float64: run(+, Double.self)
    case .int64: run(&+, Int64.self)
    case .bool: run({ $0 || $1 }, Bool.self)
    }
  }

  /// The slices x[.., index[k], ..] along `axis`, for a flat list of indices (already in range).
  static func indexSelect(_ x: Tensor, axis: Int, indices: [Int]) -> Tensor {
    let source = x.isContiguous ? x : contiguousCopy(x)
    var shape = x.shape
    shape[axis] = indices.count
    let out = Tensor(empty: shape, dtype: x.dtype)
    let size = x.shapeDims[axis]
    let inner = x.shapeDims[(axis + 1)...].reduce(1, *)
    let outer = x.shapeDims[..<axis].reduce(1, *)
    func run<T>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      for o in 0..<outer {
        for (n, j) in indices.enumerated() {
          (dst + (o * indices.count + n) * inner).update(from: src + (o * size + j) * inner, count: inner)
        }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: run(Int64.self)
    case .bool: run(Bool.self)
    }
    return out
  }

  /// Adds the slices of `src` into zeros of `shape` at `indices` along `axis` (indexSelect's adjoint).
  static func indexAdd(_ src: Tensor, shape: [Int], axis: Int, indices: [Int]) -> Tensor {
    let values = src.isContiguous ? src : contiguousCopy(src)
    let out = Tensor.zeros(shape, dtype: src.dtype)
    let size = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    let outer = shape[..<axis].reduce(1, *)
    func run<T: FloatingElement>(_: T.Type) {
      let s = values.basePointer(T.self) + values.offset
      let dst = out.basePointer(T.self)
      for o in 0..<outer {
        for (n, j) in indices.enumerated() {
          let from = s + (o * indices.count + n) * inner
          let to = dst + (o * size + j) * inner
          for i in 0..<inner { to[i] += from[i] }
        }
      }
    }
    switch src.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: trap("indexAdd: expected a floating-point tensor, got \(src.dtype)")
    }
    return out
  }
}
