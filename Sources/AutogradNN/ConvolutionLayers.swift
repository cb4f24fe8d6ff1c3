import Autograd

/// 2-D convolution over `[N, C, H, W]` inputs, as `nn.Conv2d`; weight `[out, in / groups, kh, kw]`.
/// Initialized uniform in ±1/√fanIn, as PyTorch.
public final class Conv2d: Layer {
  @Parameter public var weight: Tensor
  @Parameter public var bias: Tensor?
  public let stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int

  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
    dilation: Size2D = 1, groups: Int = 1, bias: Bool = true,
    dtype: DType = .float32, generator: inout RandomGenerator
  ) {
    trapUnless(
      inputChannels % groups == 0 && outputChannels % groups == 0,
      "Conv2d: channels \(inputChannels) -> \(outputChannels) must divide by groups \(groups)")
    let fanIn = inputChannels / groups * kernelSize.height * kernelSize.width
    let bound = 1 / Double(fanIn).squareRoot()
    weight = uniformTensor(
      [outputChannels, inputChannels / groups, kernelSize.height, kernelSize.width], bound: bound, dtype: dtype,
      generator: &generator)
    self.bias = bias ? uniformTensor([outputChannels], bound: bound, dtype: dtype, generator: &generator) : nil
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  public convenience init(
    inputChannels: Int, outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
    dilation: Size2D = 1, groups: Int = 1, bias: Bool = true,
    dtype: DType = .float32
  ) {
    var generator = RandomGenerator.split()
    self.init(
      inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride,
      padding: padding, dilation: dilation, groups: groups, bias: bias, dtype: dtype, generator: &generator)
  }

  public override func forward(_ input: Tensor) -> Tensor {
    input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }

  public override var summary: String {
    summary(
      leadingWith: "inputChannels: \(weight.shape[1] * groups), outputChannels: \(weight.shape[0]), "
        + "kernelSize: \(Size2D(weight.shape[2], weight.shape[3])), bias: \(bias != nil)")
  }
}

/// 1-D convolution over `[N, C, L]` inputs, as `nn.Conv1d`; weight `[out, in / groups, k]`.
public final class Conv1d: Layer {
  @Parameter public var weight: Tensor
  @Parameter public var bias: Tensor?
  public let stride: Int, padding: Int, dilation: Int, groups: Int

  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32,
    generator: inout RandomGenerator
  ) {
    trapUnless(
      inputChannels % groups == 0 && outputChannels % groups == 0,
      "Conv1d: channels \(inputChannels) -> \(outputChannels) must divide by groups \(groups)")
    let bound = 1 / Double(inputChannels / groups * kernelSize).squareRoot()
    weight = uniformTensor(
      [outputChannels, inputChannels / groups, kernelSize], bound: bound, dtype: dtype, generator: &generator)
    self.bias = bias ? uniformTensor([outputChannels], bound: bound, dtype: dtype, generator: &generator) : nil
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  public convenience init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32
  ) {
    var generator = RandomGenerator.split()
    self.init(
      inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride,
      padding: padding, dilation: dilation, groups: groups, bias: bias, dtype: dtype, generator: &generator)
  }

  public override func forward(_ input: Tensor) -> Tensor {
    input.conv1d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }

  public override var summary: String {
    summary(
      leadingWith: "inputChannels: \(weight.shape[1] * groups), outputChannels: \(weight.shape[0]), "
        + "kernelSize: \(weight.shape[2]), bias: \(bias != nil)")
  }
}

/// The transposed 2-D convolution, as `nn.ConvTranspose2d`; weight `[in, out / groups, kh, kw]`.
public final class ConvTranspose2d: Layer {
  @Parameter public var weight: Tensor
  @Parameter public var bias: Tensor?
  public let stride: Size2D, padding: Size2D, outputPadding: Size2D, dilation: Size2D, groups: Int

  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
    outputPadding: Size2D = 0, dilation: Size2D = 1,
    groups: Int = 1, bias: Bool = true, dtype: DType = .float32, generator: inout RandomGenerator
  ) {
    trapUnless(
      inputChannels % groups == 0 && outputChannels % groups == 0,
      "ConvTranspose2d: channels \(inputChannels) -> \(outputChannels) must divide by groups \(groups)")
    // PyTorch computes the fan-in of this weight from its axis 1: out / groups · kh · kw.
    let bound = 1 / Double(outputChannels / groups * kernelSize.height * kernelSize.width).squareRoot()
    weight = uniformTensor(
      [inputChannels, outputChannels / groups, kernelSize.height, kernelSize.width], bound: bound, dtype: dtype,
      generator: &generator)
    self.bias = bias ? uniformTensor([outputChannels], bound: bound, dtype: dtype, generator: &generator) : nil
    (self.stride, self.padding, self.outputPadding, self.dilation, self.groups) = (
      stride, padding, outputPadding, dilation, groups
    )
  }

  public convenience init(
    inputChannels: Int, outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
    outputPadding: Size2D = 0, dilation: Size2D = 1,
    groups: Int = 1, bias: Bool = true, dtype: DType = .float32
  ) {
    var generator = RandomGenerator.split()
    self.init(
      inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride,
      padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups, bias: bias,
      dtype: dtype, generator: &generator)
  }

  public override func forward(_ input: Tensor) -> Tensor {
    input.convTranspose2d(
      weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
      dilation: dilation, groups: groups)
  }

  public override var summary: String {
    summary(
      leadingWith: "inputChannels: \(weight.shape[0]), outputChannels: \(weight.shape[1] * groups), "
        + "kernelSize: \(Size2D(weight.shape[2], weight.shape[3])), bias: \(bias != nil)")
  }
}

/// 2-D max pooling, as `nn.MaxPool2d`.
public final class MaxPool2d: Layer {
  public let kernelSize: Size2D, stride: Size2D?, padding: Size2D
  public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
    (self.kernelSize, self.stride, self.padding) = (kernelSize, stride, padding)
  }
  public override func forward(_ input: Tensor) -> Tensor {
    input.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
  }
}

/// 2-D average pooling, as `nn.AvgPool2d`.
public final class AvgPool2d: Layer {
  public let kernelSize: Size2D, stride: Size2D?, padding: Size2D
  public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
    (self.kernelSize, self.stride, self.padding) = (kernelSize, stride, padding)
  }
  public override func forward(_ input: Tensor) -> Tensor {
    input.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
  }
}

/// Adaptive 2-D average pooling to a fixed output size, as `nn.AdaptiveAvgPool2d`.
public final class AdaptiveAvgPool2d: Layer {
  public let outputSize: Size2D
  public init(outputSize: Size2D) { self.outputSize = outputSize }
  public override func forward(_ input: Tensor) -> Tensor { input.adaptiveAvgPool2d(outputSize: outputSize) }
}
