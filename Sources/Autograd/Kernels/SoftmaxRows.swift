import CAutogradKernels

/// Softmax and log softmax along a contiguous last axis, one pass per row, rows split over
/// threads: the composed ops made a tensor per step (eleven for log softmax forward) and could not
/// be split, and attention's softmax over `[batch, heads, L, S]` rows of a few dozen values spent
/// 20 ns an element there.
extension Kernels {
  /// Whether the row kernels apply: a contiguous floating-point tensor with at least one element,
  /// taken along its last axis.
  static func softmaxRowsApply(_ x: Tensor, axis: Int) -> Bool {
    x.rank > 0 && axis == x.rank - 1 && x.isContiguous && x.count > 0 && x.dtype.isFloatingPoint
  }

  /// `rows` (one of the kernels below) applied along `axis` of a floating-point tensor with at
  /// least one element: in place of the last axis of a contiguous tensor, else on a contiguous
  /// copy with `axis` moved last, moved back in the result (a view).
  static func alongAxis(_ x: Tensor, axis: Int, _ rows: (Tensor) -> Tensor) -> Tensor {
    if softmaxRowsApply(x, axis: axis) { return rows(x) }
    let values = x.detached()
    if x.rank == 0 { return rows(values.reshaped(to: [1])).reshaped(to: []) }
    let last = x.rank - 1
    return rows(contiguousCopy(values.transposed(axis, last))).transposed(axis, last)
  }

  /// Runs `body(input rows, output rows, row length, range of rows)` over the rows of `inputs`
  /// (contiguous, of one shape) into a new tensor of that shape, rows split over threads.
  private static func eachRow<T: FloatingElement>(
    _: T.Type, _ inputs: [Tensor], _ body: ([UnsafePointer<T>], UnsafeMutablePointer<T>, Int, Range<Int>) -> Void
  ) -> Tensor {
    let shape = inputs[0].shape
    let out = Tensor(empty: shape, dtype: inputs[0].dtype)
    let n = shape[shape.count - 1]
    let sources = inputs.map { UnsafePointer($0.basePointer(T.self) + $0.offset) }
    let target = out.basePointer(T.self)
    Threading.forEachRange(out.count / n, minimumPerThread: Swift.max(1, 16384 / Swift.max(1, n))) { rows in
      body(sources, target, n, rows)
    }
    return out
  }

