import Autograd

// Every activation function as a layer, named as in torch.nn.

public final class ReLU: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.relu() }
}
public final class ReLU6: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.relu6() }
}
public final class Sigmoid: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.sigmoid() }
}
public final class Tanh: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.tanh() }
}
public final class SiLU: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.silu() }
}
public final class Mish: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.mish() }
}
public final class SELU: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.selu() }
}
public final class Softsign: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.softsign() }
}
public final class LogSigmoid: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.logSigmoid() }
}
public final class Hardsigmoid: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.hardsigmoid() }
}
public final class Hardswish: Layer {
  public override init() {}
  public override func forward(_ x: Tensor) -> Tensor { x.hardswish() }
}

public final class LeakyReLU: Layer {
  public let negativeSlope: Double
  public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
  public override func forward(_ x: Tensor) -> Tensor { x.leakyRelu(negativeSlope: negativeSlope) }
}

public final class ELU: Layer {
  public let alpha: Double
  public init(alpha: Double = 1) { self.alpha = alpha }
  public override func forward(_ x: Tensor) -> Tensor { x.elu(alpha: alpha) }
}

public final class CELU: Layer {
  public let alpha: Double
  public init(alpha: Double = 1) { self.alpha = alpha }
  public override func forward(_ x: Tensor) -> Tensor { x.celu(alpha: alpha) }
}

public final class GELU: Layer {
  public let approximateTanh: Bool
  public init(approximateTanh: Bool = false) { self.approximateTanh = approximateTanh }
  public override func forward(_ x: Tensor) -> Tensor { x.gelu(approximateTanh: approximateTanh) }
}

public final class Softplus: Layer {
  public let beta: Double, threshold: Double
  public init(beta: Double = 1, threshold: Double = 20) { (self.beta, self.threshold) = (beta, threshold) }
  public override func forward(_ x: Tensor) -> Tensor { x.softplus(beta: beta, threshold: threshold) }
}

public final class Hardtanh: Layer {
  public let min: Double, max: Double
  public init(min: Double = -1, max: Double = 1) { (self.min, self.max) = (min, max) }
  public override func forward(_ x: Tensor) -> Tensor { x.hardtanh(min: min, max: max) }
}

public final class Softmax: Layer {
  public let axis: Int
  public init(axis: Int = -1) { self.axis = axis }
  public override func forward(_ x: Tensor) -> Tensor { x.softmax(axis: axis) }
}

public final class LogSoftmax: Layer {
  public let axis: Int
  public init(axis: Int = -1) { self.axis = axis }
  public override func forward(_ x: Tensor) -> Tensor { x.logSoftmax(axis: axis) }
}
