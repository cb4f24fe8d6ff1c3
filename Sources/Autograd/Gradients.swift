extension Tensor {
  /// Sums a gradient over the axes that broadcasting stretched, so it gets the input's `shape`.
  ///
  /// The one place where broadcasting is undone: every binary op's backward rule calls it.
  __consuming func unbroadcast(to target: [Int]) -> Tensor {
    if shapeDims == target { return self }
    return summedDown(to: target)
  }

  /// This gradient summed down to `input`'s shape (itself when the shapes agree).
  __consuming func unbroadcast(to input: Tensor) -> Tensor {
    if shapeDims == input.shapeDims { return self }
    return summedDown(to: input.shape)
  }

  private func summedDown(to target: [Int]) -> Tensor {
    let lead = rank - target.count
    var axes = Array(0..<lead)
    for (i, size) in target.enumerated() where size == 1 && shapeDims[lead + i] != 1 { axes.append(lead + i) }
    return sum(axes: axes, keepDims: true).reshaped(to: target)
  }
}
