extension Kernels {
  /// The maximum of every window of a `[N, C, H, W]` tensor, `[N, C, Ho, Wo]`, with the position
  /// in its plane (`y·W + x`) that each came from, as int64.
  ///
  /// As PyTorch's kernel: a window starts at its first tap inside the input, and a later tap
  /// replaces it when larger or NaN, so ties go to the first maximum and a NaN wins. Taps in the
  /// padding are never chosen.
  static func maxPool2d(_ x: Tensor, _ w: Window2D) -> (values: Tensor, indices: Tensor) {
    let source = x.isContiguous ? x : contiguousCopy(x)
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = w.outputSize((h, wd))
    let values = Tensor(empty: [n, c, oh, ow], dtype: x.dtype)
    let indices = Tensor(empty: [n, c, oh, ow], dtype: .int64)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let (dst, origins) = (values.basePointer(T.self), indices.basePointer(Int64.self))
      var out = 0
      for plane in 0..<(n * c) {
        let input = src + plane * h * wd
        for y in 0..<oh {
          for xo in 0..<ow {
            var best = -T.infinity
            var index = -1
            for ki in 0..<w.kernel.0 {
              let iy = y * w.stride.0 - w.padding.0 + ki * w.dilation.0
              guard iy >= 0 && iy < h else { continue }
              for kj in 0..<w.kernel.1 {
                let ix = xo * w.stride.1 - w.padding.1 + kj * w.dilation.1
                guard ix >= 0 && ix < wd else { continue }
                let value = input[iy * wd + ix]
                if index < 0 || value > best || value.isNaN {
                  (best, index) = (value, iy * wd + ix)
                }
              }
            }
            dst[out] = best
            origins[out] = Int64(index)
            out += 1
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

  /// The adjoint of `maxPool2d`: each output's gradient added at the input position it came from,
  /// giving `[N, C, H, W]` of spatial size `size`.
  static func maxPool2dBackward(_ g: Tensor, indices: Tensor, size: (Int, Int)) -> Tensor {
    let source = g.isContiguous ? g : contiguousCopy(g)
    let (n, c) = (g.shape[0], g.shape[1])
    let planeSize = size.0 * size.1
    let positions = g.shape[2] * g.shape[3]
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
