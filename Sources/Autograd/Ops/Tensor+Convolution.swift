extension Tensor {
  /// 2-D cross-correlation, as PyTorch's `conv2d`.
  ///
  /// `self` is `[N, C, H, W]` (or `[C, H, W]`), `weight` is `[O, C / groups, kh, kw]`, `bias` is `[O]`;
  /// the result is `[N, O, Ho, Wo]` with Ho = ⌊(H + 2p - d(kh - 1) - 1) / s⌋ + 1.
  ///
  /// Without groups it is one op: the whole batch's windows as the columns of one matrix (im2col),
  /// one product with the weight, and a backward rule of two products and a col2im. With groups it
  /// is recorded as im2col and a batched product per group. Gradients of any order follow.
  public func conv2d(
    weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1,
    groups: Int = 1
  ) -> Tensor {
    CompositeCall.run("Conv2d", inputs: [self, weight, bias]) {
      requireFloatingPoint("conv2d")
      if rank == 3 {
        return unsqueezed(at: 0).conv2d(
          weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
          groups: groups
        ).squeezed(at: 0)
      }
      trapUnless(
        rank == 4 && weight.rank == 4,
        "conv2d: expected input [N, C, H, W] and weight [O, C/groups, kh, kw], got \(shape) and \(weight.shape)")
      let (c, o) = (shapeDims[1], weight.shapeDims[0])
      trapUnless(
        groups > 0 && c % groups == 0 && o % groups == 0 && weight.shapeDims[1] == c / groups,
        "conv2d: input channels \(c) and weight \(weight.shape) do not fit groups \(groups)")
      if let bias {
        trapUnless(bias.shapeDims == [o], "conv2d: expected bias [\(o)] for weight \(weight.shape), got \(bias.shape)")
      }
      trapUnless(
        weight.dtype == dtype && bias.map { $0.dtype == dtype } ?? true,
        "conv2d: input, weight and bias differ in dtype: \(dtype), \(weight.dtype), \(bias.map { "\($0.dtype)" } ?? "none")"
      )
      let window = checkedWindow(
        (weight.shapeDims[2], weight.shapeDims[3]), stride.pair, padding.pair, dilation.pair, op: "conv2d")
      return groups == 1
        ? convolved(weight: weight, bias: bias, window)
        : Tensor.composedConv2d([self, weight] + (bias.map { [$0] } ?? []), window, groups: groups)
    }
  }

  /// `conv2d` without groups as one recorded op.
  private func convolved(weight: Tensor, bias: Tensor?, _ window: Window2D) -> Tensor {
    let n = shapeDims[0]
    let columns = Kernels.unfold(self, window, acrossBatch: true)  // [C·kh·kw, N·L]
    let matrix = Kernels.matrix(weight, rows: weight.shapeDims[0])
    let y = Kernels.conv2d(
      columns: columns, weight: matrix, bias: bias?.detached(), batch: n,
      outputSize: window.outputSize((shapeDims[2], shapeDims[3])))
    let inputs: TensorList = bias.map { [self, weight, $0] } ?? [self, weight]
    var saved = inputs
    saved.append(columns)
    return y.recorded("ConvolutionBackward", inputs: inputs, saving: saved) {
      [window, size = (shapeDims[2], shapeDims[3]), c = shapeDims[1]] g, s, needs in
      let inputs = Array(s.dropLast())
      if GradMode.isEnabled {
        return gradientsByRecomputing(
          { Tensor.composedConv2d($0, window, groups: 1) }, inputs: inputs, outputGradient: g, needs: needs)
      }
      let (weight, columns) = (inputs[1], s[s.count - 1])
      let gradient = Kernels.channelsFirst(g)  // [O, N·L]
      let matrix = Kernels.matrix(weight, rows: weight.shapeDims[0])
      var grads: GradientList = [nil, nil]
      if needs[0] {
        let gradColumns = Kernels.matmul(matrix.matrixTransposed, gradient)
        grads[0] = Kernels.fold(gradColumns, channels: c, size: size, window, acrossBatch: g.shapeDims[0])
      }
      if needs[1] { grads[1] = Kernels.matmul(gradient, columns.matrixTransposed).viewed(as: weight.shape) }
      if inputs.count == 3 { grads.append(needs[2] ? Kernels.sum(gradient, axes: [1]) : nil) }
      return grads
    }
  }

  /// `conv2d` recorded as im2col and a batched product per group, from its inputs `[x, weight]` or
  /// `[x, weight, bias]`: the reference the single op is tested against, and what its gradients
  /// of gradients differentiate.
  static func composedConv2d(_ inputs: [Tensor], _ window: Window2D, groups: Int) -> Tensor {
    let (x, weight) = (inputs[0], inputs[1])
    let (n, c, o) = (x.shapeDims[0], x.shapeDims[1], weight.shapeDims[0])
    let (oh, ow) = window.outputSize((x.shapeDims[2], x.shapeDims[3]))
    let cols = x.unfolded(window)  // [N, C kh kw, L]
    let k = c / groups * weight.shapeDims[2] * weight.shapeDims[3]
    // [N, G, C/G kh kw, L] and [G, O/G, C/G kh kw]: one batched matrix product per group.
    let grouped = cols.reshaped(to: [n, groups, k, oh * ow])
    let kernels = weight.reshaped(to: [groups, o / groups, k])
    let y = kernels.matmul(grouped).reshaped(to: [n, o, oh, ow])
    return inputs.count == 3 ? y + inputs[2].reshaped(to: [1, o, 1, 1]) : y
  }

  /// 1-D cross-correlation: `self` is `[N, C, L]` (or `[C, L]`), `weight` is `[O, C / groups, k]`.
  public func conv1d(
    weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    groups: Int = 1
  ) -> Tensor {
    CompositeCall.run("Conv1d", inputs: [self, weight, bias]) {
      requireFloatingPoint("conv1d")
      trapUnless(rank == 2 || rank == 3, "conv1d: expected input [N, C, L] or [C, L], got \(shape)")
      trapUnless(weight.rank == 3, "conv1d: expected weight [O, C/groups, k], got \(weight.shape)")
      return unsqueezed(at: -2).conv2d(
        weight: weight.unsqueezed(at: 2), bias: bias, stride: Size2D(1, stride), padding: Size2D(0, padding),
        dilation: Size2D(1, dilation), groups: groups
      ).squeezed(at: -2)
    }
  }

  /// The transposed convolution (the gradient of `conv2d` with respect to its input), as PyTorch's
  /// `conv_transpose2d`. `weight` is `[C, O / groups, kh, kw]`; the output size is
  /// (H - 1)s - 2p + d(kh - 1) + outputPadding + 1.
  public func convTranspose2d(
    weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0, outputPadding: Size2D = 0,
    dilation: Size2D = 1, groups: Int = 1
  ) -> Tensor {
    CompositeCall.run("ConvTranspose2d", inputs: [self, weight, bias]) {
      requireFloatingPoint("convTranspose2d")
      if rank == 3 {
        return unsqueezed(at: 0).convTranspose2d(
          weight: weight, bias: bias, stride: stride, padding: padding,
          outputPadding: outputPadding, dilation: dilation, groups: groups
        ).squeezed(at: 0)
      }
      trapUnless(
        rank == 4 && weight.rank == 4,
        "convTranspose2d: expected input [N, C, H, W] and weight [C, O/groups, kh, kw], got \(shape) and \(weight.shape)"
      )
      let (n, c, h, w) = (shapeDims[0], shapeDims[1], shapeDims[2], shapeDims[3])
      let (stride, padding, outputPadding, dilation) = (stride.pair, padding.pair, outputPadding.pair, dilation.pair)
      trapUnless(
        groups > 0 && c % groups == 0 && weight.shapeDims[0] == c,
        "convTranspose2d: input channels \(c) and weight \(weight.shape) do not fit groups \(groups)")
      trapUnless(
        outputPadding.0 < Swift.max(stride.0, dilation.0) && outputPadding.1 < Swift.max(stride.1, dilation.1),
        "convTranspose2d: outputPadding \(outputPadding) must be smaller than stride or dilation")
      let (kh, kw) = (weight.shapeDims[2], weight.shapeDims[3])
      let oPerGroup = weight.shapeDims[1]
      let o = oPerGroup * groups
      let window = checkedWindow((kh, kw), stride, padding, dilation, op: "convTranspose2d", fitting: false)
      let outH = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
      let outW = (w - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
      trapUnless(outH > 0 && outW > 0, "convTranspose2d: the output size (\(outH), \(outW)) is not positive")
      trapUnless(window.outputSize((outH, outW)) == (h, w), "convTranspose2d: inconsistent geometry for input \(shape)")
      // Columns [N, O kh kw, H W] from each group's weightᵀ · x, then summed into place by fold.
      let x = reshaped(to: [n, groups, c / groups, h * w])
      let kernels = weight.reshaped(to: [groups, c / groups, oPerGroup * kh * kw]).transposed()
      let cols = kernels.matmul(x).reshaped(to: [n, o * kh * kw, h * w])
      var y = cols.folded(channels: o, size: (outH, outW), window)
      if let bias { y = y + bias.reshaped(to: [1, o, 1, 1]) }
      return y
    }
  }

  /// The window, checked; with `fitting`, also that it fits this `[N, C, H, W]` input at least once.
  func checkedWindow(
    _ kernel: (Int, Int), _ stride: (Int, Int), _ padding: (Int, Int), _ dilation: (Int, Int),
    op: StaticString, fitting: Bool = true
  ) -> Window2D {
    trapUnless(
      kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0
        && padding.0 >= 0 && padding.1 >= 0,
      "\(op): kernel \(kernel), stride \(stride) and dilation \(dilation) must be positive, padding \(padding) non-negative"
    )
    let window = Window2D(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    if fitting && rank == 4 {
      let (oh, ow) = window.outputSize((shapeDims[2], shapeDims[3]))
      trapUnless(
        oh > 0 && ow > 0,
        "\(op): kernel \(kernel) with dilation \(dilation) does not fit input \(shape) padded by \(padding)")
    }
    return window
  }
}

// The recorded forms of the im2col and col2im kernels: each is the other's gradient.
extension Tensor {
  /// Sliding windows of a `[N, C, H, W]` tensor as columns `[N, C·kh·kw, Ho·Wo]` (PyTorch's `unfold`).
  /// Backward: `folded`.
  func unfolded(_ w: Window2D, padValue: Double = 0) -> Tensor {
    Kernels.unfold(self, w, padValue: padValue).recorded("Im2ColBackward", inputs: [self]) {
      [c = shapeDims[1], size = (shapeDims[2], shapeDims[3])] g, _, _ in
      [g.folded(channels: c, size: size, w)]
    }
  }

  /// Columns summed back into a `[N, C, H, W]` tensor (PyTorch's `fold`). Backward: `unfolded`.
  func folded(channels: Int, size: (Int, Int), _ w: Window2D) -> Tensor {
    Kernels.fold(self, channels: channels, size: size, w).recorded("Col2ImBackward", inputs: [self]) { g, _, _ in
      [g.unfolded(w)]
    }
  }
}
