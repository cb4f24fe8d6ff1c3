import CAutogradKernels

/// Scaled dot-product attention as one pass per matrix of the batch: the scores, their softmax and
/// the product with the values, and backward the four products and softmax's gradient, with no
/// tensor in between. Attention's matrices are small (a head of a few dozen tokens), so each runs
/// whole on one thread and the batch is split between threads; the operands are read through their
/// strides, so heads cut out of a projection by views are never copied.
extension Kernels {
  /// One operand of attention, `[batch..., rows, columns]` broadcast to the batch shape: where each
  /// matrix of the batch starts, and its row and column strides.
  struct AttentionOperand<T: FloatingElement> {
    let base: UnsafeMutablePointer<T>
    let offsets: [Int]
    let rowStride: Int, columnStride: Int

    init(_ t: Tensor, batchShape: [Int]) {
      let r = t.rank
      base = t.basePointer(T.self)
      rowStride = t.strideDims[r - 2]
      columnStride = t.strideDims[r - 1]
      var offsets = [t.offset]
      // Batch index i's matrix, the last batch axis varying fastest, as in `matmul`.
      for axis in 0..<batchShape.count {
        let stride = t.strideDims[axis]
        offsets = offsets.flatMap { start in (0..<batchShape[axis]).map { start + $0 * stride } }
      }
      self.offsets = offsets
    }

    func matrix(_ i: Int) -> UnsafeMutablePointer<T> { base + offsets[i] }
  }

