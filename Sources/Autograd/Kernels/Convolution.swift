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
    var column = 0
    for plane in 0..<(n * c) {
      for ki in 0..<kernel.0 {
        for kj in 0..<kernel.1 {
          forEachPosition(plane: plane, tap: (ki, kj), size: size, column: &column, body)
        }
      }
    }
  }

  /// The same taps in the order of `unfoldAcrossBatch` (`[C·kh·kw, N·Ho·Wo]`): one row per tap of
  /// a channel, with the window positions of every sample of the batch along it.
  @inline(__always)
  func forEachTapAcrossBatch(
    batch n: Int, channels c: Int, size: (Int, Int), _ body: (_ column: Int, _ input: Int) -> Void
  ) {
    var column = 0
    for channel in 0..<c {
      for ki in 0..<kernel.0 {
        for kj in 0..<kernel.1 {
          for sample in 0..<n {
            forEachPosition(plane: sample * c + channel, tap: (ki, kj), size: size, column: &column, body)
          }
        }
      }
    }
  }

  /// One tap of one plane at every window position, counting `column` up from where it stands.
  @inline(__always)
  private func forEachPosition(
    plane: Int, tap: (Int, Int), size: (Int, Int), column: inout Int, _ body: (_ column: Int, _ input: Int) -> Void
  ) {
    let (h, wd) = size
    let (oh, ow) = outputSize(size)
    let base = plane * h * wd
    for y in 0..<oh {
      let iy = y * stride.0 - padding.0 + tap.0 * dilation.0
      let rowInside = iy >= 0 && iy < h
      for xo in 0..<ow {
        let ix = xo * stride.1 - padding.1 + tap.1 * dilation.1
        body(column, rowInside && ix >= 0 && ix < wd ? base + iy * wd + ix : -1)
        column += 1
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
  /// (`padValue` outside the input); `acrossBatch` lays them out as `[C·kh·kw, N·Ho·Wo]`, so that
  /// a convolution of the whole batch is one matrix product.
  static func unfold(_ x: Tensor, _ w: Window2D, padValue: Double = 0, acrossBatch: Bool = false) -> Tensor {
    let source = x.isContiguous ? x : contiguousCopy(x)
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = w.outputSize((h, wd))
    let (kh, kw) = w.kernel
    let out = Tensor(
      empty: acrossBatch ? [c * kh * kw, n * oh * ow] : [n, c * kh * kw, oh * ow], dtype: x.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      let pad = T(padValue)
      let write = { (column: Int, input: Int) in dst[column] = input >= 0 ? src[input] : pad }
      if acrossBatch {
        w.forEachTapAcrossBatch(batch: n, channels: c, size: (h, wd), write)
      } else {
        w.forEachTap(batch: n, channels: c, size: (h, wd), write)
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
  /// came from, giving `[N, C, H, W]` for an input of spatial size `size` (`batch` samples, from
  /// columns laid out `acrossBatch`).
  static func fold(
    _ cols: Tensor, channels c: Int, size: (Int, Int), _ w: Window2D, acrossBatch batch: Int? = nil
  ) -> Tensor {
    let source = cols.isContiguous ? cols : contiguousCopy(cols)
    let n = batch ?? cols.shape[0]
    let (h, wd) = size
    let out = Tensor.zeros([n, c, h, wd], dtype: cols.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      let add = { (column: Int, input: Int) in if input >= 0 { dst[input] += src[column] } }
      if batch != nil {
        w.forEachTapAcrossBatch(batch: n, channels: c, size: (h, wd), add)
      } else {
        w.forEachTap(batch: n, channels: c, size: (h, wd), add)
      }
    }
    switch cols.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: trap("fold: expected a floating-point tensor, got \(cols.dtype)")
    }
    return out
  }

  /// A whole batch's 2-D convolution (groups 1) as one product: `x` `[N, C, H, W]`, `weight`
  /// `[O, C·kh·kw]` (any strides), the columns of `x` from `unfold(acrossBatch:)`; the result is
  /// `[N, O, Ho, Wo]`, with `bias` `[O]` added on the way into that layout.
  static func conv2d(columns: Tensor, weight: Tensor, bias: Tensor?, batch n: Int, outputSize: (Int, Int)) -> Tensor {
    let o = weight.shape[0]
    let positions = outputSize.0 * outputSize.1
    let products = matmul(weight, columns)  // [O, N·L]
    let out = Tensor(empty: [n, o, outputSize.0, outputSize.1], dtype: columns.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = products.basePointer(T.self)
      let dst = out.basePointer(T.self)
      let b = bias.map { $0.isContiguous ? $0 : contiguousCopy($0) }
      let biasValues = b.map { $0.basePointer(T.self) + $0.offset }
      for channel in 0..<o {
        let shift = biasValues?[channel] ?? 0
        for sample in 0..<n {
          let from = src + (channel * n + sample) * positions
          let to = dst + (sample * o + channel) * positions
          for l in 0..<positions { to[l] = from[l] + shift }
        }
      }
    }
    switch columns.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
    return out
  }

  /// A tensor's values as a `[rows, count / rows]` matrix, unrecorded (copied if not contiguous).
  static func matrix(_ x: Tensor, rows: Int) -> Tensor {
    (x.isContiguous ? x : contiguousCopy(x)).viewed(as: [rows, rows == 0 ? 0 : x.count / rows])
  }

  /// `[N, O, L...]` as a contiguous `[O, N·L]`: a convolution's output gradient in the layout of
  /// its product.
  static func channelsFirst(_ g: Tensor) -> Tensor {
    let source = g.isContiguous ? g : contiguousCopy(g)
    let (n, o) = (g.shape[0], g.shape[1])
    let positions = n * o == 0 ? 0 : g.count / (n * o)
    let permuted = Tensor(
      storage: source.storage, shape: [o, n, positions], strides: [positions, o * positions, 1],
      offset: source.offset)
    return contiguousCopy(permuted).viewed(as: [o, n * positions])
  }
}
