import Autograd
import Foundation

/// Weight initializers, as `torch.nn.init`: each overwrites a tensor in place (unrecorded) from
/// `generator`, unless inside `withoutInitialization`.
public enum Init {
  /// Set inside `withoutInitialization`: layers start at zero and initializers draw nothing.
  @TaskLocal static var isSkipped = false

  /// The fan-in and fan-out of a weight: `[out, in, kernel...]` gives in·k and out·k.
  public static func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
    trapUnless(t.rank >= 2, "Init: fan-in and fan-out need a weight of at least 2 axes, got \(t.shape)")
    let receptive = t.shape.dropFirst(2).reduce(1, *)
    return (t.shape[1] * receptive, t.shape[0] * receptive)
  }

  /// The gain PyTorch recommends for a nonlinearity (`calculate_gain`).
  public enum Nonlinearity: Sendable {
    case linear, sigmoid, tanh, relu, selu
    case leakyRelu(negativeSlope: Double)
    public var gain: Double {
      switch self {
      case .linear, .sigmoid: 1
      case .tanh: 5.0 / 3
      case .relu: 2.0.squareRoot()
      case .leakyRelu(let a): (2 / (1 + a * a)).squareRoot()
      case .selu: 3.0 / 4
      }
    }
  }

  private static func overwrite(_ t: Tensor, with values: @autoclosure () -> Tensor) {
    guard !isSkipped else { return }
    withNoGrad { t.copy(from: values()) }
  }

  /// Uniform values in [low, high).
  public static func uniform(_ t: Tensor, low: Double = 0, high: Double = 1, generator: inout RandomGenerator) {
    overwrite(t, with: Tensor.rand(t.shape, dtype: .float64, generator: &generator) * (high - low) + low)
  }

  /// Normal values with `mean` and `std`.
  public static func normal(_ t: Tensor, mean: Double = 0, std: Double = 1, generator: inout RandomGenerator) {
    overwrite(t, with: Tensor.randn(t.shape, dtype: .float64, generator: &generator) * std + mean)
  }

  /// Every element set to `value`.
  public static func constant(_ t: Tensor, _ value: Double) { withNoGrad { t.fill(value) } }

  /// Glorot uniform: U(-a, a) with a = gain √(6 / (fanIn + fanOut)).
  public static func xavierUniform(_ t: Tensor, gain: Double = 1, generator: inout RandomGenerator) {
    let (fanIn, fanOut) = fans(t)
    let a = gain * (6 / Double(fanIn + fanOut)).squareRoot()
    uniform(t, low: -a, high: a, generator: &generator)
  }

  /// Glorot normal: N(0, σ²) with σ = gain √(2 / (fanIn + fanOut)).
  public static func xavierNormal(_ t: Tensor, gain: Double = 1, generator: inout RandomGenerator) {
    let (fanIn, fanOut) = fans(t)
    normal(t, std: gain * (2 / Double(fanIn + fanOut)).squareRoot(), generator: &generator)
  }

  /// He uniform: U(-b, b) with b = gain √(3 / fan), fan the fan-in (or fan-out with `fanOut`).
  public static func kaimingUniform(
    _ t: Tensor, nonlinearity: Nonlinearity = .leakyRelu(negativeSlope: 0),
    fanOut: Bool = false, generator: inout RandomGenerator
  ) {
    let fans = fans(t)
    let bound = nonlinearity.gain * (3 / Double(fanOut ? fans.fanOut : fans.fanIn)).squareRoot()
    uniform(t, low: -bound, high: bound, generator: &generator)
  }

  /// He normal: N(0, σ²) with σ = gain / √fan.
  public static func kaimingNormal(
    _ t: Tensor, nonlinearity: Nonlinearity = .leakyRelu(negativeSlope: 0),
    fanOut: Bool = false, generator: inout RandomGenerator
  ) {
    let fans = fans(t)
    normal(t, std: nonlinearity.gain / Double(fanOut ? fans.fanOut : fans.fanIn).squareRoot(), generator: &generator)
  }

  /// Normal values with `mean` and `std`, redrawn until they fall in [low, high].
  public static func truncatedNormal(
    _ t: Tensor, mean: Double = 0, std: Double = 1, low: Double = -2, high: Double = 2,
    generator: inout RandomGenerator
  ) {
    trapUnless(low < high, "truncatedNormal: low (\(low)) must be below high (\(high))")
    guard !isSkipped else { return }
    let values = (0..<t.count).map { _ -> Double in
      while true {
        let v = mean + std * generator.nextNormal()
        if v >= low && v <= high { return v }
      }
    }
    overwrite(t, with: Tensor(values, shape: t.shape, dtype: .float64))
  }

  /// A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, times `gain`;
  /// extra axes are flattened into the columns.
  public static func orthogonal(_ t: Tensor, gain: Double = 1, generator: inout RandomGenerator) {
    trapUnless(t.rank >= 2, "orthogonal: needs at least 2 axes, got \(t.shape)")
    guard !isSkipped else { return }
    let rows = t.shape[0]
    let cols = t.count / rows
    // Gram-Schmidt on the longer side's vectors gives orthonormal rows or columns.
    let n = Swift.max(rows, cols)
    let k = Swift.min(rows, cols)
    var vectors: [[Double]] = []
    while vectors.count < k {
      var v = (0..<n).map { _ in generator.nextNormal() }
      for u in vectors {
        let d = zip(u, v).map(*).reduce(0, +)
        v = zip(v, u).map { $0 - d * $1 }
      }
      let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
      if norm > 1e-8 { vectors.append(v.map { $0 / norm }) }
    }
    // k vectors of length n: rows of a [k, n] matrix; transpose when the weight is taller than wide.
    var values = [Double](repeating: 0, count: rows * cols)
    for i in 0..<rows {
      for j in 0..<cols { values[i * cols + j] = gain * (rows <= cols ? vectors[i][j] : vectors[j][i]) }
    }
    overwrite(t, with: Tensor(values, shape: t.shape, dtype: .float64))
  }
}

/// Runs `body` with the layers it builds left at zero instead of drawn at random, for a model whose
/// weights are loaded next, as PyTorch's `torch.nn.utils.skip_init` (or building on the `meta`
/// device and loading with `assign=True`).
///
/// Drawing a large embedding table costs more than loading it (a 30522 x 384 table: about a
/// second). Inside `body` no random value is drawn, by the layers or by `Init`'s functions; the
/// parameters still require grad, and `load(from:)` then fills them.
///
/// ```swift
/// let model = withoutInitialization { Encoder(configuration) }
/// try model.load(from: url)
/// ```
public func withoutInitialization<R>(_ body: () throws -> R) rethrows -> R {
  try Init.$isSkipped.withValue(true, operation: body)
}
