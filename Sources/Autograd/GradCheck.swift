/// What `gradCheck` found: whether every analytic gradient matched its finite-difference estimate,
/// and the worst element.
public struct GradCheckReport: CustomStringConvertible, Sendable {
  /// Whether every element was within `atol + rtol * |numeric|`.
  public var passed: Bool
  /// The input and flat element index with the largest mismatch, with both estimates there.
  public var worst: (input: Int, element: Int, analytic: Double, numeric: Double)?

  public var description: String {
    guard let worst else { return passed ? "gradCheck passed (no elements)" : "gradCheck failed" }
    return "gradCheck \(passed ? "passed" : "failed"): worst at input \(worst.input) element \(worst.element), "
      + "analytic \(worst.analytic) vs numeric \(worst.numeric)"
  }
}

/// Compares the gradients `backward()` computes for `f` with central finite differences, in Float64.
///
/// The inputs are copied to float64 leaves. A non-scalar output is reduced to a scalar with fixed
/// random weights, so that every output element takes part. Each element of each input is then
/// nudged by ±`eps` and the change of the output measured.
///
/// - Returns: A report; `passed` is whether |analytic - numeric| <= atol + rtol |numeric| everywhere.
public func gradCheckReport(
  _ inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
  _ f: ([Tensor]) -> Tensor
) -> GradCheckReport {
  let leaves = inputs.map { input -> Tensor in
    let leaf = input.detached().cast(to: .float64).contiguous()
    let copy = leaf.storage === input.storage ? Kernels.contiguousCopy(leaf) : leaf
    copy.requiresGrad = true
    return copy
  }
  let output = f(leaves)
  var generator = RandomGenerator(seed: 0x9_2AD)
  let weights = Tensor.randn(output.shape, dtype: .float64, generator: &generator)
  func objective(_ y: Tensor) -> Tensor { (y.cast(to: .float64) * weights).sum() }

  let objectiveValue = objective(output)
  // An output that does not depend on the inputs through differentiable ops has zero gradients.
  let analytic = objectiveValue.requiresGrad ? grad(of: objectiveValue, withRespectTo: leaves) : leaves.map { _ in nil }
  var report = GradCheckReport(passed: true)
  var worstExcess = -Double.infinity
  withNoGrad {
    for (i, leaf) in leaves.enumerated() {
      let values = leaf.storage.pointer(Double.self)
      let expected = analytic[i]?.scalars(as: Double.self) ?? Array(repeating: 0, count: leaf.count)
      for j in 0..<leaf.count {
        let original = values[j]
        values[j] = original + eps
        let plus = objective(f(leaves)).item()
        values[j] = original - eps
        let minus = objective(f(leaves)).item()
        values[j] = original
        let numeric = (plus - minus) / (2 * eps)
        let excess = Swift.abs(expected[j] - numeric) - (atol + rtol * Swift.abs(numeric))
        if excess > 0 || !expected[j].isFinite { report.passed = false }
        if excess > worstExcess || !expected[j].isFinite {
          worstExcess = excess
          report.worst = (i, j, expected[j], numeric)
        }
      }
    }
  }
  return report
}

/// Whether the gradients of `f` match central finite differences in Float64; see `gradCheckReport`.
public func gradCheck(
  _ inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
  _ f: ([Tensor]) -> Tensor
) -> Bool {
  gradCheckReport(inputs, eps: eps, atol: atol, rtol: rtol, f).passed
}

/// Whether the gradient of `f` matches finite differences at a seeded random input of `shape`,
/// with values uniform in `range`.
public func gradCheck(
  shape: [Int], in range: ClosedRange<Double> = -2...2, seed: UInt64 = 1,
  _ f: (Tensor) -> Tensor
) -> Bool {
  var generator = RandomGenerator(seed: seed)
  let x =
    Tensor.rand(shape, dtype: .float64, generator: &generator) * (range.upperBound - range.lowerBound)
    + range.lowerBound
  return gradCheck([x]) { f($0[0]) }
}

/// Compares second derivatives of `f` with finite differences of its first derivatives, in Float64.
///
/// The first derivatives (of `f`'s output weighted by fixed random values) are computed with
/// `createGraph: true`; `gradCheckReport` then checks their gradients. Passing means the backward
/// rules are themselves differentiated correctly (Hessian-vector products are right).
public func gradGradCheckReport(
  _ inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
  _ f: @escaping ([Tensor]) -> Tensor
) -> GradCheckReport {
  gradCheckReport(inputs, eps: eps, atol: atol, rtol: rtol) { xs in
    withGrad {
      let y = f(xs)
      var generator = RandomGenerator(seed: 0x2_0D)
      let weights = Tensor.randn(y.shape, dtype: .float64, generator: &generator)
      let objective = (y.cast(to: .float64) * weights).sum()
      guard objective.requiresGrad else { return Tensor.zeros([xs.map(\.count).reduce(0, +)], dtype: .float64) }
      let firstOrder = grad(of: objective, withRespectTo: xs, createGraph: true)
      return Tensor.cat(zip(xs, firstOrder).map { x, g in g?.flattened() ?? Tensor.zeros([x.count], dtype: .float64) })
    }
  }
}

/// Whether the second derivatives of `f` match finite differences; see `gradGradCheckReport`.
public func gradGradCheck(
  _ inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
  _ f: @escaping ([Tensor]) -> Tensor
) -> Bool {
  gradGradCheckReport(inputs, eps: eps, atol: atol, rtol: rtol, f).passed
}
