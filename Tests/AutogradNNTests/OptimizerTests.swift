import Autograd
import Foundation
import Testing

@testable import AutogradNN

/// Each optimizer runs three steps on loss = Σ cᵢ wᵢ² (gradient 2cᵢwᵢ), compared with its published
/// rule written out here on plain Doubles.
private let c: [Double] = [1, -0.5, 3]
private let start: [Double] = [0.5, -1, 2]

private func run(_ make: ([Tensor]) -> Optimizer, steps: Int = 3) -> [Double] {
  let w = Tensor(start, dtype: .float64, requiresGrad: true)
  let optimizer = make([w])
  for _ in 0..<steps {
    optimizer.zeroGrad()
    (Tensor(c, dtype: .float64) * w * w).sum().backward()
    optimizer.step()
  }
  return w.scalars(as: Double.self)
}

private func reference(
  steps: Int = 3, _ rule: (_ w: inout Double, _ g: Double, _ state: inout [String: Double], _ t: Double) -> Void
) -> [Double] {
  zip(start, c).map { w0, ci in
    var w = w0
    var state: [String: Double] = [:]
    for t in 1...steps { rule(&w, 2 * ci * w, &state, Double(t)) }
    return w
  }
}

private func close(_ a: [Double], _ b: [Double]) -> Bool {
  zip(a, b).allSatisfy { Swift.abs($0 - $1) < 1e-12 * Swift.max(1, Swift.abs($1)) }
}

@Suite("Optimizers follow their published rules") struct OptimizerTests {
  @Test func sgdWithMomentumDampeningAndWeightDecay() {
    let got = run { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01) }
    let expected = reference { w, g, s, _ in
      let g = g + 0.01 * w
      let b = s["b"].map { 0.9 * $0 + 0.9 * g } ?? g
      s["b"] = b
      w -= 0.1 * b
    }
    #expect(close(got, expected))
  }

  @Test func sgdNesterov() {
    let got = run { SGD(parameters: $0, learningRate: 0.05, momentum: 0.8, nesterov: true) }
    let expected = reference { w, g, s, _ in
      let b = s["b"].map { 0.8 * $0 + g } ?? g
      s["b"] = b
      w -= 0.05 * (g + 0.8 * b)
    }
    #expect(close(got, expected))
  }

  @Test(arguments: [false, true]) func adam(amsgrad: Bool) {
    let got = run {
      Adam(parameters: $0, learningRate: 0.1, betas: (0.8, 0.9), epsilon: 1e-8, weightDecay: 0.1, amsgrad: amsgrad)
    }
    let expected = reference { w, g, s, t in
      let g = g + 0.1 * w
      let m = 0.8 * (s["m"] ?? 0) + 0.2 * g
      let v = 0.9 * (s["v"] ?? 0) + 0.1 * g * g
      let vMax = Swift.max(s["vmax"] ?? 0, v)
      (s["m"], s["v"], s["vmax"]) = (m, v, vMax)
      let mHat = m / (1 - Foundation.pow(0.8, t))
      let vHat = (amsgrad ? vMax : v) / (1 - Foundation.pow(0.9, t))
      w -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
    }
    #expect(zip(got, expected).allSatisfy { Swift.abs($0 - $1) < 1e-9 })
  }

  @Test func adamW() {
    let got = run { AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0.5) }
    let expected = reference { w, g, s, t in
      w *= 1 - 0.1 * 0.5
      let m = 0.9 * (s["m"] ?? 0) + 0.1 * g
      let v = 0.999 * (s["v"] ?? 0) + 0.001 * g * g
      (s["m"], s["v"]) = (m, v)
      w -= 0.1 * (m / (1 - Foundation.pow(0.9, t))) / ((v / (1 - Foundation.pow(0.999, t))).squareRoot() + 1e-8)
    }
    #expect(zip(got, expected).allSatisfy { Swift.abs($0 - $1) < 1e-9 })
  }

  /// The fused one-pass step (float32, contiguous) against the op-by-op step, which a gradient
  /// that is a transposed view makes Adam take: the same values, bit for bit.
  @Test(arguments: [(0.0, false), (0.05, false), (0.3, true)], [DType.float32, .float64])
  func fusedAdamStepEqualsTheOpByOpStep(decay: (weightDecay: Double, decoupled: Bool), dtype: DType) {
    let (weightDecay, decoupled) = decay
    var g = RandomGenerator(seed: 11)
    let start = Tensor.randn([37, 29], dtype: dtype, generator: &g)
    let gradients = (0..<4).map { _ in Tensor.randn([29, 37], dtype: dtype, generator: &g) }
    func train(contiguousGradients: Bool) -> [Double] {
      let w = start.clone()
      w.requiresGrad = true
      let optimizer: Optimizer =
        decoupled
        ? AdamW(parameters: [w], learningRate: 0.01, weightDecay: weightDecay)
        : Adam(parameters: [w], learningRate: 0.01, betas: (0.8, 0.95), weightDecay: weightDecay)
      for gradient in gradients {
        let view = gradient.transposed()
        w.grad = contiguousGradients ? view.contiguous() : view
        optimizer.step()
      }
      return w.scalars(as: Double.self)
    }
    let fused = train(contiguousGradients: true)
    let stepwise = train(contiguousGradients: false)
    #expect(fused == stepwise)
    #expect(fused != start.scalars(as: Double.self))
  }

  @Test(arguments: [(0.0, false), (0.5, true)]) func rmsprop(momentum: Double, centered: Bool) {
    let got = run { RMSprop(parameters: $0, learningRate: 0.01, alpha: 0.9, momentum: momentum, centered: centered) }
    let expected = reference { w, g, s, _ in
      let v = 0.9 * (s["v"] ?? 0) + 0.1 * g * g
      let mean = 0.9 * (s["mean"] ?? 0) + 0.1 * g
      (s["v"], s["mean"]) = (v, mean)
      let step = g / ((centered ? v - mean * mean : v).squareRoot() + 1e-8)
      if momentum > 0 {
        let b = momentum * (s["b"] ?? 0) + step
        s["b"] = b
        w -= 0.01 * b
      } else {
        w -= 0.01 * step
      }
    }
    #expect(zip(got, expected).allSatisfy { Swift.abs($0 - $1) < 1e-9 })
  }

  @Test func adagrad() {
    let got = run { Adagrad(parameters: $0, learningRate: 0.1, learningRateDecay: 0.01, initialAccumulatorValue: 0.1) }
    let expected = reference { w, g, s, t in
      let sum = (s["sum"] ?? 0.1) + g * g
      s["sum"] = sum
      w -= (0.1 / (1 + (t - 1) * 0.01)) * g / (sum.squareRoot() + 1e-10)
    }
    #expect(close(got, expected))
  }

  @Test func adadelta() {
    let got = run { Adadelta(parameters: $0, learningRate: 1, rho: 0.9) }
    let expected = reference { w, g, s, _ in
      let v = 0.9 * (s["v"] ?? 0) + 0.1 * g * g
      let delta = ((s["u"] ?? 0) + 1e-6).squareRoot() / (v + 1e-6).squareRoot() * g
      s["u"] = 0.9 * (s["u"] ?? 0) + 0.1 * delta * delta
      s["v"] = v
      w -= delta
    }
    #expect(close(got, expected))
  }

  @Test func parameterGroupsHaveTheirOwnLearningRates() {
    let a = Tensor([1.0], dtype: .float64, requiresGrad: true)
    let b = Tensor([1.0], dtype: .float64, requiresGrad: true)
    let optimizer = SGD(groups: [ParameterGroup([a]), ParameterGroup([b], learningRate: 0.5)], learningRate: 0.1)
    (a + b).sum().backward()
    optimizer.step()
    #expect(a.item() == 0.9)
    #expect(b.item() == 0.5)
  }

  @Test func gradientClipping() {
    let a = Tensor([3.0, 4.0], dtype: .float64, requiresGrad: true)
    (a * a / 2).sum().backward()
    #expect(clipGradNorm([a], maxNorm: 1) == 5)
    #expect(Swift.abs(a.grad!.norm().item() - 1) < 1e-6)
    clipGradValue([a], clipValue: 0.7)
    #expect(a.grad!.scalars(as: Double.self).allSatisfy { $0 <= 0.7 })
  }

  @Test func invalidHyperParametersTrapWithTheValue() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Adam(parameters: [Tensor([1.0], requiresGrad: true)], betas: (0.9, 1.0))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains("Adam: beta2 must be in [0, 1), got 1.0"))
    }
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = SGD(parameters: [Tensor([1.0], requiresGrad: true)], learningRate: -0.1)
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "learning rate must be non-negative, got -0.1"))
    }
  }
}

