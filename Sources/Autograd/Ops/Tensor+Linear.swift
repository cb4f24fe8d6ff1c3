import CAutogradKernels

extension Tensor {
  /// `self · weightᵀ + bias`: the affine map of a fully connected layer.
  ///
  /// `self` is `[..., in]`, `weight` is `[out, in]`, `bias` is `[out]`; the result is `[..., out]`.
  ///
  /// With a float32 bias and input of two or more axes it is one op, "AddmmBackward" as in
  /// PyTorch: the bias is written into the result and the product added to it by the GEMM, and
  /// backward takes the three gradients at once. Otherwise, and for gradients of gradients, it is
  /// a product and a sum.
  public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
    CompositeCall.run("Linear", inputs: [self, weight, bias]) {
      requireFloatingPoint("linear")
      trapUnless(
        weight.rank == 2 && shapeDims.last == weight.shapeDims[1],
        "linear: input \(shape) does not fit weight \(weight.shape) (expected [..., \(weight.shapeDims.last ?? 0)])")
      if let bias, let fused = fusedLinear(weight: weight, bias: bias) { return fused }
      let y = matmul(weight.transposed())
      return bias.map { y + $0 } ?? y
    }
  }

  /// `linear` with a bias as one op, or `nil` where it does not apply (see `linear`).
  private func fusedLinear(weight: Tensor, bias: Tensor) -> Tensor? {
    let (inputs, outputs) = (weight.shapeDims[1], weight.shapeDims[0])
    guard rank >= 2, dtype == .float32, weight.dtype == .float32, bias.dtype == .float32, bias.shapeDims == [outputs],
      !SystemBLAS.isEnabled
    else { return nil }
    let leading = Array(shape.dropLast())
    let rows = rank == 2 ? self : reshaped(to: [Shape.count(leading), inputs])
    let y = Kernels.linear(rows.detached(), weight: weight.detached(), bias: bias.detached())
    let operands: TensorList = [rows, weight, bias]
    let result = y.recorded("AddmmBackward", inputs: operands, saving: operands) { g, s, needs in
      if GradMode.isEnabled {
        return gradientsByRecomputing(
          { $0[0].matmul($0[1].transposed()) + $0[2] }, inputs: [s[0], s[1], s[2]], outputGradient: g, needs: needs)
      }
      let (x, w) = (s[0].detached(), s[1].detached())
      return [
        needs[0] ? Kernels.matmul(g, w) : nil, needs[1] ? Kernels.matmul(g.transposed(), x) : nil,
        needs[2] ? Kernels.sum(g, axes: [0]) : nil,
      ]
    }
    return rank == 2 ? result : result.reshaped(to: leading + [outputs])
  }
}
