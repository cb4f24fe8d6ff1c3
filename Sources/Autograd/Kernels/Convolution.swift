/// The geometry of a 2-D sliding window: kernel size, stride, padding and dilation per axis.
struct Window2D: Sendable, Equatable {
  var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)

  static func == (a: Window2D, b: Window2D) -> Bool {
    a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
  }

  /// Walks every tap of every window over `[batch, channels, size]` inputs in the column order of
  /// `unfold` (`[N, C·kh·kw, Ho·Wo]`), passing each tap's column index and the flat index of the
  /// input value it reads, or -1 where it falls in the padding. `unfold` and `fold` share it.
  @inline(__always)
  func forEachTap(batch n: Int, channels c: Int, size: (Int, Int), _ body: (_ column: Int, _ input: Int) -> Void) {
    let (h, wd) = size
    let (oh, ow) = outputSize(size)
    var column = 0
    for plane in 0..<(n * c) {
      let base = plane * h * wd
      for ki in 0..<kernel.0 {
        for kj in 0..<kernel.1 {
          for y in 0..<oh {
            let iy = y * stride.0 - padding.0 + ki * dilation.0
            let rowInside = iy >= 0 && iy < h
            for xo in 0..<ow {
              let ix = xo * stride.1 - padding.1 + kj * dilation.1
              body(column, rowInside && ix >= 0 && ix < wd ? base + iy * wd + ix : -1)
              column += 1
            }
          }
        }
      }
    }
  }

  /// The number of window positions along an axis of `size`, PyTorch's formula.
  func outputSize(_ size: (Int, Int)) -> (Int, Int) {
    (
      (size.0 + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1,
      (size.1 + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
    )
  }
}

extension Kernels {
  /// im2col: `[N, C, H, W]` to `[N, C·kh·kw, Ho·Wo]`, each column one window position's values
  /// (`padValue` outside the input).
  static func unfold(_ x: Tensor, _ w: Window2D, padValue: Double = 0) -> Tensor {
    let source = x.isContiguous ? x : contiguousCopy(x)
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = w.outputSize((h, wd))
    let (kh, kw) = w.kernel
    let out = Tensor(empty: [n, c * kh * kw, oh * ow], dtype: x.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      let pad = T(padValue)
      w.forEachTap(batch: n, channels: c, size: (h, wd)) { column, input in dst[column] = input >= 0 ? src[input] : pad
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: trap("unfold: expected a floating-point tensor, got \(x.dtype)")
    }
    return out
  }

  /// col2im, the adjoint of `unfold`: adds each column's values back to the input positions they
  /// came from, giving `[N, C, H, W]` for an input of spatial size `size`.
  static func fold(_ cols: Tensor, channels c: Int, size: (Int, Int), _ w: Window2D) -> Tensor {
    let source = cols.isContiguous ? cols : contiguousCopy(cols)
    let n = cols.shape[0]
    let (h, wd) = size
    let out = Tensor.zeros([n, c, h, wd], dtype: cols.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      w.forEachTap(batch: n, channels: c, size: (h, wd)) { column, input in if input >= 0 { dst[input] += src[column] }
      }
    }
    switch cols.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: trap("fold: expected a floating-point tensor, got \(cols.dtype)")
    }
    return out
  }
}
