extension Kernels {
  /// Running sums or products along `axis` (float or int64); the result is contiguous with `x`'s shape.
  static func cumulative(_ x: Tensor, axis: Int, product: Bool) -> Tensor {
    // Move the axis last so that each run is a contiguous row, then move it back.
    let moved = contiguousCopy(x.detached().movingAxisToEnd(axis))
    let length = x.shapeDims[axis]
    let rows = length == 0 ? 0 : moved.count / length
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
