extension Kernels {
  /// Whether `unfold(acrossBatch:)` and `fold(acrossBatch:)` can take `unfoldShifted` and
  /// `foldShifted`: stride 1, and output rows as wide as the input's (a "same" convolution, as
  /// 3 x 3 with padding 1).
  static func unfoldsShifted(_ w: Window2D, size: (Int, Int)) -> Bool {
    w.stride == (1, 1) && w.outputSize(size).1 == size.1
  }

  /// im2col across the batch (`[C·kh·kw, N·Ho·Wo]`) for the windows of `unfoldsShifted`: there a
  /// tap's plane of window positions is its input plane shifted by a constant, so the rows that
  /// fall in the input are one block copy. The values the copy brings in from the neighbouring
  /// input rows, where the tap's columns fall in the padding, are then overwritten with `pad`.
  /// Row by row, copies of a few values each cost more in loop overhead than in copying.
  static func unfoldShifted<T: FloatingElement>(
    _ src: UnsafePointer<T>, into dst: UnsafeMutablePointer<T>, taps: Range<Int>, batch n: Int, channels c: Int,
    size: (Int, Int), window w: Window2D, pad: T
  ) {
    let (h, wd) = size
    let (oh, ow) = w.outputSize(size)
    let plane = oh &* ow
    for tap in taps {
      let (channel, rows, columns, shift) = shiftedTap(tap, window: w, size: size)
      // Positions lo..<hi: from the first inside to the last inside, padding columns between
      // (none when the tap reads only padding).
      let readsInput = !rows.isEmpty && !columns.isEmpty
      let lo = readsInput ? rows.lowerBound &* ow &+ columns.lowerBound : 0
      let hi = readsInput ? (rows.upperBound &- 1) &* ow &+ columns.upperBound : 0
      for sample in 0..<n {
        let out = dst + (tap &* n &+ sample) &* plane
        let input = src + (sample &* c &+ channel) &* h &* wd
        out.update(repeating: pad, count: lo)
        (out + lo).update(from: input + (lo &+ shift), count: hi &- lo)
        (out + hi).update(repeating: pad, count: plane &- hi)
        guard readsInput && columns.count < ow else { continue }
        for y in rows {
          let row = out + y &* ow
          for x in 0..<columns.lowerBound { row[x] = pad }
          for x in columns.upperBound..<ow { row[x] = pad }
        }
      }
    }
  }

  /// col2im from `[C·kh·kw, N·Ho·Wo]` for the windows of `unfoldsShifted`, the adjoint of
  /// `unfoldShifted`: each tap's rows added to its input plane at a constant shift, without the
  /// walk's per-row arithmetic. The taps of `channels` only; the values are added in the walk's
  /// order (tap, then sample, then row), so the sums are the same to the bit.
  static func foldShifted<T: FloatingElement>(
    _ src: UnsafePointer<T>, into dst: UnsafeMutablePointer<T>, taking channels: Range<Int>, batch n: Int,
    channels c: Int, size: (Int, Int), window w: Window2D
  ) {
    let (h, wd) = size
    let (oh, ow) = w.outputSize(size)
    let (plane, tapsPerChannel) = (oh &* ow, w.kernel.0 &* w.kernel.1)
    for tap in (channels.lowerBound &* tapsPerChannel)..<(channels.upperBound &* tapsPerChannel) {
      let (channel, rows, columns, shift) = shiftedTap(tap, window: w, size: size)
      for sample in 0..<n {
        let from = src + (tap &* n &+ sample) &* plane
        let to = (sample &* c &+ channel) &* h &* wd &+ shift  // an index: it may lie before the plane
        for y in rows {
          let (row, target) = (from + y &* ow, to &+ y &* ow)
          for x in columns { dst[target &+ x] += row[x] }
        }
      }
    }
  }

  /// One tap of `unfoldShifted` and `foldShifted`: its input channel, the rows and columns of
  /// window positions at which it reads the input, and the input index minus the position.
  @inline(__always)
  private static func shiftedTap(_ tap: Int, window w: Window2D, size: (Int, Int))
    -> (channel: Int, rows: Range<Int>, columns: Range<Int>, shift: Int)
  {
    let (oh, ow) = w.outputSize(size)
    let tapsPerChannel = w.kernel.0 &* w.kernel.1
    let (channel, ki, kj) = (tap / tapsPerChannel, tap % tapsPerChannel / w.kernel.1, tap % w.kernel.1)
    // The input row and column that window position (0, 0) reads with this tap.
    let (top, left) = (ki &* w.dilation.0 &- w.padding.0, kj &* w.dilation.1 &- w.padding.1)
    let rows = Window2D.positions(reading: 0..<size.0, from: top, stride: 1, count: oh)
    let columns = Window2D.positions(reading: 0..<size.1, from: left, stride: 1, count: ow)
    return (channel, rows, columns, top &* size.1 &+ left)
  }
}