  /// The forward pass: `query` `[B..., L, E]`, `key` `[B..., S, E]`, `value` `[B..., S, Ev]` and
  /// the additive `mask` `[B..., L, S]`, all with the batch shape `B...` (views of any strides,
  /// broadcast ones too). Returns the attended values, written into `output` when given (a view
  /// with unit column stride), else laid out as the query is when it is a dense view with unit
  /// column stride (heads cut from a projection stay in its row order), and the softmax weights
  /// `[B..., L, S]`, contiguous, which backward reads.
  static func attention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor?, isCausal: Bool, scale: Double, into output: Tensor? = nil
  ) -> (output: Tensor, weights: Tensor) {
    let r = query.rank
    let batchShape = Array(query.shape.prefix(r - 2))
    let (l, e, s, ev) = (query.shapeDims[r - 2], query.shapeDims[r - 1], key.shapeDims[r - 2], value.shapeDims[r - 1])
    let output = output ?? emptyTensor(like: query, shape: batchShape + [l, ev])
    let weights = Tensor(empty: batchShape + [l, s], dtype: query.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let (q, k, v) = (
        AttentionOperand<T>(query, batchShape: batchShape), AttentionOperand<T>(key, batchShape: batchShape),
        AttentionOperand<T>(value, batchShape: batchShape)
      )
      let m = mask.map { AttentionOperand<T>($0, batchShape: batchShape) }
      let o = AttentionOperand<T>(output, batchShape: batchShape)
      let p = weights.basePointer(T.self)
      let scale = T(scale)
      eachMatrix(Shape.count(batchShape), flops: 2 * l * s * (e + ev)) { b in
        let scores = p + b * l * s
        // Q Kᵀ, Kᵀ read through K's strides.
        product(
          l, s, e, q.matrix(b), q.rowStride, q.columnStride, k.matrix(b), k.columnStride, k.rowStride, scores, s)
        for i in 0..<l {
          let row = scores + i * s
          for j in 0..<s { row[j] *= scale }
          if let m {
            let maskRow = m.matrix(b) + i * m.rowStride
            for j in 0..<s { row[j] += maskRow[j * m.columnStride] }
          }
          if isCausal { for j in (i + 1)..<Swift.max(i + 1, s) { row[j] = -.infinity } }
          shiftByLargest(row, into: row, s)
        }
        normalizedExponentials(scores, rows: l, s)
        product(l, ev, s, scores, s, 1, v.matrix(b), v.rowStride, v.columnStride, o.matrix(b), o.rowStride)
      }
    }
    query.dtype == .float32 ? run(Float.self) : run(Double.self)
    return (output, weights)
  }

  /// The gradients of `attention` from the gradient `g` of its output, for the operands that
  /// `needs` marks (query, key, value), each laid out as its operand is when that is dense, or
  /// written into the views `destinations` gives (unit column stride) for those it gives.
  /// `weights` are the forward pass's.
  static func attentionBackward(
    _ g: Tensor, query: Tensor, key: Tensor, value: Tensor, weights: Tensor, scale: Double,
    needs: (query: Bool, key: Bool, value: Bool),
    into destinations: (query: Tensor, key: Tensor, value: Tensor)? = nil
  ) -> (query: Tensor?, key: Tensor?, value: Tensor?) {
    let r = query.rank
    let batchShape = Array(query.shape.prefix(r - 2))
    let (l, e, s, ev) = (query.shapeDims[r - 2], query.shapeDims[r - 1], key.shapeDims[r - 2], value.shapeDims[r - 1])
    let (dQuery, dKey, dValue) = (
      needs.query ? destinations?.query ?? emptyTensor(like: query, shape: query.shape) : nil,
      needs.key ? destinations?.key ?? emptyTensor(like: key, shape: key.shape) : nil,
      needs.value ? destinations?.value ?? emptyTensor(like: value, shape: value.shape) : nil
    )
    func run<T: FloatingElement>(_: T.Type) {
      let (q, k, v, dO) = (
        AttentionOperand<T>(query, batchShape: batchShape), AttentionOperand<T>(key, batchShape: batchShape),
        AttentionOperand<T>(value, batchShape: batchShape), AttentionOperand<T>(g, batchShape: batchShape)
      )
      let (dq, dk, dv) = (
        dQuery.map { AttentionOperand<T>($0, batchShape: batchShape) },
        dKey.map { AttentionOperand<T>($0, batchShape: batchShape) },
        dValue.map { AttentionOperand<T>($0, batchShape: batchShape) }
      )
      let p = weights.basePointer(T.self)
      let scale = T(scale)
      let needsScores = needs.query || needs.key
      eachMatrix(Shape.count(batchShape), flops: 2 * l * s * (2 * ev + 2 * e), scratch: l * s) { b, dScores in
        let probabilities = p + b * l * s
        // dV = Pᵀ dO.
        if let dv {
          product(
            s, ev, l, probabilities, 1, s, dO.matrix(b), dO.rowStride, dO.columnStride, dv.matrix(b), dv.rowStride)
        }
        guard needsScores else { return }
        // dP = dO Vᵀ, then the scores' gradient dS = scale · P (dP - Σ dP P), row by row, in place.
        product(
          l, s, ev, dO.matrix(b), dO.rowStride, dO.columnStride, v.matrix(b), v.columnStride, v.rowStride,
          dScores, s)
        for i in 0..<l {
          softmaxBackwardRow(dScores + i * s, output: probabilities + i * s, into: dScores + i * s, s, scale: scale)
        }
        // dQ = dS K and dK = dSᵀ Q.
        if let dq {
          product(l, e, s, dScores, s, 1, k.matrix(b), k.rowStride, k.columnStride, dq.matrix(b), dq.rowStride)
        }
        if let dk {
          product(s, e, l, dScores, 1, s, q.matrix(b), q.rowStride, q.columnStride, dk.matrix(b), dk.rowStride)
        }
      }
    }
    query.dtype == .float32 ? run(Float.self) : run(Double.self)
    return (dQuery, dKey, dValue)
  }

  /// Runs `body` for each of `count` matrices, split between threads when each thread's share
  /// would hold at least 0.5 MFLOP (~5-10 µs here, against about a microsecond to start a spinning
  /// worker).
  private static func eachMatrix(_ count: Int, flops: Int, _ body: (Int) -> Void) {
    Threading.forEachRange(count, minimumPerThread: Swift.max(1, 500_000 / Swift.max(1, flops))) { range in
      for b in range { body(b) }
    }
  }

  /// `eachMatrix` with `scratch` elements of working memory per thread.
  private static func eachMatrix<T: FloatingElement>(
    _ count: Int, flops: Int, scratch: Int, _ body: (Int, UnsafeMutablePointer<T>) -> Void
  ) {
    Threading.forEachRange(count, minimumPerThread: Swift.max(1, 500_000 / Swift.max(1, flops))) { range in
      let buffer = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, scratch))
      defer { buffer.deallocate() }
      for b in range { body(b, buffer) }
    }
  }

  /// C = A · B on the calling thread: A is m × k and B k × n, read through their strides; C is
  /// m × n with rows `ldc` apart and unit column stride.
  private static func product<T: FloatingElement>(
    _ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutablePointer<T>, _ rsa: Int, _ csa: Int,
    _ b: UnsafeMutablePointer<T>, _ rsb: Int, _ csb: Int, _ c: UnsafeMutablePointer<T>, _ ldc: Int
  ) {
    if T.self == Float.self {
      func f(_ x: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self)
      }
      ag_sgemm_threaded(m, n, k, f(a), rsa, csa, f(b), rsb, csb, f(c), ldc, 1, Threading.parallelForC)
    } else {
      func d(_ x: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Double> {
        UnsafeMutableRawPointer(x).assumingMemoryBound(to: Double.self)
      }
      ag_dgemm(m, n, k, d(a), rsa, csa, d(b), rsb, csb, d(c), ldc)
    }
  }

  /// A new tensor of `shape` (`like`'s shape with another last axis size) laid out in `like`'s
  /// axis order when `like` is a dense view whose last axis has unit stride (the head axis of a
  /// `[N, L, heads, d]` projection viewed as `[N, heads, L, d]`, say), else contiguous. Its last
  /// axis always has unit stride.
  static func emptyTensor(like: Tensor, shape: [Int]) -> Tensor {
    let r = like.rank
    // Axes from outermost to innermost; size-1 axes may sit anywhere.
    let order = (0..<r).sorted { (like.strideDims[$0], $1) > (like.strideDims[$1], $0) }
    var expected = 1
    var dense = true
    for axis in order.reversed() where like.shapeDims[axis] != 1 {
      if like.strideDims[axis] != expected { dense = false }
      expected *= like.shapeDims[axis]
    }
    guard dense, order.last == r - 1, order != Array(0..<r) else { return Tensor(empty: shape, dtype: like.dtype) }
    var strides = [Int](repeating: 0, count: r)
    var size = 1
    for axis in order.reversed() {
      strides[axis] = size
      size *= shape[axis]
    }
    let out = Tensor(empty: [size], dtype: like.dtype)
    out.setView(shape: shape, strides: strides, offset: 0)
    return out
  }
}
