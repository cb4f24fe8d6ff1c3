/// How `padded` fills the new border.
public enum PaddingMode: Sendable, Equatable {
  /// A constant value.
  case constant(Double)
  /// The mirror image of the values next to the edge, without repeating the edge.
  case reflect
  /// The edge value, repeated.
  case replicate
}

/// Ops that rearrange or repeat elements, composed from views, index selection and `cat`, so
/// their gradients come from those.
extension Tensor {
  /// Axes `startAxis` through `endAxis` merged into one.
  public func flattened(startAxis: Int, endAxis: Int = -1) -> Tensor {
    if rank == 0 { return reshaped(to: [1]) }
    let a = Shape.axis(startAxis, rank: rank, op: "flatten")
    let b = Shape.axis(endAxis, rank: rank, op: "flatten")
    trapUnless(a <= b, "flatten: startAxis \(startAxis) comes after endAxis \(endAxis)")
    return reshaped(to: Array(shapeDims[..<a]) + [shapeDims[a...b].reduce(1, *)] + Array(shapeDims[(b + 1)...]))
  }

  /// `axis` split into axes of `sizes` (one may be -1).
  public func unflattened(axis: Int, sizes: [Int]) -> Tensor {
    let a = Shape.axis(axis, rank: rank, op: "unflatten")
    var newShape = Array(shapeDims[..<a]) + sizes + Array(shapeDims[(a + 1)...])
    if let unknown = sizes.firstIndex(of: -1) {
      newShape[a + unknown] = shapeDims[a] / Swift.max(1, sizes.filter { $0 != -1 }.reduce(1, *))
    }
    trapUnless(
      newShape.count == rank + sizes.count - 1 && Shape.count(newShape) == count,
      "unflatten: sizes \(sizes) do not multiply to the size \(shapeDims[a]) of axis \(axis)")
    return reshaped(to: newShape)
  }

  /// The whole tensor repeated `repeats[i]` times along axis i, as PyTorch's `repeat`
  /// (`repeats` may have more entries than there are axes: new leading axes).
  public func repeated(_ repeats: [Int]) -> Tensor {
    trapUnless(
      repeats.count >= rank && repeats.allSatisfy { $0 >= 0 },
      "repeat: \(repeats) must have at least \(rank) non-negative entries for shape \(shape)")
    let lead = repeats.count - rank
    let padded = reshaped(to: Array(repeating: 1, count: lead) + shape)
    // [s0, s1] -> [1, s0, 1, s1] -> [r0, s0, r1, s1] -> [r0 s0, r1 s1]
    var interleaved: [Int] = []
    var expandedShape: [Int] = []
    for (r, s) in zip(repeats, padded.shape) {
      interleaved += [1, s]
      expandedShape += [r, s]
    }
    return padded.reshaped(to: interleaved).expanded(to: expandedShape)
      .reshaped(to: zip(repeats, padded.shape).map { $0 * $1 })
  }

  /// NumPy's `tile`: like `repeated`, with missing leading repeats taken as 1.
  public func tiled(_ repeats: [Int]) -> Tensor {
    repeated(Array(repeating: 1, count: Swift.max(0, rank - repeats.count)) + repeats)
  }

  /// The elements shifted by `shift` along `axis`, wrapping around.
  public func rolled(shift: Int, axis: Int) -> Tensor {
    let a = Shape.axis(axis, rank: rank, op: "roll")
    let n = shapeDims[a]
    guard n > 0 else { return self }
    let s = ((shift % n) + n) % n
    if s == 0 { return self * 1 }
    return Tensor.cat(
      [narrowed(axis: a, start: n - s, length: s), narrowed(axis: a, start: 0, length: n - s)], axis: a)
  }

