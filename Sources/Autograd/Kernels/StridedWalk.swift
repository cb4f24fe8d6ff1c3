/// Visits the elements of up to three same-shaped strided views (an output and its inputs) row
/// by row, so that kernels run a tight loop over the innermost axis.
///
/// Axes that are contiguous across their boundary in every operand are merged first, so the walk
/// over contiguous or simply broadcast tensors is usually one or a few long rows.
struct StridedWalk {
  private(set) var shape: [Int] = []
  private(set) var strides: [[Int]]
  /// Length of each row and each operand's stride along it.
  var rowLength: Int { shape.last ?? 1 }
  func rowStride(_ operand: Int) -> Int { strides[operand].last ?? 0 }

  init(shape: [Int], strides operandStrides: [[Int]]) {
    strides = Array(repeating: [], count: operandStrides.count)
    for axis in shape.indices where shape[axis] != 1 {
      let size = shape[axis]
      if let last = self.shape.last,
        operandStrides.indices.allSatisfy({ strides[$0].last! == operandStrides[$0][axis] * size })
      {
        // The previous axis steps exactly over this one in every operand: merge them.
        self.shape[self.shape.count - 1] = last * size
        for k in operandStrides.indices { strides[k][strides[k].count - 1] = operandStrides[k][axis] }
      } else {
        self.shape.append(size)
        for k in operandStrides.indices { strides[k].append(operandStrides[k][axis]) }
      }
    }
  }

  /// Calls `body` with each operand's offset at the start of every row, in row-major order.
  func forEachRow(from starts: (Int, Int, Int), _ body: (Int, Int, Int) -> Void) {
    if Shape.count(shape) == 0 { return }
    let outer = shape.count - 1
    if outer <= 0 {
      body(starts.0, starts.1, starts.2)
      return
    }
    var index = [Int](repeating: 0, count: outer)
    var o = starts
    let s0 = strides[0]
    let s1 = strides.count > 1 ? strides[1] : s0
    let s2 = strides.count > 2 ? strides[2] : s0
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
