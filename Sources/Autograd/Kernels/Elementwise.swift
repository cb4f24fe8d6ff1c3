import CAutogradKernels

/// The loops that touch memory. Ops in `Ops/` call these and record the graph.
enum Kernels {
  /// Applies `f` to every element of a floating-point tensor; the result is contiguous.
  static func map<F: ElementFunction>(_ x: Tensor, _ f: F) -> Tensor {
    let out = Tensor(empty: x.shapeDims, dtype: x.dtype)
    switch x.dtype {
    case .float32: map(x, f, out, Float.self)
    case .float64: map(x, f, out, Double.self)
    default: trap("\(F.self): expected a floating-point tensor, got \(x.dtype)")
    }
    return out
  }

  /// Applies `f` to every element of `x` in place and returns `x`, which must be contiguous,
  /// floating-point and nobody else's (a backward rule's own gradient).
  static func mapInPlace<F: CheapElementFunction>(_ x: __owned Tensor, _ f: F) -> Tensor {
    func run<T: FloatingElement>(_: T.Type) {
      let base = x.basePointer(T.self) + x.offset
      if x.count == 1 {
        base.pointee = f(base.pointee)
        return
      }
      Threading.forEachRange(x.count, minimumPerThread: f.elementsPerThread) { r in
        // One pointer, read and written, as `applyPairwise` does in place: a loop through a source
        // and a destination that alias may stay scalar (this one vectorizes: packed mulps).
        let p = base + r.lowerBound
        for i in 0..<r.count { p[i] = f(p[i]) }
      }
    }
    trapUnless(x.isContiguous, "\(F.self): internal error, an in-place map needs a contiguous tensor")
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: trap("\(F.self): expected a floating-point tensor, got \(x.dtype)")
    }
    return x
  }

  private static func map<F: ElementFunction, T: FloatingElement>(_ x: Tensor, _ f: F, _ out: Tensor, _: T.Type) {
    let src = x.basePointer(T.self)
    let dst = out.basePointer(T.self)
    // One element (a graph of scalars): the call the loop would make, without the thread split.
    if x.count == 1 { return f.apply(src + x.offset, 1, dst, 1) }
    if x.isContiguous {
      let base = UnsafePointer(src + x.offset)
      return Threading.forEachRange(x.count, minimumPerThread: f.elementsPerThread) { r in
        f.apply(base + r.lowerBound, 1, dst + r.lowerBound, r.count)
      }
    }
    let walk = StridedWalk(shape: x.shapeDims, strides: out.strideDims, x.strideDims)
    let n = walk.rowLength
    let ss = walk.rowStride(1)
    walk.forEachRow(from: (0, x.offset, 0)) { o, s, _ in f.apply(src + s, ss, dst + o, n) }
  }

  /// Applies `op` to pairs of elements of `a` and `b` broadcast together; the result is contiguous.
  /// Both must have the same dtype.
  static func zip(_ a: Tensor, _ b: Tensor, _ op: BinaryOp, name: StaticString) -> Tensor {
    // One element each, in one shape (a graph of scalars, as the lecture's): the op alone. The
    // broadcast's bookkeeping cost several times the op.
    if a.shapeDims == b.shapeDims && a.count == 1 && a.dtype == b.dtype {
      switch a.dtype {
      case .float32: return single(a, b, op, Float.self)
      case .float64: return single(a, b, op, Double.self)
      default: break
      }
    }
    let pairs = BroadcastPairs(a, b, name: name)
    switch a.dtype {
    case .float32: pairs.run(Float.self, op.elementsPerThread) { op.run($0, $1, $2, $3, $4, $5) }
    case .float64: pairs.run(Double.self, op.elementsPerThread) { op.run($0, $1, $2, $3, $4, $5) }
    case .int64: pairs.run(Int64.self, op.elementsPerThread) { op.runIntegers($0, $1, $2, $3, $4, $5) }
    case .bool: pairs.run(Bool.self, op.elementsPerThread) { op.runBools($0, $1, $2, $3, $4, $5, name: name) }
    }
    return pairs.out
  }

  /// `zip` of two one-element tensors of one shape.
  private static func single<T: FloatingElement>(_ a: Tensor, _ b: Tensor, _ op: BinaryOp, _: T.Type) -> Tensor {
    let out = Tensor(empty: a.shapeDims, dtype: a.dtype)
    out.basePointer(T.self).pointee = op(a.basePointer(T.self)[a.offset], b.basePointer(T.self)[b.offset])
    return out
  }

  /// Applies `f` to pairs of elements of `a` and `b` broadcast together (a fused backward rule);
  /// the result is contiguous. Both must have the same floating-point dtype.
  static func zip<F: ElementPairFunction>(_ a: Tensor, _ b: Tensor, _ f: F, name: StaticString) -> Tensor {
    let pairs = BroadcastPairs(a, b, name: name)
    func run<T: FloatingElement>(_: T.Type) {
      pairs.run(T.self, 1 << 20) { applyPairwise($0, $1, $2, $3, $4, $5) { f($0, $1) } }
    }
    switch a.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: trap("\(name): expected a floating-point tensor, got \(a.dtype)")
    }
    return pairs.out
  }

  /// `dst = op(dst, src)` in place, with `src` broadcast to `dst`'s shape. Computed out of place
  /// first, so overlapping operands and non-contiguous destinations are handled alike.
  static func zipInPlace(_ dst: Tensor, _ src: Tensor, _ op: BinaryOp) {
    // The common case (an optimizer step, a gradient accumulation): a contiguous destination and a
    // same-shaped contiguous or single-value source in another buffer, updated directly.
    let direct =
      dst.isContiguous && src.dtype == dst.dtype && dst.dtype.isFloatingPoint && src.storage !== dst.storage
      && (src.count == 1 || (src.shapeDims == dst.shapeDims && src.isContiguous))
    guard direct else { return copy(zip(dst, src, op, name: "in-place op"), into: dst) }
    let step = src.count == 1 ? 0 : 1
    func run<T: FloatingElement>(_: T.Type) {
      let d = dst.basePointer(T.self) + dst.offset
      let s = UnsafePointer(src.basePointer(T.self) + src.offset)
      // One element (the lecture's w and its gradient): the op alone, as in `zip`.
      if dst.count == 1 {
        d.pointee = op(d.pointee, s.pointee)
        return
      }
      Threading.forEachRange(dst.count, minimumPerThread: op.elementsPerThread) { r in
        op.run(UnsafePointer(d + r.lowerBound), 1, s + r.lowerBound * step, step, d + r.lowerBound, r.count)
      }
    }
    if dst.dtype == .float32 { run(Float.self) } else { run(Double.self) }
  }

  /// Writes `src`, broadcast to `dst`'s shape and converted to its dtype, into `dst`'s view.
  static func copy(_ src: Tensor, into dst: Tensor) {
    switch (src.dtype, dst.dtype) {
    case (.float32, .float32): copySame(src, dst, Float.self)
    case (.float64, .float64): copySame(src, dst, Double.self)
    case (.int64, .int64): copySame(src, dst, Int64.self)
    case (.bool, .bool): copySame(src, dst, Bool.self)
    default: convert(src, dst)
    }
  }

  private static func walk(_ src: Tensor, _ dst: Tensor) -> StridedWalk {
    StridedWalk(shape: dst.shapeDims, strides: dst.strideDims, src.strideDims(broadcastTo: dst.shapeDims))
  }

  private static func copySame<T>(_ src: Tensor, _ dst: Tensor, _: T.Type) {
    let ps = src.basePointer(T.self)
    let pd = dst.basePointer(T.self)
    let w = walk(src, dst)
    let n = w.rowLength
    let sd = w.rowStride(0)
    let ss = w.rowStride(1)
    w.forEachRow(from: (dst.offset, src.offset, 0)) { o, s, _ in
      if sd == 1 && ss == 1 {
        (pd + o).update(from: ps + s, count: n)
      } else {
        for i in 0..<n { pd[o &+ i &* sd] = ps[s &+ i &* ss] }
      }
    }
  }

  private static func convert(_ src: Tensor, _ dst: Tensor) {
    let read: (Int) -> Double =
      switch src.dtype {
      case .float32: { [p = src.basePointer(Float.self)] in Double(p[$0]) }
      case .float64: { [p = src.basePointer(Double.self)] in p[$0] }
      case .int64: { [p = src.basePointer(Int64.self)] in Double(p[$0]) }
      case .bool: { [p = src.basePointer(Bool.self)] in p[$0] ? 1 : 0 }
      }
    func fill<T: TensorScalar>(_: T.Type) {
      let pd = dst.basePointer(T.self)
      let w = walk(src, dst)
      let n = w.rowLength
      let sd = w.rowStride(0)
      let ss = w.rowStride(1)
      w.forEachRow(from: (dst.offset, src.offset, 0)) { o, s, _ in
        for i in 0..<n { pd[o + i * sd] = T(fromDouble: read(s + i * ss)) }
      }
    }
    switch dst.dtype {
    case .float32: fill(Float.self)
    case .float64: fill(Double.self)
    case .int64: fill(Int64.self)
    case .bool: fill(Bool.self)
    }
  }

  /// Sets every element of `dst`'s view to `value`.
  static func fill(_ dst: Tensor, _ value: Double) {
    func run<T: TensorScalar>(_: T.Type) {
      let p = dst.basePointer(T.self)
      let v = T(fromDouble: value)
      if dst.isContiguous {
        return Threading.forEachRange(dst.count, minimumPerThread: Threading.cheapElementsPerThread) { r in
          (p + dst.offset + r.lowerBound).update(repeating: v, count: r.count)
        }
      }
      let w = StridedWalk(shape: dst.shapeDims, strides: dst.strideDims)
      let n = w.rowLength
      let s = w.rowStride(0)
      w.forEachRow(from: (dst.offset, 0, 0)) { o, _, _ in
        for i in 0..<n { p[o + i * s] = v }
      }
    }
    switch dst.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: run(Int64.self)
    case .bool: run(Bool.self)
    }
  }
}

