import Autograd
import Foundation

/// The tutorial the lecture links: a two-layer network `relu(x·w1)·w2` fitted to random data by
/// plain gradient descent on the summed squared error, with gradients from `backward()`.
public struct TwoLayerNet {
  public var x, y, w1, w2: Tensor

  /// Sizes of the tutorial: batch, input, hidden and output.
  public static let sizes = (batch: 64, input: 1000, hidden: 100, output: 10)

  /// Random data and weights (standard normal) from a seeded generator, as the tutorial's `randn`.
  public init(seed: UInt64) {
    var generator = RandomGenerator(seed: seed)
    let s = Self.sizes
    x = Tensor.randn([s.batch, s.input], generator: &generator)
    y = Tensor.randn([s.batch, s.output], generator: &generator)
    w1 = Tensor.randn([s.input, s.hidden], generator: &generator)
    w2 = Tensor.randn([s.hidden, s.output], generator: &generator)
    w1.requiresGrad = true
    w2.requiresGrad = true
  }

  /// Loads `x.npy`, `y.npy`, `w1.npy` and `w2.npy` from `directory` (as PyTorch's reference run saved them).
  /// - Throws: `TensorIOError` for a missing or malformed file, or `shapeMismatch` for inconsistent shapes.
  public init(directory: URL) throws {
    func load(_ name: String) throws -> Tensor { try Tensor.load(npy: directory.appendingPathComponent("\(name).npy")) }
    x = try load("x")
    y = try load("y")
    w1 = try load("w1")
    w2 = try load("w2")
    let shapes = [x.shape, y.shape, w1.shape, w2.shape]
    guard shapes.allSatisfy({ $0.count == 2 }), x.shape[1] == w1.shape[0], w1.shape[1] == w2.shape[0],
      y.shape == [x.shape[0], w2.shape[1]], [x, y, w1, w2].allSatisfy({ $0.dtype.isFloatingPoint })
    else {
      throw TensorIOError.malformed(
        reason: """
          inconsistent shapes in \(directory.path): x \(x.shape), y \(y.shape), w1 \(w1.shape), w2 \(w2.shape) \
          (need x [N, D], y [N, O], w1 [D, H], w2 [H, O], floating point)
          """)
    }
    w1.requiresGrad = true
    w2.requiresGrad = true
  }

  /// Trains for `steps` steps of `w -= learningRate * grad`, passing each step's loss (before the
  /// update) to `onStep`. Returns the last loss.
  @discardableResult
  public func train(steps: Int = 500, learningRate: Double = 1e-6, onStep: (Int, Double) -> Void = { _, _ in })
    -> Double
  {
    var last = Double.nan
    for step in 0..<steps {
      let yPred = x.matmul(w1).relu().matmul(w2)
      let loss = (yPred - y).pow(2).sum()
      last = loss.item()
      onStep(step, last)
      loss.backward()
      withNoGrad {
        w1 -= learningRate * w1.grad!
        w2 -= learningRate * w2.grad!
        w1.grad!.zero()
        w2.grad!.zero()
      }
    }
    return last
  }
}

extension TwoLayerNet {
  /// A small instance of the network (batch 4, sizes 5 -> 3 -> 2) and its loss, with every tensor
  /// named, for drawing and explaining the graph of one forward pass.
  public static func pictureExample(seed: UInt64 = 0) -> (loss: Tensor, names: [String: Tensor]) {
    var g = RandomGenerator(seed: seed)
    let x = Tensor.randn([4, 5], generator: &g)
    let y = Tensor.randn([4, 2], generator: &g)
    let w1 = Tensor.randn([5, 3], generator: &g)
    let w2 = Tensor.randn([3, 2], generator: &g)
    w1.requiresGrad = true
    w2.requiresGrad = true
    let h = x.matmul(w1)
    let hRelu = h.relu()
    let yPred = hRelu.matmul(w2)
    let error = yPred - y
    let loss = error.pow(2).sum()
    return (
      loss,
      ["x": x, "y": y, "w1": w1, "w2": w2, "h": h, "h_relu": hRelu, "y_pred": yPred, "error": error, "loss": loss]
    )
  }
}