@Suite("L-BFGS") struct LBFGSTests {
  @Test func minimizesTheRosenbrockFunction() {
    let w = Tensor([-1.5, 2.0], dtype: .float64, requiresGrad: true)
    let optimizer = LBFGS(parameters: [w], learningRate: 1, maxIterations: 100, historySize: 10)
    func rosenbrock() -> Tensor {
      let x = w[0]
      let y = w[1]
      return (1 - x).pow(2) + 100 * (y - x * x).pow(2)
    }
    for _ in 0..<20 {
      optimizer.step {
        optimizer.zeroGrad()
        let loss = rosenbrock()
        loss.backward()
        return loss
      }
    }
    #expect(rosenbrock().item() < 1e-6, "loss \(rosenbrock().item()) at \(w.scalars(as: Double.self))")
  }

  @Test func solvesALeastSquaresProblemInFewSteps() {
    var g = RandomGenerator(seed: 3)
    let a = Tensor.randn([20, 5], dtype: .float64, generator: &g)
    let truth = Tensor.randn([5], dtype: .float64, generator: &g)
    let b = a.matmul(truth)
    let x = Tensor.zeros([5], dtype: .float64, requiresGrad: true)
    let optimizer = LBFGS(parameters: [x], maxIterations: 50)
    optimizer.step {
      optimizer.zeroGrad()
      let loss = (a.matmul(x) - b).pow(2).sum()
      loss.backward()
      return loss
    }
    #expect(zip(x.scalars(as: Double.self), truth.scalars(as: Double.self)).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
  }
}