/// Two tensors broadcast together and the output they make: how `Kernels.zip` walks them.
private struct BroadcastPairs {
  // The operands as addresses, not references: the caller holds them for the walk, and holding
  // them here too cost a retain and a release of each on every op.
  let baseA: UnsafeMutableRawPointer
  let baseB: UnsafeMutableRawPointer
  let offsetA: Int
  let offsetB: Int
  let out: Tensor
  /// Nil when both operands are contiguous with the output's shape, or single values (also
  /// expanded ones, as a sum's gradient): this skips the walk's bookkeeping on the per-op path
  /// of small tensors, and lets large ones be split across threads.
  let walk: StridedWalk?
  /// Elements per row, and each operand's step along a row.
  let rowLength: Int
  let strideA: Int
  let strideB: Int

  init(_ a: borrowing Tensor, _ b: borrowing Tensor, name: StaticString) {
    trapUnless(a.dtype == b.dtype, "\(name): dtypes differ, \(a.dtype) vs \(b.dtype)")
    let shape = a.shapeDims == b.shapeDims ? a.shapeDims : Dims(Shape.broadcast(a.shape, b.shape, op: name))
    let out = Tensor(empty: shape, dtype: a.dtype)
    let simpleA = a.isSingleValue ? 0 : (a.shapeDims == shape && a.isContiguous ? 1 : -1)
    let simpleB = b.isSingleValue ? 0 : (b.shapeDims == shape && b.isContiguous ? 1 : -1)
    let walk: StridedWalk? =
      simpleA >= 0 && simpleB >= 0
      ? nil
      : StridedWalk(
        shape: shape, strides: out.strideDims, a.strideDims(broadcastTo: shape), b.strideDims(broadcastTo: shape))
    (baseA, baseB, offsetA, offsetB) = (a.storage.base, b.storage.base, a.offset, b.offset)
    (self.out, self.walk) = (out, walk)
    rowLength = walk?.rowLength ?? out.count
    strideA = walk?.rowStride(1) ?? simpleA
    strideB = walk?.rowStride(2) ?? simpleB
  }

  /// Calls `body(a, strideA, b, strideB, out, count)` on every row, or on ranges split across
  /// threads when there is no walk.
  func run<T>(
    _: T.Type, _ elementsPerThread: Int,
    _ body: (UnsafePointer<T>, Int, UnsafePointer<T>, Int, UnsafeMutablePointer<T>, Int) -> Void
  ) {
    let pa = baseA.assumingMemoryBound(to: T.self)
    let pb = baseB.assumingMemoryBound(to: T.self)
    let dst = out.basePointer(T.self)
    let (n, sa, sb) = (rowLength, strideA, strideB)
    guard let walk else {
      let (ia, ib) = (UnsafePointer(pa + offsetA), UnsafePointer(pb + offsetB))
      return Threading.forEachRange(n, minimumPerThread: elementsPerThread) { r in
        body(ia + r.lowerBound * sa, sa, ib + r.lowerBound * sb, sb, dst + r.lowerBound, r.count)
      }
    }
    walk.forEachRow(from: (0, offsetA, offsetB)) { o, ia, ib in body(pa + ia, sa, pb + ib, sb, dst + o, n) }
  }
}
