/// Element-wise comparisons, whose results are bool tensors.
enum ComparisonOp {
  case equal, notEqual, less, lessEqual, greater, greaterEqual

  @inline(__always)
  func test<T: Comparable>(_ a: T, _ b: T) -> Bool {
    switch self {
    case .equal: a == b
    case .notEqual: a != b
    case .less: a < b
    case .lessEqual: a <= b
    case .greater: a > b
    case .greaterEqual: a >= b
    }
  }
}

extension Kernels {
  /// `f` applied to broadcast pairs of elements of types `A` and `B` (which must match the
  /// tensors' dtypes), writing a new contiguous tensor of `dtype`.
  static func zipMap<A, B, R>(
    _ a: Tensor, _ b: Tensor, _: A.Type, _: B.Type, to dtype: DType, name: StaticString,
    _ f: (A, B) -> R
  ) -> Tensor {
    let out = Tensor(empty: Shape.broadcast(a.shape, b.shape, op: name), dtype: dtype)
    let walk = StridedWalk(
      shape: out.shapeDims, strides: out.strideDims, a.strideDims(broadcastTo: out.shapeDims),
      b.strideDims(broadcastTo: out.shapeDims))
    let n = walk.rowLength
    let sa = walk.rowStride(1)
    let sb = walk.rowStride(2)
    let pa = a.basePointer(A.self)
    let pb = b.basePointer(B.self)
    let dst = out.basePointer(R.self)
    walk.forEachRow(from: (0, a.offset, b.offset)) { o, ia, ib in
      for i in 0..<n { dst[o + i] = f(pa[ia + i * sa], pb[ib + i * sb]) }
    }
    return out
  }

  /// `f` applied to each element of type `A` (the tensor's dtype), writing a new tensor of `dtype`.
  static func mapTo<A, R>(_ x: Tensor, _: A.Type, to dtype: DType, _ f: (A) -> R) -> Tensor {
    let out = Tensor(empty: x.shapeDims, dtype: dtype)
    let walk = StridedWalk(shape: x.shapeDims, strides: out.strideDims, x.strideDims)
    let n = walk.rowLength
    let s = walk.rowStride(1)
    let src = x.basePointer(A.self)
    let dst = out.basePointer(R.self)
    walk.forEachRow(from: (0, x.offset, 0)) { o, i0, _ in
      for i in 0..<n { dst[o + i] = f(src[i0 + i * s]) }
    }
    return out
  }

  /// Compares two tensors of the same dtype element-wise, with broadcasting.
  static func compare(_ a: Tensor, _ b: Tensor, _ op: ComparisonOp, name: StaticString) -> Tensor {
    trapUnless(a.dtype == b.dtype, "\(name): dtypes differ, \(a.dtype) vs \(b.dtype)")
    switch a.dtype {
    case .float32: return zipMap(a, b, Float.self, Float.self, to: .bool, name: name) { op.test($0, $1) }
    case .float64: return zipMap(a, b, Double.self, Double.self, to: .bool, name: name) { op.test($0, $1) }
    case .int64: return zipMap(a, b, Int64.self, Int64.self, to: .bool, name: name) { op.test($0, $1) }
    case .bool: return zipMap(a, b, Bool.self, Bool.self, to: .bool, name: name) { op.test($0 ? 1 : 0, $1 ? 1 : 0) }
    }
  }

  /// Picks `a` where `condition` holds and `b` elsewhere; all three broadcast together.
  static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = Shape.broadcast(Shape.broadcast(condition.shape, a.shape, op: "where"), b.shape, op: "where")
    let c = contiguousCopy(condition.cast(to: .bool).expanded(to: shape))
    let x = contiguousCopy(a.detached().expanded(to: shape))
    let y = contiguousCopy(b.detached().expanded(to: shape))
    let out = Tensor(empty: shape, dtype: a.dtype)
    func run<T>(_: T.Type) {
      let pc = c.basePointer(Bool.self)
      let px = x.basePointer(T.self)
      let py = y.basePointer(T.self)
      let dst = out.basePointer(T.self)
      for i in 0..<out.count { dst[i] = pc[i] ? px[i] : py[i] }
    }
    switch a.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: run(Int64.self)
    case .bool: run(Bool.self)
    }
    return out
  }
}
