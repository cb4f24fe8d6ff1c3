import Foundation
import Testing

@testable import Autograd

private let shapes: [[Int]] = [[], [4], [3, 4]]

/// First- and second-order checks of `f` at seeded inputs uniform in `range`.
/// This file's inputs come from seed 3.
private func checkBothOrders(
  _ shapes: [[Int]], in range: ClosedRange<Double> = -2...2, secondOrder: Bool = true,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor
) {
  AutogradTests.checkBothOrders(shapes, in: range, seed: 3, secondOrder: secondOrder, sourceLocation: sourceLocation, f)
}

/// A row of the element-wise tables (`mathCases`, `activationCases`): name, input range, the op,
/// and the scalar function it must agree with.
struct UnaryCase: CustomTestStringConvertible, Sendable {
  let name: String
  let range: ClosedRange<Double>
  let op: @Sendable (Tensor) -> Tensor
  let reference: @Sendable (Double) -> Double
  var testDescription: String { name }
}

let unaryCases = mathCases + activationCases

@Suite("Element-wise functions") struct ElementwiseFunctionTests {
  @Test(arguments: unaryCases) func valuesMatchScalarMath(c: UnaryCase) {
    var g = RandomGenerator(seed: 8)
    let x =
      Tensor.rand([50], dtype: .float64, generator: &g) * (c.range.upperBound - c.range.lowerBound) + c.range.lowerBound
    let got = c.op(x).scalars(as: Double.self)
    for (v, y) in zip(x.scalars(as: Double.self), got) {
      let expected = c.reference(v)
      #expect(
        Swift.abs(y - expected) <= 1e-12 * Swift.max(1, Swift.abs(expected)),
        "\(c.name)(\(v)) = \(y), expected \(expected)")
    }
  }

  @Test(arguments: unaryCases, shapes) func gradientsOfFirstAndSecondOrder(c: UnaryCase, shape: [Int]) {
    checkBothOrders([shape], in: c.range) { c.op($0[0]) }
  }

  @Test func float32AgreesWithFloat64() {
    let x = Tensor.linspace(-2, 2, 9)
    for c in unaryCases where c.range.contains(-2) && c.range.contains(2) {
      let single = c.op(x).scalars(as: Double.self)
      let double = c.op(x.cast(to: .float64)).scalars(as: Double.self)
      for (s, d) in zip(single, double) { #expect(Swift.abs(s - d) <= 1e-5 * Swift.max(1, Swift.abs(d)), "\(c.name)") }
      // The gradients too: float32 rules may run fused C loops (gelu's) where float64 runs Swift.
      let (x32, x64) = (x.clone(), x.cast(to: .float64))
      x32.requiresGrad = true
      x64.requiresGrad = true
      let g32 = grad(of: c.op(x32).sum(), withRespectTo: [x32])[0]!.scalars(as: Double.self)
      let g64 = grad(of: c.op(x64).sum(), withRespectTo: [x64])[0]!.scalars(as: Double.self)
      for (s, d) in zip(g32, g64) { #expect(Swift.abs(s - d) <= 1e-5 * Swift.max(1, Swift.abs(d)), "\(c.name)'") }
    }
  }

  @Test func roundingHalvesAndSpecialValues() {
    #expect(Tensor([0.5, 1.5, 2.5, -0.5]).round().scalars(as: Float.self) == [0, 2, 2, -0])
    #expect(Tensor([100]).softplus().item() == 100)
    #expect(Tensor([-100]).logSigmoid().item() == -100)
    #expect(Tensor([-1000]).elu().item() == -1)
    let g = grad(
      of: Tensor([1000.0], dtype: .float64, requiresGrad: true).elu().sum(),
      withRespectTo: [])
    #expect(g.isEmpty)
  }

  @Test func kinksFollowPyTorch() {
    let x = Tensor([0.0, -1.0, 1.0, 6.0], dtype: .float64, requiresGrad: true)
    #expect(
      grad(of: x.leakyRelu(negativeSlope: 0.2).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [
        0.2, 0.2, 1, 1,
      ])
    // hardtanh passes the gradient only strictly inside its bounds.
    #expect(
      grad(of: x.hardtanh(min: -1, max: 1).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [1, 0, 0, 0])
    #expect(grad(of: x.relu6().sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 1, 0])
    #expect(grad(of: x.floor().sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 0, 0])
  }

  @Test func reluAbsAndClampKinksFollowPyTorch() {
    // At the kink PyTorch 2.15 picks: relu'(0) = 0, |x|'(0) = 0, and clamp with number bounds
    // passes no gradient at its bounds (it did before 2.15).
    let x = Tensor([0.0, -1.0, 0.5], dtype: .float64, requiresGrad: true)
    #expect(grad(of: x.relu().sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 1])
    #expect(grad(of: x.abs().sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, -1, 1])
    #expect(grad(of: x.clamped(min: -1, max: 0.5).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [1, 0, 0])
    #expect(grad(of: x.clamped(min: 0, max: 0).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 0])
    #expect(grad(of: x.clamped(min: 0.1).sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [0, 0, 1])
  }
}
