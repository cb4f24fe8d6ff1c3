/// Visits the elements of up to three same-shaped strided views (an output and its inputs) row
/// by row, so that kernels run a tight loop over the innermost axis.
///
/// Axes that are contiguous across their boundary in every operand are merged first, so the walk
/// over contiguous or simply broadcast tensors is usually one or a few long rows. The sizes and
/// strides are inline `Dims`: making a walk allocates nothing (with arrays, it was most of the
/// allocations of a strided copy).
struct StridedWalk {
  private(set) var shape = Dims()
  /// Each operand's strides along the merged axes; operands not given repeat the first's.
  private var strides: (Dims, Dims, Dims)
  /// Length of each row and each operand's stride along it.
  var rowLength: Int { shape.last ?? 1 }
  func rowStride(_ operand: Int) -> Int {
    let s = operand == 0 ? strides.0 : (operand == 1 ? strides.1 : strides.2)
    return s.last ?? 0
  }

  /// A walk over `shape` with one, two or three operands' strides (each of `shape`'s rank).
  init(shape: Dims, strides first: Dims, _ second: Dims? = nil, _ third: Dims? = nil) {
    let operands = third != nil ? 3 : (second != nil ? 2 : 1)
    let given = (first, second ?? first, third ?? first)
    var merged = (Dims(), Dims(), Dims())
    for axis in 0..<shape.count where shape[axis] != 1 {
      let size = shape[axis]
      let along = (given.0[axis], given.1[axis], given.2[axis])
      if let last = self.shape.last, merged.0.last! == along.0 &* size,
        operands < 2 || merged.1.last! == along.1 &* size, operands < 3 || merged.2.last! == along.2 &* size
      {
        // The previous axis steps exactly over this one in every operand: merge them.
        let end = self.shape.count - 1
        self.shape[end] = last &* size
        (merged.0[end], merged.1[end], merged.2[end]) = along
      } else {
        self.shape.append(size)
        merged.0.append(along.0)
        merged.1.append(along.1)
        merged.2.append(along.2)
      }
    }
    strides = merged
  }

  /// Calls `body` with each operand's offset at the start of every row, in row-major order.
  func forEachRow(from starts: (Int, Int, Int), _ body: (Int, Int, Int) -> Void) {
    if shape.product == 0 { return }
    let outer = shape.count - 1
    if outer <= 0 {
      body(starts.0, starts.1, starts.2)
      return
    }
    shape.withValues { shape in
      strides.0.withValues { s0 in
        strides.1.withValues { s1 in
          strides.2.withValues { s2 in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: outer) { index in
              index.initialize(repeating: 0)
              var o = starts
              while true {
                body(o.0, o.1, o.2)
                var axis = outer - 1
                while axis >= 0 {
                  index[axis] += 1
                  o.0 += s0[axis]
                  o.1 += s1[axis]
                  o.2 += s2[axis]
                  if index[axis] < shape[axis] { break }
                  o.0 -= s0[axis] * shape[axis]
                  o.1 -= s1[axis] * shape[axis]
                  o.2 -= s2[axis] * shape[axis]
                  index[axis] = 0
                  axis -= 1
                }
                if axis < 0 { return }
              }
            }
          }
        }
      }
    }
  }
}
