import Autograd

/// Batch normalization over the channel axis 1 of `[N, C]`, `[N, C, L]` (1d) or `[N, C, H, W]` (2d)
/// inputs, with running statistics for evaluation, as `nn.BatchNorm1d`/`nn.BatchNorm2d`.
public class BatchNorm: Layer {
  @Parameter public var weight: Tensor?
  @Parameter public var bias: Tensor?
  @Buffer public var runningMean: Tensor
  @Buffer public var runningVariance: Tensor
  public let momentum: Double, epsilon: Double
  private let expectedRanks: Set<Int>

  init(features: Int, momentum: Double, epsilon: Double, affine: Bool, dtype: DType, ranks: Set<Int>) {
    weight = affine ? Tensor.ones([features], dtype: dtype) : nil
    bias = affine ? Tensor.zeros([features], dtype: dtype) : nil
    runningMean = Tensor.zeros([features], dtype: dtype)
    runningVariance = Tensor.ones([features], dtype: dtype)
    (self.momentum, self.epsilon, expectedRanks) = (momentum, epsilon, ranks)
  }

  public override func forward(_ input: Tensor) -> Tensor {
    trapUnless(
      expectedRanks.contains(input.rank) && input.shape[1] == runningMean.count,
      "\(type(of: self)): expected \(expectedRanks.sorted()) axes with \(runningMean.count) channels, got \(input.shape)"
    )
    return input.batchNormalized(
      runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias,
      training: isTraining, momentum: momentum, epsilon: epsilon)
  }

  public override var summary: String {
    summary(leadingWith: "features: \(runningMean.count), affine: \(weight != nil)")
  }
}

/// Batch normalization of `[N, C]` or `[N, C, L]` inputs.
public final class BatchNorm1d: BatchNorm {
  public init(
    features: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32
  ) {
    super.init(features: features, momentum: momentum, epsilon: epsilon, affine: affine, dtype: dtype, ranks: [2, 3])
  }
}

/// Batch normalization of `[N, C, H, W]` inputs.
public final class BatchNorm2d: BatchNorm {
  public init(
    features: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32
  ) {
    super.init(features: features, momentum: momentum, epsilon: epsilon, affine: affine, dtype: dtype, ranks: [4])
  }
}

/// Normalization over the last axes of `normalizedShape`, as `nn.LayerNorm`.
public final class LayerNorm: Layer {
  @Parameter public var weight: Tensor?
  @Parameter public var bias: Tensor?
  public let normalizedShape: [Int], epsilon: Double

  public init(normalizedShape: [Int], epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
    weight = affine ? Tensor.ones(normalizedShape, dtype: dtype) : nil
    bias = affine ? Tensor.zeros(normalizedShape, dtype: dtype) : nil
    (self.normalizedShape, self.epsilon) = (normalizedShape, epsilon)
  }

  public override func forward(_ input: Tensor) -> Tensor {
    input.layerNormalized(normalizedShape: normalizedShape, weight: weight, bias: bias, epsilon: epsilon)
  }
}

/// Normalization over groups of channels (and all spatial positions), as `nn.GroupNorm`.
public final class GroupNorm: Layer {
  @Parameter public var weight: Tensor?
  @Parameter public var bias: Tensor?
  public let groups: Int, channels: Int, epsilon: Double

  public init(groups: Int, channels: Int, epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
    trapUnless(
      groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
    weight = affine ? Tensor.ones([channels], dtype: dtype) : nil
    bias = affine ? Tensor.zeros([channels], dtype: dtype) : nil
    (self.groups, self.channels, self.epsilon) = (groups, channels, epsilon)
  }

  public override func forward(_ input: Tensor) -> Tensor {
    trapUnless(
      input.rank >= 2 && input.shape[1] == channels, "GroupNorm: expected [N, \(channels), ...], got \(input.shape)")
    let n = input.shape[0]
    let grouped = input.reshaped(to: [n, groups, -1])
    let centered = grouped - grouped.mean(axis: 2, keepDims: true)
    var y = (centered * (centered.pow(2).mean(axis: 2, keepDims: true) + epsilon).rsqrt()).reshaped(to: input.shape)
    let affineShape = [1, channels] + Array(repeating: 1, count: input.rank - 2)
    if let weight { y = y * weight.reshaped(to: affineShape) }
    if let bias { y = y + bias.reshaped(to: affineShape) }
    return y
  }
}

/// Root-mean-square normalization over the last axes: x / √(mean(x²) + ε) · weight, as `nn.RMSNorm`.
public final class RMSNorm: Layer {
  @Parameter public var weight: Tensor?
  public let normalizedShape: [Int], epsilon: Double

  public init(normalizedShape: [Int], epsilon: Double = 1e-6, affine: Bool = true, dtype: DType = .float32) {
    weight = affine ? Tensor.ones(normalizedShape, dtype: dtype) : nil
    (self.normalizedShape, self.epsilon) = (normalizedShape, epsilon)
  }

  public override func forward(_ input: Tensor) -> Tensor {
    trapUnless(
      Array(input.shape.suffix(normalizedShape.count)) == normalizedShape,
      "RMSNorm: normalizedShape \(normalizedShape) does not match the end of \(input.shape)")
    let axes = Array((input.rank - normalizedShape.count)..<input.rank)
    let y = input * (input.pow(2).mean(axes: axes, keepDims: true) + epsilon).rsqrt()
    return weight.map { y * $0 } ?? y
  }
}
