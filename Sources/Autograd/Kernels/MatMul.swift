import CAutogradKernels

extension Kernels {
  /// The fewest flops of a product worth a thread of its own: ~20 µs, against a wake-up of about
  /// a microsecond from the pool's spinning workers (1 MFLOP made an LSTM step's products slower).
  static let productFlopsPerThread = 2e6

  /// Batched matrix product: `a` is `[batch..., n, k]`, `b` is `[batch..., k, m]` with the same
  /// batch shape (strides may be 0 where a batch axis was broadcast); the result is a contiguous
  /// `[batch..., n, m]`. The GEMM reads any strides, so transposed operands are not copied.
  static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let r = a.rank
    let n = a.shapeDims[r - 2]
    let k = a.shapeDims[r - 1]
    let m = b.shapeDims[r - 1]
    let batchShape = Array(a.shape.dropLast(2))
    let out = Tensor(empty: batchShape + [n, m], dtype: a.dtype)
    let (rsa, csa) = (a.strideDims[r - 2], a.strideDims[r - 1])
    let (rsb, csb) = (b.strideDims[r - 2], b.strideDims[r - 1])
    let flops = 2 * Double(n) * Double(m) * Double(k)
    // Large products run on several threads (`productFlopsPerThread` or more each), which share
    // each packed panel of B and take row blocks of A as they go. A stack of small ones
    // (attention's, per sequence and head) is split between threads instead, whole products each.
    let threadsPerProduct = Threading.pieces(work: flops, minimum: productFlopsPerThread)
    func product(_ i: Int, threads: Int) {
      // Decompose the batch index to find each operand's matrix.
      var rest = i
      var oa = a.offset
      var ob = b.offset
      for axis in stride(from: batchShape.count - 1, through: 0, by: -1) {
        let index = rest % batchShape[axis]
        rest /= batchShape[axis]
        oa += index * a.strideDims[axis]
        ob += index * b.strideDims[axis]
      }
      switch a.dtype {
      case .float32:
        let pa = a.basePointer(Float.self) + oa
        let pb = b.basePointer(Float.self) + ob
        let pc = out.basePointer(Float.self) + i * n * m
        // A system BLAS, when enabled, threads the product itself.
        if ag_blas_sgemm(n, m, k, pa, rsa, csa, pb, rsb, csb, pc, m) { return }
        ag_sgemm_threaded(n, m, k, pa, rsa, csa, pb, rsb, csb, pc, m, threads, Threading.parallelForC)
      case .float64:
        ag_dgemm(
          n, m, k, a.basePointer(Double.self) + oa, rsa, csa, b.basePointer(Double.self) + ob, rsb, csb,
          out.basePointer(Double.self) + i * n * m, m)
      default:
        trap("matmul: expected floating-point tensors, got \(a.dtype)")
      }
    }
    let count = Shape.count(batchShape)
    if threadsPerProduct > 1 || count == 1 {
      for i in 0..<count { product(i, threads: threadsPerProduct) }
    } else {
      Threading.forEachRange(count, minimumPerThread: Swift.max(1, Int(productFlopsPerThread / Swift.max(1, flops)))) {
        range in
        for i in range { product(i, threads: 1) }
      }
    }
    return out
  }
}

extension Kernels {
  /// x · weightᵀ + bias for float32: `x` `[M, in]` and `weight` `[out, in]` of any strides, `bias`
  /// `[out]`. Each row of the result starts as the bias and the GEMM adds the product to it, so
  /// the bias costs no pass of its own.
  static func linear(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
    let (m, k, n) = (x.shapeDims[0], x.shapeDims[1], weight.shapeDims[0])
    let out = Tensor(empty: [m, n], dtype: .float32)
    let b = bias.isContiguous ? bias : contiguousCopy(bias)
    let (source, target) = (UnsafePointer(b.basePointer(Float.self) + b.offset), out.basePointer(Float.self))
    for i in 0..<m { (target + i * n).update(from: source, count: n) }
    let threads = Threading.pieces(work: 2 * Double(m) * Double(n) * Double(k), minimum: productFlopsPerThread)
    ag_sgemm_threaded_add(
      m, n, k, x.basePointer(Float.self) + x.offset, x.strideDims[0], x.strideDims[1],
      weight.basePointer(Float.self) + weight.offset, weight.strideDims[1], weight.strideDims[0], target, n, threads,
      Threading.parallelForC)
    return out
  }
}
