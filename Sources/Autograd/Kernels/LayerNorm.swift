/// Layer normalization over rows of `n` values, one pass per row for the statistics and one for
/// the result, rows split over threads. Composed, it was nine ops forward (seven tensors) and a
/// graph of them backward; a BERT layer normalizes twice.
extension Kernels {
  /// Whether the fused kernels apply: a floating-point `x` with at least one element, and a
  /// weight and bias (where given) of its dtype and of `normalizedShape`.
  static func layerNormApplies(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?) -> Bool {
    x.dtype.isFloatingPoint && x.count > 0
      && [weight, bias].allSatisfy { $0 == nil || ($0!.dtype == x.dtype && $0!.shape == normalizedShape) }
  }

  /// (x - μ) / √(σ² + ε) · weight + bias over each row of `n` values of `x`, with each row's μ and
  /// 1/√(σ² + ε) (float64 `[rows]`, for backward). Statistics in Double, the variance from the
  /// centered values (two passes over a row that is in cache).
  static func layerNorm(_ x: Tensor, n: Int, weight: Tensor?, bias: Tensor?, epsilon: Double)
    -> (y: Tensor, mean: Tensor, rstd: Tensor)
  {
    let x = x.isContiguous ? x : contiguousCopy(x)
    let (weight, bias) = (weight.map(contiguous), bias.map(contiguous))
    let rows = x.count / n
    let y = Tensor(empty: x.shape, dtype: x.dtype)
    let mean = Tensor(empty: [rows], dtype: .float64)
    let rstd = Tensor(empty: [rows], dtype: .float64)
    func run<T: FloatingElement>(_: T.Type) {
      let source = UnsafePointer(x.basePointer(T.self) + x.offset)
      let target = y.basePointer(T.self)
      let w = weight.map { UnsafePointer($0.basePointer(T.self) + $0.offset) }
      let b = bias.map { UnsafePointer($0.basePointer(T.self) + $0.offset) }
      let (means, scales) = (mean.basePointer(Double.self), rstd.basePointer(Double.self))
      Threading.forEachRange(rows, minimumPerThread: Swift.max(1, 16384 / n)) { range in
        for r in range {
          let (row, result) = (source + r * n, target + r * n)
          let mu = sumRun(row, n) / Double(n)
          var squares = 0.0
          for j in 0..<n {
            let d = Double(row[j]) - mu
            squares += d * d
          }
          let scale = 1 / (squares / Double(n) + epsilon).squareRoot()
          (means[r], scales[r]) = (mu, scale)
          let (shift, factor) = (T(mu), T(scale))
          for j in 0..<n {
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
    let dx = needs.0 ? Tensor(empty: x.shape, dtype: x.dtype) : nil
    var weightSums = [Double](repeating: 0, count: needs.1 ? n : 0)
    var biasSums = [Double](repeating: 0, count: needs.2 ? n : 0)
    func run<T: FloatingElement>(_: T.Type) {
      let (gradient, source) = (
        UnsafePointer(g.basePointer(T.self) + g.offset), UnsafePointer(x.basePointer(T.self) + x.offset)
      )
      let w = weight.map { UnsafePointer($0.basePointer(T.self) + $0.offset) }
      let (means, scales) = (UnsafePointer(mean.basePointer(Double.self)), UnsafePointer(rstd.basePointer(Double.self)))
      if let dx {
        let target = dx.basePointer(T.self)
        Threading.forEachRange(rows, minimumPerThread: Swift.max(1, 16384 / n)) { range in
          for r in range {
            let (gRow, row, result) = (gradient + r * n, source + r * n, target + r * n)
            let (mu, scale) = (means[r], scales[r])
            var (sumG, sumGX) = (0.0, 0.0)
            for j in 0..<n {
              let gHat = Double(gRow[j]) * (w.map { Double($0[j]) } ?? 1)
              sumG += gHat
              sumGX += gHat * (Double(row[j]) - mu) * scale
            }
            let (meanG, meanGX) = (sumG / Double(n), sumGX / Double(n))
            for j in 0..<n {
              let gHat = Double(gRow[j]) * (w.map { Double($0[j]) } ?? 1)
              let xHat = (Double(row[j]) - mu) * scale
              result[j] = T(scale * (gHat - meanG - xHat * meanGX))
            }
          }
        }
      }
      if needs.1 || needs.2 {
        for r in 0..<rows {
          let (gRow, row) = (gradient + r * n, source + r * n)
          let (mu, scale) = (means[r], scales[r])
          for j in 0..<n {
            if needs.1 { weightSums[j] += Double(gRow[j]) * (Double(row[j]) - mu) * scale }
            if needs.2 { biasSums[j] += Double(gRow[j]) }
          }
        }
      }
    }
    if x.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    func tensor(_ sums: [Double]) -> Tensor { Tensor(sums, shape: [n], dtype: x.dtype) }
    return (dx, needs.1 ? tensor(weightSums) : nil, needs.2 ? tensor(biasSums) : nil)
  }

  private static func contiguous(_ t: Tensor) -> Tensor { t.isContiguous ? t : contiguousCopy(t) }
}
