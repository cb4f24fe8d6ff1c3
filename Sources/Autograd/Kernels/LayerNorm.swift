/// Layer normalization over rows of `n` values, rows split over threads, each row's loops in
/// vectors of 16. Composed, it was nine ops forward (seven tensors) and a graph of them backward;
/// a BERT layer normalizes twice.
extension Kernels {
  /// Whether the fused kernels apply: a floating-point `x` with at least one element, and a
  /// weight and bias (where given) of its dtype and of `normalizedShape`.
  static func layerNormApplies(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?) -> Bool {
    x.dtype.isFloatingPoint && x.count > 0
      && [weight, bias].allSatisfy { $0 == nil || ($0!.dtype == x.dtype && $0!.shape == normalizedShape) }
  }

  /// (x - μ) / √(σ² + ε) · weight + bias over each row of `n` values of `x`, with each row's μ and
  /// 1/√(σ² + ε) (float64 `[rows]`, for backward). The variance comes from the centered values (a
  /// second pass over a row that is in cache); lanes accumulate in the tensor's dtype, and their
  /// totals in Double.
  static func layerNorm(_ x: Tensor, n: Int, weight: Tensor?, bias: Tensor?, epsilon: Double)
    -> (y: Tensor, mean: Tensor, rstd: Tensor)
  {
    let (x, weight, bias) = (contiguous(x), weight.map(contiguous), bias.map(contiguous))
    let rows = x.count / n
    let y = Tensor(empty: x.shapeDims, dtype: x.dtype)
    let mean = Tensor(empty: [rows], dtype: .float64)
    let rstd = Tensor(empty: [rows], dtype: .float64)
    func run<T: FloatingElement & SIMDScalar>(_: T.Type) {
      let source = UnsafePointer(x.basePointer(T.self) + x.offset)
      let target = y.basePointer(T.self)
      let w = weight.map { UnsafePointer($0.basePointer(T.self) + $0.offset) }
      let b = bias.map { UnsafePointer($0.basePointer(T.self) + $0.offset) }
      let (means, scales) = (mean.basePointer(Double.self), rstd.basePointer(Double.self))
      Threading.forEachRange(rows, minimumPerThread: Swift.max(1, 16384 / n)) { range in
        for r in range {
          let (row, result) = (source + r * n, target + r * n)
          let mu =
            laneSum(n) {
              lanes(row, $0)
            } scalar: {
              row[$0]
            } / Double(n)
          let shift = T(mu)
          let squares = laneSum(n) {
            (lanes(row, $0) - SIMD16(repeating: shift)).squared
          } scalar: {
            (row[$0] - shift) * (row[$0] - shift)
          }
          let scale = 1 / (squares / Double(n) + epsilon).squareRoot()
          (means[r], scales[r]) = (mu, scale)
          let factor = T(scale)
          forEachLane(n) { j in
            var value = (lanes(row, j) - SIMD16(repeating: shift)) * factor
            if let w { value *= lanes(w, j) }
            if let b { value += lanes(b, j) }
            store(value, result + j)
          } scalar: { j in
            var value = (row[j] - shift) * factor
            if let w { value *= w[j] }
            if let b { value += b[j] }
            result[j] = value
          }
        }
      }
    }
    if x.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    return (y, mean, rstd)
  }

