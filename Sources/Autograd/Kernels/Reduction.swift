import CAutogradKernels

extension Kernels {
  /// Reorders `x` so that the kept axes come first and `axes` last, as one contiguous buffer:
  /// every output element then reduces one run of `inner` consecutive values.
  static func gatherReduced(_ x: Tensor, axes: [Int]) -> (values: Tensor, kept: [Int], inner: Int) {
    let kept = x.shapeDims.indices.filter { !axes.contains($0) }
    let order = kept + axes
    let permuted = Tensor(
      storage: x.storage, shape: order.map { x.shapeDims[$0] },
      strides: order.map { x.strideDims[$0] }, offset: x.offset)
    let values = permuted.isContiguous ? permuted : contiguousCopy(permuted)
    return (values, kept.map { x.shapeDims[$0] }, axes.reduce(1) { $0 * x.shapeDims[$1] })
  }

  /// A contiguous copy of `x` with the same dtype.
  static func contiguousCopy(_ x: Tensor) -> Tensor {
    let out = Tensor(empty: x.shapeDims, dtype: x.dtype)
    copy(x, into: out)
    return out
  }

  /// Sums `x` over `axes` (sorted, distinct, in range); the result has the kept axes' shape.
  /// Floats are summed in Double; int64 in int64, wrapping on overflow as PyTorch's does.
  static func sum(_ x: Tensor, axes: [Int]) -> Tensor {
    // A block of consecutive axes that does not end the shape (a bias's gradient over the batch,
    // attention weights averaged over heads): whole rows added, in memory order.
    if x.dtype.isFloatingPoint, x.isContiguous, let first = axes.first, axes.last! < x.rank - 1,
      axes.last! - first == axes.count - 1
    {
      return sumOfAxisBlock(x, from: first, count: axes.count)
    }
    let (values, kept, inner) = gatherReduced(x, axes: axes)
    let out = Tensor(empty: kept, dtype: x.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = values.basePointer(T.self) + values.offset
      let dst = out.basePointer(T.self)
      for i in 0..<out.count { dst[i] = T(sumRun(src + i * inner, inner)) }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64:
      let src = values.basePointer(Int64.self) + values.offset
      let dst = out.basePointer(Int64.self)
      for i in 0..<out.count {
        var total: Int64 = 0
        for j in 0..<inner { total &+= src[i * inner + j] }
        dst[i] = total
      }
    case .bool: trap("sum: bool tensors are summed as int64; cast them first")
    }
    return out
  }

  /// Sums a contiguous `x` over `count` consecutive axes from `from`, not the last (a bias's
  /// gradient: the sum over the batch) by adding whole rows, which reads memory in order instead
  /// of gathering columns into a copy.
  private static func sumOfAxisBlock(_ x: Tensor, from first: Int, count: Int) -> Tensor {
    let kept = Array(x.shapeDims[..<first]) + Array(x.shapeDims[(first + count)...])
    let out = Tensor(empty: kept, dtype: x.dtype)
    let (outer, reduced) = (
      Shape.count(Array(x.shapeDims[..<first])), Shape.count(Array(x.shapeDims[first..<(first + count)]))
    )
    let width = Shape.count(Array(x.shapeDims[(first + count)...]))
    func run<T: FloatingElement>(_: T.Type) {
      let src = UnsafePointer(x.basePointer(T.self) + x.offset)
      let dst = out.basePointer(T.self)
      // Accumulated in Double, as every sum here.
      withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { total in
        for o in 0..<outer {
          total.initialize(repeating: 0)
          addRows(src + o * reduced * width, rows: reduced, width: width, into: total.baseAddress!)
          for j in 0..<width { dst[o * width + j] = T(total[j]) }
        }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: trap("sum: expected a floating-point tensor, got \(x.dtype)")
    }
    return out
  }

  /// Adds `rows` consecutive rows of `width` values to `total`, in C (where it vectorizes).
  private static func addRows<T: FloatingElement>(
    _ src: UnsafePointer<T>, rows: Int, width: Int, into total: UnsafeMutablePointer<Double>
  ) {
    let raw = UnsafeRawPointer(src)
    if T.self == Float.self {
      ag_add_rows_f32(raw.assumingMemoryBound(to: Float.self), rows, width, total)
    } else {
      ag_add_rows_f64(raw.assumingMemoryBound(to: Double.self), rows, width, total)
    }
  }

  /// The sum of `n` consecutive values, accumulated in Double with four independent accumulators:
  /// a strict left-to-right loop would stay scalar and lose more precision. (Reductions and the
  /// log-softmax kernels share it.)
  @inline(__always)
  static func sumRun<T: FloatingElement>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
    var s0 = 0.0
    var s1 = 0.0
    var s2 = 0.0
    var s3 = 0.0
    var i = 0
    while i + 4 <= n {
      s0 += Double(p[i])
      s1 += Double(p[i + 1])
      s2 += Double(p[i + 2])
      s3 += Double(p[i + 3])
      i += 4
    }
    while i < n {
      s0 += Double(p[i])
      i += 1
    }
    return (s0 + s1) + (s2 + s3)
  }

  /// The largest (or smallest) value along `axis` and the index of its first occurrence; NaN wins,
  /// as in PyTorch. Both results have `x`'s shape without `axis`, which must not be empty.
  static func extremum(_ x: Tensor, axis: Int, largest: Bool) -> (values: Tensor, indices: Tensor) {
    let (source, kept, inner) = gatherReduced(x, axes: [axis])
    let values = Tensor(empty: kept, dtype: x.dtype)
    let indices = Tensor(empty: kept, dtype: .int64)
    func run<T: Comparable>(_: T.Type, isNaN: (T) -> Bool) {
      let src = source.basePointer(T.self) + source.offset
      let dst = values.basePointer(T.self)
      let idx = indices.basePointer(Int64.self)
      for i in 0..<values.count {
        let row = src + i * inner
        var best = row[0]
        var at = 0
        for j in 1..<max(inner, 1) where !isNaN(best) {
          let v = row[j]
          if isNaN(v) || (largest ? v > best : v < best) {
            best = v
            at = j
          }
        }
        dst[i] = best
        idx[i] = Int64(at)
      }
    }
    switch x.dtype {
    case .float32: run(Float.self) { $0.isNaN }
    case .float64: run(Double.self) { $0.isNaN }
    case .int64: run(Int64.self) { _ in false }
    case .bool: trap("\(largest ? "max" : "min"): bool tensors are compared as int64; cast them first")
    }
    return (values, indices)
  }
}

extension Kernels {
  /// Sets `mask[..., indices[...], ...] = 1` along `axis`; `indices` has `mask`'s shape with
  /// `axis` of size 1.
  static func scatterOnes(into mask: Tensor, axis: Int, indices: Tensor) {
    let idx = indices.scalars(as: Int64.self)
    let inner = mask.shapeDims[(axis + 1)...].reduce(1, *)
    let size = mask.shapeDims[axis]
    func run<T: FloatingElement>(_: T.Type) {
      let p = mask.basePointer(T.self)
      for (i, j) in idx.enumerated() {
        let outer = i / inner
        let rest = i % inner
        p[(outer * size + Int(j)) * inner + rest] = 1
      }
    }
    switch mask.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
  }
}
