import Autograd

/// Limited-memory BFGS, as PyTorch's `LBFGS` without line search: each `step(closure)` runs up to
/// `maxIterations` quasi-Newton iterations, each moving the parameters by the learning rate along
/// the direction the two-loop recursion gives from the last `historySize` updates.
///
/// `closure` must clear the gradients, compute the loss, call `backward()` and return the loss.
public final class LBFGS: Optimizer {
  public let maxIterations: Int, maxEvaluations: Int, toleranceGrad: Double, toleranceChange: Double, historySize: Int
  private var directions: [[Double]] = [], steps: [[Double]] = []
  private var previousGradient: [Double]?, previousDirection: [Double]?, previousStepSize = 0.0
  private var iterations = 0

  public init(
    parameters: [Tensor], learningRate: Double = 1, maxIterations: Int = 20, maxEvaluations: Int? = nil,
    toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9, historySize: Int = 100
  ) {
    Self.check(maxIterations > 0, "LBFGS: maxIterations must be positive, got \(maxIterations)")
    Self.check(historySize > 0, "LBFGS: historySize must be positive, got \(historySize)")
    (self.maxIterations, self.maxEvaluations, self.toleranceGrad, self.toleranceChange, self.historySize) =
      (maxIterations, maxEvaluations ?? maxIterations * 5 / 4, toleranceGrad, toleranceChange, historySize)
    super.init(groups: [ParameterGroup(parameters)], learningRate: learningRate)
  }

  public override func step() {
    trap("LBFGS: call step(closure:), which re-evaluates the loss")
  }

  private func flatGradient() -> [Double] {
    parameters.flatMap { p in p.grad?.scalars(as: Double.self) ?? Array(repeating: 0, count: p.count) }
  }

  private func move(by t: Double, along d: [Double]) {
    var offset = 0
    withNoGrad {
      for p in parameters {
        let piece = Tensor(Array(d[offset..<(offset + p.count)]), shape: p.shape, dtype: p.dtype)
        p += t * piece
        offset += p.count
      }
    }
  }

  private static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

  /// Runs up to `maxIterations` iterations; returns the loss the closure first reported.
  @discardableResult
  public func step(closure: () -> Tensor) -> Double {
    let firstLoss = withGrad { closure() }.item()
    var loss = firstLoss
    var evaluations = 1
    var g = flatGradient()
    if g.map(Swift.abs).max() ?? 0 <= toleranceGrad { return firstLoss }
    var d = previousDirection ?? []
    var t = previousStepSize
    for n in 1...maxIterations {
      iterations += 1
      if iterations == 1 {
        d = g.map { -$0 }
        directions = []
        steps = []
      } else if let prev = previousGradient {
        let y = zip(g, prev).map { $0 - $1 }
        let s = d.map { $0 * t }
        let ys = Self.dot(y, s)
        if ys > 1e-10 {
          if directions.count == historySize {
            directions.removeFirst()
            steps.removeFirst()
          }
          directions.append(y)
          steps.append(s)
        }
        let hDiag = directions.last.map { ys > 1e-10 ? ys / Self.dot($0, $0) : 1 } ?? 1
        // Two-loop recursion: d = -H g.
        var q = g.map { -$0 }
        var alphas = [Double](repeating: 0, count: directions.count)
        for i in stride(from: directions.count - 1, through: 0, by: -1) {
          alphas[i] = Self.dot(steps[i], q) / Self.dot(directions[i], steps[i])
          q = zip(q, directions[i]).map { $0 - alphas[i] * $1 }
        }
        d = q.map { $0 * hDiag }
        for i in directions.indices {
          let beta = Self.dot(directions[i], d) / Self.dot(directions[i], steps[i])
          d = zip(d, steps[i]).map { $0 + (alphas[i] - beta) * $1 }
        }
      }
      previousGradient = g
      let previousLoss = loss
      t = iterations == 1 ? Swift.min(1, 1 / g.map(Swift.abs).reduce(0, +)) * learningRate : learningRate
      let gtd = Self.dot(g, d)
      if gtd > -toleranceChange { break }
      move(by: t, along: d)
      if n != maxIterations {
        loss = withGrad { closure() }.item()
        evaluations += 1
        g = flatGradient()
      }
      if n == maxIterations || evaluations >= maxEvaluations { break }
      if g.map(Swift.abs).max() ?? 0 <= toleranceGrad { break }
      if (d.map { Swift.abs($0 * t) }.max() ?? 0) <= toleranceChange { break }
      if Swift.abs(loss - previousLoss) < toleranceChange { break }
    }
    previousDirection = d
    previousStepSize = t
    return firstLoss
  }
}
