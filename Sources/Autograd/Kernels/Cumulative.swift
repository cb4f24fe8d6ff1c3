extension Kernels {
  /// Running sums or products along `axis` (float or int64); the result is contiguous with `x`'s shape.
  static func cumulative(_ x: Tensor, axis: Int, product: Bool) -> Tensor {
    // Move the axis last so that each run is a contiguous row, then move it back.
    let moved = contiguousCopy(x.detached().movingAxisToEnd(axis))
    let length = x.shape[axis], rows = length == 0 ? 0 : moved.count / length
    func run<T: FloatingElement>(_: T.Type) {
      let p = moved.basePointer(T.self)
      for r in 0..<rows {
        var acc: T = product ? 1 : 0
        for i in (r * length)..<((r + 1) * length) {
          acc = product ? acc * p[i] : acc + p[i]
          p[i] = acc
        }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64:
      // Wrapping on overflow, as PyTorch's int64 arithmetic does.
      let p = moved.basePointer(Int64.self)
      for r in 0..<rows {
        var acc: Int64 = product ? 1 : 0
        for i in (r * length)..<((r + 1) * length) {
          acc = product ? acc &* p[i] : acc &+ p[i]
          p[i] = acc
        }
      }
    case .bool: trap("\(product ? "cumprod" : "cumsum"): bool tensors accumulate as int64; cast them first")
    }
    return contiguousCopy(moved.movingLastAxis(to: axis))
  }

  /// d/dx of cumprod(x) along the last axis of a contiguous tensor, by its definition
  /// (O(n²) per row): used where x has zeros and the quotient formula would divide by zero.
  static func cumprodGradientWithZeros(_ x: Tensor, _ g: Tensor) -> Tensor {
    let length = x.shape.last ?? 1, rows = length == 0 ? 0 : x.count / length
    let out = Tensor(empty: x.shape, dtype: x.dtype)
    func run<T: FloatingElement>(_: T.Type) {
      let px = x.basePointer(T.self) + x.offset, pg = g.basePointer(T.self) + g.offset, po = out.basePointer(T.self)
      for r in 0..<rows {
        let base = r * length
        for i in 0..<length {
          // sum over k >= i of g_k * prod_{j <= k, j != i} x_j
          var before: T = 1
          for j in 0..<i { before *= px[base + j] }
          var total: T = 0, after: T = 1
          for k in i..<length {
            if k > i { after *= px[base + k] }
            total += pg[base + k] * before * after
          }
          po[base + i] = total
        }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
    return out
  }
}

extension Tensor {
  /// A view with `axis` moved to the end.
  func movingAxisToEnd(_ axis: Int) -> Tensor {
    permuted(Array(0..<rank).filter { $0 != axis } + [axis])
  }

  /// A view with the last axis moved to position `axis`.
  func movingLastAxis(to axis: Int) -> Tensor {
    var order = Array(0..<(rank - 1))
    order.insert(rank - 1, at: axis)
    return permuted(order)
  }
}
