extension Tensor {
  /// The maximum of each `kernelSize` window of a `[N, C, H, W]` (or `[C, H, W]`) tensor; padding
  /// counts as -∞. `stride` defaults to the kernel size, as in PyTorch.
  ///
  /// One op with a direct kernel. Backward: each window's gradient goes to its maximum, the first
  /// one at a tie, or the window's last NaN if it has any, as PyTorch's.
  public func maxPool2d(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1
  ) -> Tensor {
    CompositeCall.run("MaxPool2d", inputs: [self]) {
      requireFloatingPoint("maxPool2d")
      if rank == 3 {
        return unsqueezed(at: 0).maxPool2d(
          kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation
        ).squeezed(at: 0)
      }
      let window = checkedPoolWindow(
        kernelSize.pair, (stride ?? kernelSize).pair, padding.pair, dilation.pair, op: "maxPool2d")
      let (values, indices) = Kernels.maxPool2d(self, window)
      return values.recorded("MaxPool2DWithIndicesBackward", inputs: [self], saving: [self, indices]) {
        [window, size = (shapeDims[2], shapeDims[3])] g, s, needs in
        if GradMode.isEnabled {
          return gradientsByRecomputing(
            { $0[0].pool2d(window, padValue: -.infinity) { $0.max(axis: 2) } }, inputs: [s[0]], outputGradient: g,
            needs: needs)
        }
        return [Kernels.maxPool2dBackward(g, indices: s[1], size: size)]
      }
    }
  }

  /// The mean of each `kernelSize` window; padding counts as zeros in the mean (PyTorch's
  /// `count_include_pad=True`).
  public func avgPool2d(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0) -> Tensor {
    CompositeCall.run("AvgPool2d", inputs: [self]) {
      requireFloatingPoint("avgPool2d")
      return pool2d(kernelSize.pair, (stride ?? kernelSize).pair, padding.pair, (1, 1), op: "avgPool2d", padValue: 0) {
        $0.mean(axis: 2)
      }
    }
  }

  /// The 1-D maximum pooling of a `[N, C, L]` (or `[C, L]`) tensor.
  public func maxPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) -> Tensor {
    CompositeCall.run("MaxPool1d", inputs: [self]) {
      requireFloatingPoint("maxPool1d")
      return unsqueezed(at: -2).maxPool2d(
        kernelSize: Size2D(1, kernelSize), stride: Size2D(1, stride ?? kernelSize), padding: Size2D(0, padding),
        dilation: Size2D(1, dilation)
      ).squeezed(at: -2)
    }
  }

  /// The 1-D average pooling of a `[N, C, L]` (or `[C, L]`) tensor.
  public func avgPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    CompositeCall.run("AvgPool1d", inputs: [self]) {
      requireFloatingPoint("avgPool1d")
      return unsqueezed(at: -2).avgPool2d(
        kernelSize: Size2D(1, kernelSize), stride: Size2D(1, stride ?? kernelSize), padding: Size2D(0, padding)
      )
      .squeezed(at: -2)
    }
  }

  private func pool2d(
    _ kernel: (Int, Int), _ stride: (Int, Int), _ padding: (Int, Int), _ dilation: (Int, Int),
    op: StaticString, padValue: Double, reduce: (Tensor) -> Tensor
  ) -> Tensor {
    if rank == 3 {
      return unsqueezed(at: 0).pool2d(kernel, stride, padding, dilation, op: op, padValue: padValue, reduce: reduce)
        .squeezed(at: 0)
    }
    return pool2d(checkedPoolWindow(kernel, stride, padding, dilation, op: op), padValue: padValue, reduce: reduce)
  }

  /// Pooling recorded as im2col and a reduction over each window's taps.
  func pool2d(_ window: Window2D, padValue: Double, reduce: (Tensor) -> Tensor) -> Tensor {
    let (oh, ow) = window.outputSize((shapeDims[2], shapeDims[3]))
    let (n, c) = (shapeDims[0], shapeDims[1])
    let cols = unfolded(window, padValue: padValue)
    return reduce(cols.reshaped(to: [n, c, window.kernel.0 * window.kernel.1, oh * ow])).reshaped(to: [n, c, oh, ow])
  }

  /// The window of a pooling op on this `[N, C, H, W]` tensor, checked.
  private func checkedPoolWindow(
    _ kernel: (Int, Int), _ stride: (Int, Int), _ padding: (Int, Int), _ dilation: (Int, Int), op: StaticString
  ) -> Window2D {
    trapUnless(rank == 4, "\(op): expected [N, C, H, W] or [C, H, W], got \(shape)")
    trapUnless(
      padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1,
      "\(op): padding \(padding) must be at most half the kernel size \(kernel)")
    return checkedWindow(kernel, stride, padding, dilation, op: op)
  }

  /// The mean over adaptive windows giving an `outputSize` result, as PyTorch's
  /// `adaptive_avg_pool2d`: output cell i covers input rows ⌊iH/Ho⌋ ..< ⌈(i+1)H/Ho⌉.
  public func adaptiveAvgPool2d(outputSize: Size2D) -> Tensor {
    CompositeCall.run("AdaptiveAvgPool2d", inputs: [self]) {
      requireFloatingPoint("adaptiveAvgPool2d")
      let outputSize = outputSize.pair
      trapUnless(rank == 3 || rank == 4, "adaptiveAvgPool2d: expected [N, C, H, W] or [C, H, W], got \(shape)")
      trapUnless(outputSize.0 > 0 && outputSize.1 > 0, "adaptiveAvgPool2d: output size \(outputSize) must be positive")
      // Averaging is linear: out = Pₕ · x · Pᵥᵀ with row-averaging matrices.
      func averaging(_ outSize: Int, _ inSize: Int) -> Tensor {
        var m = [Double](repeating: 0, count: outSize * inSize)
        for i in 0..<outSize {
          let start = i * inSize / outSize
          let end = ((i + 1) * inSize + outSize - 1) / outSize
          for j in start..<end { m[i * inSize + j] = 1 / Double(end - start) }
        }
        return Tensor(m, shape: [outSize, inSize], dtype: dtype)
      }
      let ph = averaging(outputSize.0, shapeDims[rank - 2])
      let pw = averaging(outputSize.1, shapeDims[rank - 1])
      return ph.matmul(self).matmul(pw.transposed())
    }
  }
}