  /// e^x for `n` values, vectorized for float32.
  private static func exponentials<T: FloatingElement>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    if T.self == Float.self {
      ag_exp_f32(
        UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
        UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), n)
    } else {
      for j in 0..<n { y[j] = .exp(x[j]) }
    }
  }

  /// softmax along the last axis: e^(x - m) / Σ e^(x - m), with m the row's largest value (0 when
  /// that is -∞, so that a row of -∞ gives NaN as the composed ops and PyTorch do). Sums in
  /// Double. Each thread shifts its rows, takes e^ of them in one call (rows of a few dozen
  /// values, as attention's, spent most of their time on per-call tails), then scales them.
  static func softmaxRows(_ x: Tensor) -> Tensor {
    func run<T: FloatingElement>(_: T.Type) -> Tensor {
      eachRow(T.self, [x]) { sources, target, n, rows in
        for r in rows { shiftByLargest(sources[0] + r * n, into: target + r * n, n) }
        normalizedExponentials(target + rows.lowerBound * n, rows: rows.count, n)
      }
    }
    return x.dtype == .float32 ? run(Float.self) : run(Double.self)
  }

  /// Rows of values already shifted by their largest (`rows` rows of `n`, contiguous) become their
  /// softmax in place: e^ of the whole block in one call, then each row over its sum.
  static func normalizedExponentials<T: FloatingElement>(_ block: UnsafeMutablePointer<T>, rows: Int, _ n: Int) {
    exponentials(UnsafePointer(block), block, rows * n)
    for r in 0..<rows {
      let row = block + r * n
      let scale = T(1 / sumRun(UnsafePointer(row), n))
      for j in 0..<n { row[j] *= scale }
    }
  }

  /// The gradient of softmax along the last axis from its output y: y (g - Σ g y), row by row.
  static func softmaxBackwardRows(_ g: Tensor, output y: Tensor) -> Tensor {
    let g = g.isContiguous ? g : contiguousCopy(g)
    func run<T: FloatingElement>(_: T.Type) -> Tensor {
      eachRow(T.self, [g, y]) { sources, target, n, rows in
        for r in rows { softmaxBackwardRow(sources[0] + r * n, output: sources[1] + r * n, into: target + r * n, n) }
      }
    }
    return y.dtype == .float32 ? run(Float.self) : run(Double.self)
  }

  /// One row of softmax's gradient, y (g - Σ g y), times `scale`; `result` may be `g` itself.
  static func softmaxBackwardRow<T: FloatingElement>(
    _ g: UnsafePointer<T>, output y: UnsafePointer<T>, into result: UnsafeMutablePointer<T>, _ n: Int, scale: T = 1
  ) {
    var dot = 0.0
    for j in 0..<n { dot += Double(g[j]) * Double(y[j]) }
    let total = T(dot)
    for j in 0..<n { result[j] = scale * y[j] * (g[j] - total) }
  }

  /// log softmax along the last axis: x - (log Σ e^(x - m) + m), with m the row's largest value
  /// (0 when that is -∞; a row with +∞ or NaN is NaN, as in PyTorch). Sums in Double; e^ of a
  /// thread's rows in one call, as for softmax.
  static func logSoftmaxRows(_ x: Tensor) -> Tensor {
    func run<T: FloatingElement>(_: T.Type) -> Tensor {
      eachRow(T.self, [x]) { sources, target, n, rows in
        var shifts = [T](repeating: 0, count: rows.count)
        for r in rows {
          shifts[r - rows.lowerBound] = shiftByLargest(sources[0] + r * n, into: target + r * n, n)
        }
        let block = target + rows.lowerBound * n
        exponentials(UnsafePointer(block), block, rows.count * n)  // in place: the shifted values are not needed again
        for r in rows {
          let (row, result) = (sources[0] + r * n, target + r * n)
          let total = T(Double.log(sumRun(UnsafePointer(result), n))) + shifts[r - rows.lowerBound]
          for j in 0..<n { result[j] = row[j] - total }
        }
      }
    }
    return x.dtype == .float32 ? run(Float.self) : run(Double.self)
  }

  /// Writes `row - m` into `result`, with m the row's largest value, or 0 when that is -∞; returns
  /// the shift.
  @discardableResult
  static func shiftByLargest<T: FloatingElement>(
    _ row: UnsafePointer<T>, into result: UnsafeMutablePointer<T>, _ n: Int
  ) -> T {
    var largest = row[0]
    for j in 1..<n where row[j] > largest { largest = row[j] }
    let shift = largest == -.infinity ? 0 : largest
    for j in 0..<n { result[j] = row[j] - shift }
    return shift
  }

  /// The gradient of log softmax along the last axis from its output y: g - e^y Σ g, row by row.
  static func logSoftmaxBackwardRows(_ g: Tensor, output y: Tensor) -> Tensor {
    let g = g.isContiguous ? g : contiguousCopy(g)
    func run<T: FloatingElement>(_: T.Type) -> Tensor {
      eachRow(T.self, [g, y]) { sources, target, n, rows in
        for r in rows {
          let (gRow, yRow, result) = (sources[0] + r * n, sources[1] + r * n, target + r * n)
          let total = T(sumRun(gRow, n))
          for j in 0..<n { result[j] = gRow[j] - .exp(yRow[j]) * total }
        }
      }
    }
    return y.dtype == .float32 ? run(Float.self) : run(Double.self)
  }
}