  /// Consecutive pieces of the given sizes along `axis` (views).
  public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
    let a = Shape.axis(axis, rank: rank, op: "split")
    trapUnless(
      sizes.reduce(0, +) == shapeDims[a] && sizes.allSatisfy { $0 >= 0 },
      "split: sizes \(sizes) do not add up to the size \(shapeDims[a]) of axis \(axis)")
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return narrowed(axis: a, start: start, length: size)
    }
  }

  /// Pieces of `size` along `axis` (the last may be smaller).
  public func split(size: Int, axis: Int = 0) -> [Tensor] {
    trapUnless(size > 0, "split: size must be positive, got \(size)")
    let n = shapeDims[Shape.axis(axis, rank: rank, op: "split")]
    return split(sizes: stride(from: 0, to: n, by: size).map { Swift.min(size, n - $0) }, axis: axis)
  }

  /// `count` pieces along `axis` as PyTorch's `chunk`: each of size ⌈n / count⌉ except the last.
  public func chunked(_ count: Int, axis: Int = 0) -> [Tensor] {
    trapUnless(count > 0, "chunk: count must be positive, got \(count)")
    let n = shapeDims[Shape.axis(axis, rank: rank, op: "chunk")]
    return split(size: Swift.max(1, (n + count - 1) / count), axis: axis)
  }

  /// `self` with `widths[i]` = (before, after) elements added on the i-th of the last
  /// `widths.count` axes (in axis order, unlike PyTorch's last-axis-first list).
  public func padded(_ widths: [(before: Int, after: Int)], mode: PaddingMode = .constant(0)) -> Tensor {
    trapUnless(widths.count <= rank, "pad: \(widths.count) widths for a tensor of rank \(rank)")
    trapUnless(widths.allSatisfy { $0.before >= 0 && $0.after >= 0 }, "pad: widths must be non-negative")
    let first = rank - widths.count
    switch mode {
    case .constant(let value):
      var spec = SliceSpec()
      var outShape = shape
      for axis in 0..<rank {
        let (before, after) = axis >= first ? widths[axis - first] : (0, 0)
        outShape[axis] += before + after
        spec.starts.append(before)
        spec.steps.append(1)
        spec.lengths.append(shapeDims[axis])
        spec.keeps.append(true)
      }
      let inner = scattered(into: outShape, spec)
      if value == 0 { return inner }
      let frame = Tensor.ones(shape, dtype: dtype).scattered(into: outShape, spec)
      return inner + (1 - frame) * value
    case .reflect, .replicate:
      var result = self
      for (k, w) in widths.enumerated() {
        let axis = first + k
        let n = shapeDims[axis]
        let indices: [Int]
        if mode == .reflect {
          trapUnless(
            w.before < n && w.after < n,
            "pad: reflect padding (\(w.before), \(w.after)) must be smaller than the size \(n) of axis \(axis)")
          indices =
            (1...Swift.max(w.before, 1)).reversed().prefix(w.before).map { $0 } + Array(0..<n)
            + (0..<w.after).map { n - 2 - $0 }
        } else {
          trapUnless(n > 0, "pad: cannot replicate the edge of an empty axis \(axis)")
          indices = Array(repeating: 0, count: w.before) + Array(0..<n) + Array(repeating: n - 1, count: w.after)
        }
        result = result.selecting(axis: axis, indices: indices)
      }
      return result
    }
  }

  /// The lower triangle of the last two axes: elements with column <= row + `diagonal`; zero elsewhere.
  public func tril(diagonal: Int = 0) -> Tensor { triangle(diagonal: diagonal, lower: true) }

  /// The upper triangle of the last two axes: elements with column >= row + `diagonal`; zero elsewhere.
  public func triu(diagonal: Int = 0) -> Tensor { triangle(diagonal: diagonal, lower: false) }

  private func triangle(diagonal: Int, lower: Bool) -> Tensor {
    trapUnless(rank >= 2, "\(lower ? "tril" : "triu"): needs at least 2 axes, got shape \(shape)")
    let n = shapeDims[rank - 2]
    let m = shapeDims[rank - 1]
    let keep = (0..<(n * m)).map { k in lower ? k % m <= k / m + diagonal : k % m >= k / m + diagonal }
    return Tensor.where(Tensor(bools: keep, shape: [n, m]), self, Tensor.zeros([], dtype: dtype))
  }

  /// The diagonal of the matrices in `axis1` and `axis2`, offset above (positive) or below
  /// (negative) the main one; it becomes the last axis. A copy, not a view.
  public func diagonal(offset: Int = 0, axis1: Int = -2, axis2: Int = -1) -> Tensor {
    let a = Shape.axis(axis1, rank: rank, op: "diagonal")
    let b = Shape.axis(axis2, rank: rank, op: "diagonal")
    trapUnless(a != b, "diagonal: axis1 and axis2 must differ, got \(axis1) and \(axis2)")
    let n = shapeDims[a]
    let m = shapeDims[b]
    let rest = (0..<rank).filter { $0 != a && $0 != b }
    let matrices = permuted(rest + [a, b]).reshaped(to: rest.map { shapeDims[$0] } + [n * m])
    let length = Swift.max(0, offset >= 0 ? Swift.min(n, m - offset) : Swift.min(n + offset, m))
    let positions = (0..<length).map { i in offset >= 0 ? i * m + i + offset : (i - offset) * m + i }
    return matrices.selecting(axis: matrices.rank - 1, indices: positions)
  }
}
