import Autograd

/// y = x Wᵀ + b, with W of shape `[outputSize, inputSize]`.
///
/// Initialized as PyTorch's `nn.Linear`: W and b uniform in ±1/√inputSize (Kaiming-uniform with a = √5).
public final class Linear: Layer {
  @Parameter public var weight: Tensor
  @Parameter public var bias: Tensor?

  public init(
    inputSize: Int, outputSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: inout RandomGenerator
  ) {
    trapUnless(inputSize > 0 && outputSize > 0, "Linear: sizes must be positive, got \(inputSize) -> \(outputSize)")
    let bound = 1 / Double(inputSize).squareRoot()
    weight = uniformTensor([outputSize, inputSize], bound: bound, dtype: dtype, generator: &generator)
    self.bias = bias ? uniformTensor([outputSize], bound: bound, dtype: dtype, generator: &generator) : nil
  }

  public convenience init(inputSize: Int, outputSize: Int, bias: Bool = true, dtype: DType = .float32) {
    var generator = RandomGenerator.split()
    self.init(inputSize: inputSize, outputSize: outputSize, bias: bias, dtype: dtype, generator: &generator)
  }

  public override func forward(_ input: Tensor) -> Tensor { input.linear(weight: weight, bias: bias) }

  public override var summary: String {
    "inputSize: \(weight.shape[1]), outputSize: \(weight.shape[0]), bias: \(bias != nil)"
  }
}

/// A leaf of `shape` uniform in ±bound: PyTorch's default initialization of weights and biases
/// (zeros inside `withoutInitialization`).
func uniformTensor(_ shape: [Int], bound: Double, dtype: DType, generator: inout RandomGenerator) -> Tensor {
  if Init.isSkipped { return Tensor.zeros(shape, dtype: dtype) }
  return (Tensor.rand(shape, dtype: .float64, generator: &generator) * (2 * bound) - bound).cast(to: dtype)
}
