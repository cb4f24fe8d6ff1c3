extension Kernels {
  /// The maximum of every window of a `[N, C, H, W]` tensor, `[N, C, Ho, Wo]`, with the position
  /// in its plane (`y·W + x`) that each came from, as int64.
  ///
  /// As PyTorch's kernel: a window starts at its first tap inside the input, and a later tap
  /// replaces it when larger or NaN, so ties go to the first maximum and the last NaN wins. Taps in the
  /// padding are never chosen; a window with none inside is -∞ with position -1.
  static func maxPool2d(_ x: Tensor, _ w: Window2D) -> (values: Tensor, indices: Tensor) {
    let source = x.isContiguous ? x : contiguousCopy(x)
    let (n, c, h, wd) = (x.shapeDims[0], x.shapeDims[1], x.shapeDims[2], x.shapeDims[3])
    let (oh, ow) = w.outputSize((h, wd))
    let values = Tensor(empty: [n, c, oh, ow], dtype: x.dtype)
    let indices = Tensor(empty: [n, c, oh, ow], dtype: .int64)
    let tapsPerPlane = Swift.max(1, oh * ow * w.kernel.0 * w.kernel.1)
    let minimumPlanes = Swift.max(1, windowElementsPerThread / tapsPerPlane)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let (dst, origins) = (values.basePointer(T.self), indices.basePointer(Int64.self))
      if w.kernel == (2, 2) && w.padding == (0, 0) && w.dilation == (1, 1) {
        // The usual windows, wholly inside the input: no tables of taps.
        Threading.forEachRange(n * c, minimumPerThread: minimumPlanes) { planes in
          pool2x2(src, dst, origins, planes: planes, size: (h, wd), output: (oh, ow), stride: w.stride)
        }
        return
      }
      // Which taps of each window fall inside the input, per output row and column, worked out
      // once (a division each) rather than per window.
      let rowTaps = (0..<oh).map {
        Window2D.positions(
          reading: 0..<h, from: $0 * w.stride.0 - w.padding.0, stride: w.dilation.0, count: w.kernel.0)
      }
      let columnTaps = (0..<ow).map {
        Window2D.positions(
          reading: 0..<wd, from: $0 * w.stride.1 - w.padding.1, stride: w.dilation.1, count: w.kernel.1)
      }
      // Planes split between threads.
      Threading.forEachRange(n * c, minimumPerThread: minimumPlanes) { planes in
        var out = planes.lowerBound * oh * ow
        for plane in planes {
          let input = src + plane * h * wd
          for y in 0..<oh {
            let top = y * w.stride.0 - w.padding.0
            let rows = rowTaps[y]
            for xo in 0..<ow {
              let left = xo * w.stride.1 - w.padding.1
              let columns = columnTaps[xo]
              guard !rows.isEmpty && !columns.isEmpty else {
                // A window wholly in the padding (dilation can make one): -∞, and no gradient.
                (dst[out], origins[out]) = (-T.infinity, -1)
                out += 1
                continue
              }
              var index = (top + rows.lowerBound * w.dilation.0) * wd + left + columns.lowerBound * w.dilation.1
              var best = input[index]
              var lastNaN = -1
              for ki in rows {
                let row = (top &+ ki &* w.dilation.0) &* wd &+ left
                for kj in columns {
                  let tap = row &+ kj &* w.dilation.1
                  let value = input[tap]
                  // Selects rather than branches: which tap is larger is a coin toss on real data.
                  index = value > best ? tap : index
                  best = value > best ? value : best
                  lastNaN = value.isNaN ? tap : lastNaN
                }
              }
              // A NaN replaces the maximum wherever it stands, and the last one is kept.
              if lastNaN >= 0 { (best, index) = (input[lastNaN], lastNaN) }
              dst[out] = best
              origins[out] = Int64(index)
              out += 1
            }
          }
        }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
    return (values, indices)
  }

  /// `maxPool2d`'s planes `planes` for 2 x 2 windows without padding or dilation, the usual ones:
  /// the two pairs of a window compared side by side, then their winners, rather than four taps in
  /// a row (each comparison waited for the one before). The first maximum still wins a tie; a NaN,
  /// rare, is looked for only when the sum of the four is NaN.
  private static func pool2x2<T: FloatingElement>(
    _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ origins: UnsafeMutablePointer<Int64>,
    planes: Range<Int>, size: (Int, Int), output: (Int, Int), stride: (Int, Int)
  ) {
    let (h, wd) = size
    var out = planes.lowerBound &* output.0 &* output.1
    for plane in planes {
      let input = src + plane &* h &* wd
      for y in 0..<output.0 {
        for xo in 0..<output.1 {
          let i0 = y &* stride.0 &* wd &+ xo &* stride.1
          let i2 = i0 &+ wd
          let (a, b, c, d) = (input[i0], input[i0 &+ 1], input[i2], input[i2 &+ 1])
          // Values and indices chosen apart, each a select of one number, so that nothing
          // branches on a comparison (a pair of tuples chosen by `?:` became branches,
          // mispredicted half the time on real data). A tie keeps the first tap, -0 before +0.
          let (right, lowerRight) = (b > a, d > c)
          let (top, bottom) = (right ? b : a, lowerRight ? d : c)
          let lower = bottom > top
          var best = lower ? bottom : top
          var index = lower ? i2 &+ (lowerRight ? 1 : 0) : i0 &+ (right ? 1 : 0)
          if (a + b + c + d).isNaN {
            // The last NaN wins, as in the taps' order (the sum may be NaN from ∞ - ∞ alone).
            if a.isNaN { (best, index) = (a, i0) }
            if b.isNaN { (best, index) = (b, i0 &+ 1) }
            if c.isNaN { (best, index) = (c, i2) }
            if d.isNaN { (best, index) = (d, i2 &+ 1) }
          }
          dst[out] = best
          origins[out] = Int64(index)
          out &+= 1
        }
      }
    }
  }

  /// The adjoint of `maxPool2d`: each output's gradient added at the input position it came from,
  /// giving `[N, C, H, W]` of spatial size `size`.
  static func maxPool2dBackward(_ g: Tensor, indices: Tensor, size: (Int, Int)) -> Tensor {
    let source = g.isContiguous ? g : contiguousCopy(g)
    let (n, c) = (g.shapeDims[0], g.shapeDims[1])
    let planeSize = size.0 * size.1
    let positions = g.shapeDims[2] * g.shapeDims[3]
    let out = Tensor(empty: [n, c, size.0, size.1], dtype: g.dtype, zeroed: true)
    func run<T: FloatingElement>(_: T.Type) {
      let (src, dst) = (source.basePointer(T.self) + source.offset, out.basePointer(T.self))
      let from = indices.basePointer(Int64.self)
      for plane in 0..<(n * c) {
        for l in 0..<positions {
          let i = plane * positions + l
          if from[i] >= 0 { dst[plane * planeSize + Int(from[i])] += src[i] }
        }
      }
    }
    switch g.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
    return out
  }
}
