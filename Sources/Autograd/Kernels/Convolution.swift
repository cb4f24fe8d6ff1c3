/// The geometry of a 2-D sliding window: kernel size, stride, padding and dilation per axis.
struct Window2D: Sendable, Equatable {
  var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)

  static func == (a: Window2D, b: Window2D) -> Bool {
    a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
  }

  /// The number of window positions along an axis of `size`, PyTorch's formula.
  func outputSize(_ size: (Int, Int)) -> (Int, Int) {
    ((size.0 + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1,
     (size.1 + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1)
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
      let src = source.basePointer(T.self) + source.offset, dst = out.basePointer(T.self)
      let pad = T(padValue)
      var o = 0
      for b in 0..<n {
        for ch in 0..<c {
          let plane = src + (b * c + ch) * h * wd
          for ki in 0..<kh {
            for kj in 0..<kw {
              for y in 0..<oh {
                let iy = y * w.stride.0 - w.padding.0 + ki * w.dilation.0
                let rowInside = iy >= 0 && iy < h
                for xo in 0..<ow {
                  let ix = xo * w.stride.1 - w.padding.1 + kj * w.dilation.1
                  dst[o] = rowInside && ix >= 0 && ix < wd ? plane[iy * wd + ix] : pad
                  o += 1
                }
              }
            }
          }
        }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: preconditionFailure("unfold: expected a floating-point tensor, got \(x.dtype)")
    }
    return out
  }

  /// col2im, the adjoint of `unfold`: adds each column's values back to the input positions they
  /// came from, giving `[N, C, H, W]` for an input of spatial size `size`.
  static func fold(_ cols: Tensor, channels c: Int, size: (Int, Int), _ w: Window2D) -> Tensor {
    let source = cols.isContiguous ? cols : contiguousCopy(cols)
    let n = cols.shape[0], (h, wd) = size
    let (oh, ow) = w.outputSize(size)
    let (kh, kw) = w.kernel
    let out = Tensor.zeros([n, c, h, wd], dtype: cols.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset, dst = out.basePointer(T.self)
      var o = 0
      for b in 0..<n {
        for ch in 0..<c {
          let plane = dst + (b * c + ch) * h * wd
          for ki in 0..<kh {
            for kj in 0..<kw {
              for y in 0..<oh {
                let iy = y * w.stride.0 - w.padding.0 + ki * w.dilation.0
                for xo in 0..<ow {
                  let ix = xo * w.stride.1 - w.padding.1 + kj * w.dilation.1
                  if iy >= 0 && iy < h && ix >= 0 && ix < wd { plane[iy * wd + ix] += src[o] }
                  o += 1
                }
              }
            }
          }
        }
      }
    }
    switch cols.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: preconditionFailure("fold: expected a floating-point tensor, got \(cols.dtype)")
    }
    return out
  }
}

extension Tensor {
  /// Sliding windows of a `[N, C, H, W]` tensor as columns `[N, C·kh·kw, Ho·Wo]` (PyTorch's `unfold`).
  /// Backward: `folded`.
  func unfolded(_ w: Window2D, padValue: Double = 0) -> Tensor {
    Kernels.unfold(self, w, padValue: padValue).recorded("Im2ColBackward", inputs: [self]) { [c = shape[1], size = (shape[2], shape[3])] g, _, _ in
      [g.folded(channels: c, size: size, w)]
    }
  }

  /// Columns summed back into a `[N, C, H, W]` tensor (PyTorch's `fold`). Backward: `unfolded`.
  func folded(channels: Int, size: (Int, Int), _ w: Window2D) -> Tensor {
    Kernels.fold(self, channels: channels, size: size, w).recorded("Col2ImBackward", inputs: [self]) { g, _, _ in
      [g.unfolded(w)]
    }
  }
}
