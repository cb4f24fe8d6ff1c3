/// The geometry of a 2-D sliding window: kernel size, stride, padding and dilation per axis.
struct Window2D: Sendable, Equatable {
  var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)

  static func == (a: Window2D, b: Window2D) -> Bool {
    a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
  }

  /// Walks every tap of every window over `[batch, channels, size]` inputs in the column order of
  /// `unfold` (`[N, C·kh·kw, Ho·Wo]`), one row of Wo columns at a time: `body` gets the row's first
  /// column, the window positions `inside` whose tap falls in the input, and the flat input index
  /// `first` that position 0 would read (position x reads `first + x·stride.1`; the others fall in
  /// the padding). `unfold` and `fold` share it.
  @inline(__always)
  func forEachTapRow(
    batch n: Int, channels c: Int, size: (Int, Int), _ body: (_ column: Int, _ inside: Range<Int>, _ first: Int) -> Void
  ) {
    var column = 0
    for plane in 0..<(n * c) {
      for ki in 0..<kernel.0 {
        for kj in 0..<kernel.1 {
          forEachRow(plane: plane, tap: (ki, kj), size: size, column: &column, body)
        }
      }
    }
  }

  /// The same rows in the order of `unfold(acrossBatch:)` (`[C·kh·kw, N·Ho·Wo]`): one row of the
  /// matrix per tap of a channel, with the window positions of every sample of the batch along it.
  /// `taps` picks a range of those rows (channel-major, then kernel row, then kernel column; all of
  /// them by default), so that threads can share the walk.
  @inline(__always)
  func forEachTapRowAcrossBatch(
    batch n: Int, channels c: Int, size: (Int, Int), taps: Range<Int>? = nil,
    _ body: (_ column: Int, _ inside: Range<Int>, _ first: Int) -> Void
  ) {
    let (oh, ow) = outputSize(size)
    let tapsPerChannel = kernel.0 * kernel.1
    for tap in taps ?? 0..<(c * tapsPerChannel) {
      let (channel, ki, kj) = (tap / tapsPerChannel, tap % tapsPerChannel / kernel.1, tap % kernel.1)
      var column = tap &* n &* oh &* ow
      for sample in 0..<n {
        forEachRow(plane: sample &* c &+ channel, tap: (ki, kj), size: size, column: &column, body)
      }
    }
  }

  /// One tap of one plane at every window position, a row at a time, counting `column` on.
  ///
  /// Unchecked arithmetic: the indices are in range by construction, and the rows are short (a
  /// few values on small images), so the checks were a large part of each.
  @inline(__always)
  private func forEachRow(
    plane: Int, tap: (Int, Int), size: (Int, Int), column: inout Int,
    _ body: (_ column: Int, _ inside: Range<Int>, _ first: Int) -> Void
  ) {
    let (h, wd) = size
    let (oh, ow) = outputSize(size)
    let shift = tap.1 &* dilation.1 &- padding.1  // the input column of position 0
    let inside = Self.positions(reading: 0..<wd, from: shift, stride: stride.1, count: ow)
    let top = tap.0 &* dilation.0 &- padding.0  // the input row of position 0
    let first = plane &* h &* wd &+ shift
    for y in 0..<oh {
      let iy = y &* stride.0 &+ top
      body(column, iy >= 0 && iy < h ? inside : 0..<0, first &+ iy &* wd)
      column &+= ow
    }
  }

  /// The positions x in 0..<count whose `start + x·stride` lies in `range`.
  static func positions(reading range: Range<Int>, from start: Int, stride: Int, count: Int) -> Range<Int> {
    // The smallest x with start + x·stride >= lowerBound, and the first past the upper bound.
    let low = start >= range.lowerBound ? 0 : (range.lowerBound - start + stride - 1) / stride
    let high = start >= range.upperBound ? 0 : (range.upperBound - 1 - start) / stride + 1
    let clampedHigh = Swift.min(count, high)
    return Swift.min(low, clampedHigh)..<clampedHigh
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
  /// The fewest elements (or pooling taps) of im2col, col2im, a convolution's output layout or
  /// pooling worth a thread of their own: a few microseconds of copying, against about one to
  /// start a spinning worker.
  static let windowElementsPerThread = 8192

  /// im2col: `[N, C, H, W]` to `[N, C·kh·kw, Ho·Wo]`, each column one window position's values
  /// (`padValue` outside the input); `acrossBatch` lays them out as `[C·kh·kw, N·Ho·Wo]`, so that
  /// a convolution of the whole batch is one matrix product.
  static func unfold(_ x: Tensor, _ w: Window2D, padValue: Double = 0, acrossBatch: Bool = false) -> Tensor {
    let source = x.isContiguous ? x : contiguousCopy(x)
    let (n, c, h, wd) = (x.shapeDims[0], x.shapeDims[1], x.shapeDims[2], x.shapeDims[3])
    let (oh, ow) = w.outputSize((h, wd))
    let (kh, kw) = w.kernel
    let out = Tensor(
      empty: acrossBatch ? [c * kh * kw, n * oh * ow] : [n, c * kh * kw, oh * ow], dtype: x.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      let pad = T(padValue)
      // Unchecked arithmetic in the copies: the indices are in range by construction, and an
      // overflow check per element kept the loops from being vectorized.
      let step = w.stride.1
      let write = { (column: Int, inside: Range<Int>, first: Int) in
        let row = dst + column
        for x in 0..<inside.lowerBound { row[x] = pad }
        if step == 1 {
          for x in inside { row[x] = src[first &+ x] }
        } else {
          for x in inside { row[x] = src[first &+ x &* step] }
        }
        for x in inside.upperBound..<ow { row[x] = pad }
      }
      if acrossBatch {
        // Rows of the matrix split between threads.
        let rowLength = Swift.max(1, n * oh * ow)
        Threading.forEachRange(c * kh * kw, minimumPerThread: Swift.max(1, windowElementsPerThread / rowLength)) {
          taps in
          if unfoldsShifted(w, size: (h, wd)) {
            unfoldShifted(src, into: dst, taps: taps, batch: n, channels: c, size: (h, wd), window: w, pad: pad)
          } else {
            w.forEachTapRowAcrossBatch(batch: n, channels: c, size: (h, wd), taps: taps, write)
          }
        }
      } else {
        w.forEachTapRow(batch: n, channels: c, size: (h, wd), write)
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
    let n = batch ?? cols.shapeDims[0]
    let (h, wd) = size
    let out = Tensor.zeros([n, c, h, wd], dtype: cols.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = source.basePointer(T.self) + source.offset
      let dst = out.basePointer(T.self)
      let step = w.stride.1
      let add = { (column: Int, inside: Range<Int>, first: Int) in
        let row = src + column
        if step == 1 {
          for x in inside { dst[first &+ x] += row[x] }
        } else {
          for x in inside { dst[first &+ x &* step] += row[x] }
        }
      }
      if batch != nil {
        // Channels split between threads: a channel's taps add into its own planes alone, in the
        // same order on any number of threads.
        let (oh, ow) = w.outputSize(size)
        let taps = w.kernel.0 * w.kernel.1
        Threading.forEachRange(
          c, minimumPerThread: Swift.max(1, windowElementsPerThread / Swift.max(1, taps * n * oh * ow))
        ) {
          channels in
          if unfoldsShifted(w, size: size) {
            foldShifted(src, into: dst, taking: channels, batch: n, channels: c, size: size, window: w)
          } else {
            let rows = (channels.lowerBound * taps)..<(channels.upperBound * taps)
            w.forEachTapRowAcrossBatch(batch: n, channels: c, size: (h, wd), taps: rows, add)
          }
        }
      } else {
        w.forEachTapRow(batch: n, channels: c, size: (h, wd), add)
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
    let o = weight.shapeDims[0]
    let positions = outputSize.0 * outputSize.1
    let products = matmul(weight, columns)  // [O, N·L]
    let out = Tensor(empty: [n, o, outputSize.0, outputSize.1], dtype: columns.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let src = products.basePointer(T.self)
      let dst = out.basePointer(T.self)
      let b = bias.map { $0.isContiguous ? $0 : contiguousCopy($0) }
      let biasValues = b.map { $0.basePointer(T.self) + $0.offset }
      Threading.forEachRange(o, minimumPerThread: Swift.max(1, windowElementsPerThread / Swift.max(1, n * positions))) {
        channels in
        for channel in channels {
          let shift = biasValues?[channel] ?? 0
          for sample in 0..<n {
            let from = src + (channel * n + sample) * positions
            let to = dst + (sample * o + channel) * positions
            for l in 0..<positions { to[l] = from[l] + shift }
          }
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

  /// A convolution's output gradient `[N, O, Ho, Wo]` as a contiguous `[O, N·Ho·Wo]`, the layout of
  /// its product: one copy through a permuted view, whatever the gradient's strides.
  static func channelsFirst(_ g: Tensor) -> Tensor {
    let (n, o, oh, ow) = (g.shapeDims[0], g.shapeDims[1], g.shapeDims[2], g.shapeDims[3])
    let permuted = Tensor(
      storage: g.storage, shape: [o, n, oh, ow],
      strides: [g.strideDims[1], g.strideDims[0], g.strideDims[2], g.strideDims[3]],
      offset: g.offset)
    return contiguousCopy(permuted).viewed(as: [o, n * oh * ow])
  }
}
