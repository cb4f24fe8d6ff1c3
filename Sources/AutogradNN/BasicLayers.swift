import Autograd

/// Returns its input.
public final class Identity: Layer {
  public override init() {}
  public override func forward(_ input: Tensor) -> Tensor { input }
}

/// Merges axes `startAxis` through `endAxis` (by default all but the batch axis), as `nn.Flatten`.
public final class Flatten: Layer {
  public let startAxis: Int, endAxis: Int
  public init(startAxis: Int = 1, endAxis: Int = -1) { (self.startAxis, self.endAxis) = (startAxis, endAxis) }
  public override func forward(_ input: Tensor) -> Tensor { input.flattened(startAxis: startAxis, endAxis: endAxis) }
}

/// Zeros elements with probability `probability` while training, as `nn.Dropout`.
public final class Dropout: Layer {
  public let probability: Double
  private var generator: RandomGenerator

  public init(probability: Double = 0.5, generator: RandomGenerator = RandomGenerator.split()) {
    trapUnless(probability >= 0 && probability <= 1, "Dropout: probability must be in [0, 1], got \(probability)")
    self.probability = probability
    self.generator = generator
  }

  public override func forward(_ input: Tensor) -> Tensor {
    input.dropout(probability: probability, training: isTraining, generator: &generator)
  }
}

/// A lookup table of `count` vectors of `dimension`, as `nn.Embedding`; initialized N(0, 1).
public final class Embedding: Module {
  @Parameter public var weight: Tensor
  /// The row of the padding token, which starts at zero and gets no gradient (PyTorch's `padding_idx`).
  public let paddingIndex: Int?

  public init(
    count: Int, dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32,
    generator: inout RandomGenerator
  ) {
    trapUnless(
      paddingIndex.map { $0 >= -count && $0 < count } ?? true,
      "Embedding: paddingIndex \(paddingIndex ?? 0) is out of range for \(count) rows")
    let row = paddingIndex.map { $0 < 0 ? $0 + count : $0 }
    let initial =
      Init.isSkipped
      ? Tensor.zeros([count, dimension], dtype: dtype)
      : Tensor.randn([count, dimension], dtype: dtype, generator: &generator)
    if let row { initial[row].fill(0) }
    self.paddingIndex = row
    weight = initial
  }

  public convenience init(count: Int, dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32) {
    var generator = RandomGenerator.split()
    self.init(count: count, dimension: dimension, paddingIndex: paddingIndex, dtype: dtype, generator: &generator)
  }

  /// The vectors of int64 `indices`: shape `indices.shape + [dimension]`.
  public func callAsFunction(_ indices: Tensor) -> Tensor {
    grouped {

      embedding(indices, weight: weight, paddingIndex: paddingIndex)
    }
  }

  public override var summary: String {
    summary(leadingWith: "count: \(weight.shape[0]), dimension: \(weight.shape[1])")
  }
}

/// Splits the features of each sample into `shape` (`[N, 64]` to `[N, 1, 8, 8]`), as `nn.Unflatten(1, shape)`.
public final class Unflatten: Layer {
  public let shape: [Int]
  public init(shape: [Int]) { self.shape = shape }
  public override func forward(_ input: Tensor) -> Tensor { input.reshaped(to: [input.shape[0]] + shape) }
}
