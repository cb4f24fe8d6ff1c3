extension Tensor {
  /// Sums a gradient over the axes that broadcasting stretched, so it gets the input's `shape`.
  ///
  /// The one place where broadcasting is undone: every binary op's backward rule calls it.
  func unbroadcast(to target: [Int]) -> Tensor {
    if shape == target { return self }
    let lead = rank - target.count
    var axes = Array(0..<lead)
    for (i, size) in target.enumerated() where size == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
    return sum(axes: axes, keepDims: true).reshaped(to: target)
  }
}