  /// The gradients of `layerNorm` from the upstream `g`: to x, rstd (ĝ - mean(ĝ) - x̂ mean(ĝ x̂))
  /// with x̂ the normalized row and ĝ = g · weight; to the weight, Σ g x̂ over rows; to the bias,
  /// Σ g. Only those asked for in `needs` (x, weight, bias) are computed.
  static func layerNormBackward(
    _ g: Tensor, _ x: Tensor, mean: Tensor, rstd: Tensor, weight: Tensor?, n: Int, needs: (Bool, Bool, Bool)
  ) -> (x: Tensor?, weight: Tensor?, bias: Tensor?) {
    let (g, x, weight) = (contiguous(g), contiguous(x), weight.map(contiguous))
    let rows = x.count / n
    let dx = needs.0 ? Tensor(empty: x.shapeDims, dtype: x.dtype) : nil
    let dWeight = needs.1 ? Tensor(empty: [n], dtype: x.dtype, zeroed: true) : nil
    let dBias = needs.2 ? Tensor(empty: [n], dtype: x.dtype, zeroed: true) : nil
    func run<T: FloatingElement & SIMDScalar>(_: T.Type) {
      let gradient = UnsafePointer(g.basePointer(T.self) + g.offset)
      let source = UnsafePointer(x.basePointer(T.self) + x.offset)
      let w = weight.map { UnsafePointer($0.basePointer(T.self) + $0.offset) }
      let means = UnsafePointer(mean.basePointer(Double.self))
      let scales = UnsafePointer(rstd.basePointer(Double.self))
      if let dx {
        let target = dx.basePointer(T.self)
        Threading.forEachRange(rows, minimumPerThread: Swift.max(1, 16384 / n)) { range in
          for r in range {
            let (gRow, row, result) = (gradient + r * n, source + r * n, target + r * n)
            let (shift, factor) = (T(means[r]), T(scales[r]))
            func gHat(_ j: Int) -> SIMD16<T> { w.map { lanes(gRow, j) * lanes($0, j) } ?? lanes(gRow, j) }
            func xHat(_ j: Int) -> SIMD16<T> { (lanes(row, j) - SIMD16(repeating: shift)) * factor }
            func gHat1(_ j: Int) -> T { gRow[j] * (w?[j] ?? 1) }
            func xHat1(_ j: Int) -> T { (row[j] - shift) * factor }
            let meanG = T(laneSum(n, gHat) { gHat1($0) } / Double(n))
            let meanGX = T(
              laneSum(n) {
                gHat($0) * xHat($0)
              } scalar: {
                gHat1($0) * xHat1($0)
              } / Double(n))
            forEachLane(n) { j in
              store((gHat(j) - SIMD16(repeating: meanG) - xHat(j) * meanGX) * factor, result + j)
            } scalar: { j in
              result[j] = (gHat1(j) - meanG - xHat1(j) * meanGX) * factor
            }
          }
        }
      }
      // Summed over rows on one thread, each column in order: the same bits on any thread count.
      let (weightSums, biasSums) = (dWeight?.basePointer(T.self), dBias?.basePointer(T.self))
      guard weightSums != nil || biasSums != nil else { return }
      for r in 0..<rows {
        let (gRow, row) = (gradient + r * n, source + r * n)
        let (shift, factor) = (T(means[r]), T(scales[r]))
        forEachLane(n) { j in
          if let weightSums {
            let xHat = (lanes(row, j) - SIMD16(repeating: shift)) * factor
            store(lanes(weightSums, j) + lanes(gRow, j) * xHat, weightSums + j)
          }
          if let biasSums { store(lanes(biasSums, j) + lanes(gRow, j), biasSums + j) }
        } scalar: { j in
          weightSums?[j] += gRow[j] * (row[j] - shift) * factor
          biasSums?[j] += gRow[j]
        }
      }
    }
    if x.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    return (dx, dWeight, dBias)
  }

  private static func contiguous(_ t: Tensor) -> Tensor { t.isContiguous ? t : contiguousCopy(t) }
}

/// Sixteen values from `p + j`, which need not be aligned.
@inline(__always)
private func lanes<T: SIMDScalar>(_ p: UnsafePointer<T>, _ j: Int) -> SIMD16<T> {
  UnsafeRawPointer(p + j).loadUnaligned(as: SIMD16<T>.self)
}

@inline(__always)
private func lanes<T: SIMDScalar>(_ p: UnsafeMutablePointer<T>, _ j: Int) -> SIMD16<T> {
  lanes(UnsafePointer(p), j)
}

@inline(__always)
private func store<T: SIMDScalar>(_ v: SIMD16<T>, _ p: UnsafeMutablePointer<T>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<T>.self)
}

/// Runs `vector` at j = 0, 16, 32, ... while 16 values remain of `n`, then `scalar` on the rest.
@inline(__always)
private func forEachLane(_ n: Int, _ vector: (Int) -> Void, scalar: (Int) -> Void) {
  var j = 0
  while j + 16 <= n {
    vector(j)
    j += 16
  }
  while j < n {
    scalar(j)
    j += 1
  }
}

/// Σ over `n` values given sixteen at a time (`vector(j)`) and one at a time (`scalar(j)`): sixteen
/// running sums in the values' type, added up in Double.
@inline(__always)
private func laneSum<T: FloatingElement & SIMDScalar>(
  _ n: Int, _ vector: (Int) -> SIMD16<T>, scalar: (Int) -> T
) -> Double {
  var partial = SIMD16<T>()
  var tail = 0.0
  forEachLane(n) {
    partial += vector($0)
  } scalar: {
    tail += Double(scalar($0))
  }
  var total = tail
  for i in 0..<16 { total += Double(partial[i]) }
  return total
}

extension SIMD16 where Scalar: FloatingPoint {
  fileprivate var squared: SIMD16 { self * self }
}
