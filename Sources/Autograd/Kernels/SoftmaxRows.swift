import CAutogradKernels

extension Kernels {
  /// Whether `logSoftmaxRows` applies: a contiguous floating-point tensor with at least one
  /// element, taken along its last axis.
  static func logSoftmaxRowsApply(_ x: Tensor, axis: Int) -> Bool {
    x.rank > 0 && axis == x.rank - 1 && x.isContiguous && x.count > 0 && x.dtype.isFloatingPoint
  }

  /// log softmax along the last axis, one pass per row: x - (log Σ exp(x - m) + m), with m the
  /// row's largest value (0 when it is infinite). The same formula as the composed ops, which
  /// made eleven tensors for it (a cross-entropy's batch of 32 rows of 10 spent 14 µs there).
  /// Sums are taken in Double.
  static func logSoftmaxRows(_ x: Tensor) -> Tensor {
    let out = Tensor(empty: x.shape, dtype: x.dtype)
    let n = x.shape[x.rank - 1]
    let rows = x.count / n
    func run<T: FloatingElement>(_: T.Type, exp: (UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void) {
      let source = UnsafePointer(x.basePointer(T.self) + x.offset)
      let target = out.basePointer(T.self)
      for r in 0..<rows {
        let row = source + r * n
        let result = target + r * n
        var largest = row[0]
        for j in 1..<n where row[j] > largest { largest = row[j] }
        let shift = largest.isFinite ? largest : 0
        for j in 0..<n { result[j] = row[j] - shift }
        exp(result, result, n)  // in place: the shifted values are not needed again
        let total = T(Double.log(sumRun(UnsafePointer(result), n))) + shift
        for j in 0..<n { result[j] = row[j] - total }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self) { ag_exp_f32($0, $1, $2) }
    default: run(Double.self) { x, y, n in for j in 0..<n { y[j] = .exp(x[j]) } }
    }
    return out
  }

  /// The gradient of log softmax along the last axis from its output y: g - exp(y) Σ g, row by
  /// row. `g` and `y` have the same shape; `y` is contiguous.
  static func logSoftmaxBackwardRows(_ g: Tensor, output y: Tensor) -> Tensor {
    let g = g.isContiguous ? g : contiguousCopy(g)
    let out = Tensor(empty: y.shape, dtype: y.dtype)
    let n = y.shape[y.rank - 1]
    let rows = y.count / n
    func run<T: FloatingElement>(_: T.Type) {
      let gradient = UnsafePointer(g.basePointer(T.self) + g.offset)
      let output = UnsafePointer(y.basePointer(T.self) + y.offset)
      let target = out.basePointer(T.self)
      for r in 0..<rows {
        let gRow = gradient + r * n
        let yRow = output + r * n
        let result = target + r * n
        let total = T(sumRun(gRow, n))
        for j in 0..<n { result[j] = gRow[j] - .exp(yRow[j]) * total }
      }
    }
    if y.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    return out
  }
}
