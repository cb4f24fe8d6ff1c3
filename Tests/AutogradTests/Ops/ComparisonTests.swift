import Foundation
import Testing

@testable import Autograd

/// First- and second-order checks of `f` at seeded inputs uniform in `range`.
/// This file's inputs come from seed 3.
private func checkBothOrders(
  _ shapes: [[Int]], in range: ClosedRange<Double> = -2...2, secondOrder: Bool = true,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor
) {
  AutogradTests.checkBothOrders(shapes, in: range, seed: 3, secondOrder: secondOrder, sourceLocation: sourceLocation, f)
}

@Suite("Binary functions and where") struct BinaryFunctionTests {
  @Test(arguments: [([3, 4], [4]), ([3, 1], [1, 4]), ([], [2, 3])] as [([Int], [Int])])
  func gradientsOfFirstAndSecondOrder(shapes: ([Int], [Int])) {
    for pair in [[shapes.0, shapes.1], [shapes.1, shapes.0]] {
      checkBothOrders(pair) { $0[0].maximum($0[1]) }
      checkBothOrders(pair) { $0[0].minimum($0[1]) }
      checkBothOrders(pair, in: 0.5...2) { $0[0].atan2($0[1]) }
      checkBothOrders(pair) { ($0[0] * 3).atan2($0[1] - 0.1) }
      checkBothOrders(pair, in: 0.3...3) { $0[0].remainder($0[1]) }
      checkBothOrders(pair, in: 0.3...3) { ($0[0] - 1.7).fmod($0[1] - 3.5) }
      checkBothOrders(pair) { Tensor.where($0[0] .> 0, $0[0] * $0[1], $0[1].exp()) }
      checkBothOrders(pair) { $0[0].clamped(min: $0[1] - 0.5, max: $0[1] + 0.5) }
    }
  }

  @Test func values() {
    let a = Tensor([1, 5, 3])
    let b = Tensor([4, 2, 3])
    #expect(a.maximum(b).scalars(as: Float.self) == [4, 5, 3])
    #expect(a.minimum(b).scalars(as: Float.self) == [1, 2, 3])
    #expect(Tensor([1, .nan]).maximum(Tensor([2, 0])).scalars(as: Float.self)[1].isNaN)
    #expect((Tensor([-7, 7, -7.5, 7]) % Tensor([3, -3, 2, 3])).scalars(as: Float.self) == [2, -2, 0.5, 1])
    #expect((Tensor(integers: [-7, 7]) % 3).scalars(as: Int64.self) == [2, 1])
    // fmod keeps the dividend's sign where remainder takes the divisor's (values from PyTorch 2.15).
    #expect(Tensor([-3, 3, -3, 3]).fmod(Tensor([2, -2, -2, 2])).scalars(as: Float.self) == [-1, 1, -1, 1])
    #expect(Tensor(integers: [-7, 7]).fmod(3).scalars(as: Int64.self) == [-1, 1])
    #expect(Tensor([5]).fmod(0).item().isNaN)
    #expect(Tensor(integers: [Int(Int64.min)]).fmod(Tensor(integers: [-1])).scalars(as: Int64.self) == [0])
    #expect((Tensor(integers: [Int(Int64.min)]) % Tensor(integers: [-1])).scalars(as: Int64.self) == [0])
    #expect(Tensor([1.0], dtype: .float64).atan2(Tensor([-1.0], dtype: .float64)).item() == Foundation.atan2(1.0, -1.0))
    #expect(Tensor([-2, -2, 4]).pow(Tensor([3, 2, 0.5])).scalars(as: Float.self) == [-8, 4, 2])
    #expect(Tensor([-2]).pow(3).item() == -8)
    #expect(Tensor([-2]).pow(0.5).item().isNaN)
    #expect(
      Tensor.where(Tensor(bools: [true, false, true]), Tensor([1, 2, 3]), Tensor([10])).scalars(as: Float.self) == [
        1, 10, 3,
      ])
    #expect(
      Tensor([0, 5, 10]).clamped(min: Tensor([1]), max: Tensor([2, 3, 4])).scalars(as: Float.self) == [1, 3, 4])
  }

  @Test func numberOperandsMatchTensorOperands() {
    // A Swift number is applied directly rather than as a constant tensor; the values must be the
    // same as with the number converted to a tensor of the dtype, bit for bit.
    var g = RandomGenerator(seed: 3)
    let x = Tensor.randn([2, 5], generator: &g).transposed(0, 1)
    for c in [0.1, -2.5, 3.0, 1e-7] {
      let t = Tensor(c)
      #expect((x + c).scalars(as: Float.self) == (x + t).scalars(as: Float.self))
      #expect((c + x).scalars(as: Float.self) == (t + x).scalars(as: Float.self))
      #expect((x - c).scalars(as: Float.self) == (x - t).scalars(as: Float.self))
      #expect((c - x).scalars(as: Float.self) == (t - x).scalars(as: Float.self))
      #expect((x * c).scalars(as: Float.self) == (x * t).scalars(as: Float.self))
      #expect((c * x).scalars(as: Float.self) == (t * x).scalars(as: Float.self))
      #expect((x / c).scalars(as: Float.self) == (x / t).scalars(as: Float.self))
    }
    // Integer tensors keep PyTorch's promotion: a whole number stays int64, a fraction makes float32.
    #expect((Tensor(integers: [1, 2]) * 3).dtype == .int64)
    #expect((Tensor(integers: [1, 2]) - 0.5).scalars(as: Float.self) == [0.5, 1.5])
    // One input is recorded, and the number is shown in the graph.
    let w = Tensor([1.0], requiresGrad: true)
    let recorded = ComputationGraph.recording {
      [
        (w * 2, "MulBackward", "w * 2"), (2 - w, "RsubBackward", "2 - w"), (w - 0.5, "SubBackward", "w - 0.5"),
        (w / 4, "DivBackward", "w / 4"),
      ]
    }
    for (y, name, formula) in recorded {
      #expect(y.gradFnName == name)
      let graph = ComputationGraph(of: y, names: ["w": w])
      #expect(graph.nodes.count == 2)
      #expect(graph.nodes.compactMap(\.formula) == [formula])
    }
  }

  @Test func productWithOneOperandNeedingAGradient() {
    // Only the other operand is saved then; the gradient still reduces over broadcast axes.
    let constant = Tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype: .float64).reshaped(to: [2, 3])
    let cases: [([Int], [Double])] = [
      ([2, 3], [1, 2, 3, 4, 5, 6]), ([3], [5, 7, 9]), ([1, 3], [5, 7, 9]), ([2, 1], [6, 15]),
    ]
    for (shape, expected) in cases {
      let x = Tensor.ones(shape, dtype: .float64)
      x.requiresGrad = true
      let left = grad(of: (x * constant).sum(), withRespectTo: [x])[0]!
      let right = grad(of: (constant * x).sum(), withRespectTo: [x])[0]!
      #expect(left.shape == shape && right.shape == shape)
      #expect(left.scalars(as: Double.self) == expected && right.scalars(as: Double.self) == expected)
    }
    // Second order through the saved operand: d²(x² · c)/dx² = 2c.
    let x = Tensor([1.0, 2.0, 3.0], dtype: .float64, requiresGrad: true)
    let c = Tensor([2.0, 3.0, 4.0], dtype: .float64)
    let first = grad(of: (x * x * c).sum(), withRespectTo: [x], createGraph: true)[0]!
    #expect(grad(of: first.sum(), withRespectTo: [x])[0]!.scalars(as: Double.self) == [4, 6, 8])
  }

  @Test func tiesSplitTheGradient() {
    let a = Tensor([2.0], dtype: .float64, requiresGrad: true)
    let b = Tensor([2.0], dtype: .float64, requiresGrad: true)
    let g = grad(of: a.maximum(b).sum(), withRespectTo: [a, b])
    #expect(g.map { $0!.item() } == [0.5, 0.5])
  }

  @Test func clampWithTensorBoundsSendsTheGradientToTheBound() {
    let x = Tensor([0.0, 5.0, 10.0], dtype: .float64, requiresGrad: true)
    let lo = Tensor([1.0], dtype: .float64, requiresGrad: true)
    let hi = Tensor([4.0, 6.0, 8.0], dtype: .float64, requiresGrad: true)
    let g = grad(of: x.clamped(min: lo, max: hi).sum(), withRespectTo: [x, lo, hi])
    #expect(g[0]!.scalars(as: Double.self) == [0, 1, 0])
    #expect(g[1]!.scalars(as: Double.self) == [1])
    #expect(g[2]!.scalars(as: Double.self) == [0, 0, 1])
  }

  /// Every order of x, min and max in {0, 1, 2}: (x, min, max) and the gradients PyTorch 2.15 gives
  /// x, min and max (recorded from it). Ties split evenly between x and a bound, except when both
  /// bounds equal x; min > max gives max.
  static let clampCases: [([Double], [Double])] = [
    ([0, 0, 0], [1, 0, 0]), ([0, 0, 1], [0.5, 0.5, 0]), ([0, 0, 2], [0.5, 0.5, 0]), ([0, 1, 0], [0, 0, 1]),
    ([0, 1, 1], [0, 1, 0]), ([0, 1, 2], [0, 1, 0]), ([0, 2, 0], [0, 0, 1]), ([0, 2, 1], [0, 0, 1]),
    ([0, 2, 2], [0, 1, 0]), ([1, 0, 0], [0, 0, 1]), ([1, 0, 1], [0.5, 0, 0.5]), ([1, 0, 2], [1, 0, 0]),
    ([1, 1, 0], [0, 0, 1]), ([1, 1, 1], [1, 0, 0]), ([1, 1, 2], [0.5, 0.5, 0]), ([1, 2, 0], [0, 0, 1]),
    ([1, 2, 1], [0, 0, 1]), ([1, 2, 2], [0, 1, 0]), ([2, 0, 0], [0, 0, 1]), ([2, 0, 1], [0, 0, 1]),
    ([2, 0, 2], [0.5, 0, 0.5]), ([2, 1, 0], [0, 0, 1]), ([2, 1, 1], [0, 0, 1]), ([2, 1, 2], [0.5, 0, 0.5]),
    ([2, 2, 0], [0, 0, 1]), ([2, 2, 1], [0, 0, 1]), ([2, 2, 2], [1, 0, 0]),
  ]

  @Test(arguments: clampCases)
  func clampWithTensorBoundsMatchesPyTorchAtEveryTie(inputs: [Double], expected: [Double]) {
    let (x, lo, hi) = (
      Tensor(inputs[0], dtype: .float64), Tensor(inputs[1], dtype: .float64), Tensor(inputs[2], dtype: .float64)
    )
    for t in [x, lo, hi] { t.requiresGrad = true }
    let y = x.clamped(min: lo, max: hi)
    #expect(y.item() == Swift.min(Swift.max(inputs[0], inputs[1]), inputs[2]))
    #expect(grad(of: y, withRespectTo: [x, lo, hi]).map { $0!.item() } == expected)
  }

  @Test func clampWithOneTensorBoundSplitsTiesAsMaximumDoes() {
    let x = Tensor([0.0, 1.0, 2.0], dtype: .float64, requiresGrad: true)
    let bound = Tensor([1.0], dtype: .float64, requiresGrad: true)
    let below = grad(of: x.clamped(min: bound, max: nil).sum(), withRespectTo: [x, bound])
    #expect(below[0]!.scalars(as: Double.self) == [0, 0.5, 1] && below[1]!.item() == 1.5)
    let above = grad(of: x.clamped(min: nil, max: bound).sum(), withRespectTo: [x, bound])
    #expect(above[0]!.scalars(as: Double.self) == [1, 0.5, 0] && above[1]!.item() == 1.5)
  }
}

@Suite("Comparisons, logic and dtypes") struct ComparisonTests {
  @Test func comparisonsGiveBools() {
    let a = Tensor([1, 2, 3])
    let b = Tensor([3, 2, 1])
    #expect((a .== b).scalars(as: Bool.self) == [false, true, false])
    #expect((a .!= b).scalars(as: Bool.self) == [true, false, true])
    #expect((a .< b).scalars(as: Bool.self) == [true, false, false])
    #expect((a .<= b).scalars(as: Bool.self) == [true, true, false])
    #expect((a .> 1.5).scalars(as: Bool.self) == [false, true, true])
    #expect((a .>= Tensor([2, 3], shape: [2, 1])).shape == [2, 3])
    #expect((a .> b).dtype == .bool)
    #expect((Tensor(integers: [1, 2]) .== Tensor([1, 2.5])).scalars(as: Bool.self) == [true, false])
    #expect((Tensor([.nan]) .== Tensor([.nan])).scalars(as: Bool.self) == [false])
  }

  @Test func logic() {
    let p = Tensor(bools: [true, true, false, false])
    let q = Tensor(bools: [true, false, true, false])
    #expect((p .&& q).scalars(as: Bool.self) == [true, false, false, false])
    #expect((p .|| q).scalars(as: Bool.self) == [true, true, true, false])
    #expect(p.logicalXor(q).scalars(as: Bool.self) == [false, true, true, false])
    #expect(p.logicalNot().scalars(as: Bool.self) == [false, false, true, true])
    #expect(p.any().scalars(as: Bool.self) == [true])
    #expect(p.all().scalars(as: Bool.self) == [false])
    #expect(Tensor(bools: [true, true]).all().scalars(as: Bool.self) == [true])
    #expect(Tensor([0, 0, 1, 0], shape: [2, 2]).any(axis: 1).scalars(as: Bool.self) == [false, true])
    #expect(Tensor([1, 1, 1, 0], shape: [2, 2]).all(axis: 0).scalars(as: Bool.self) == [true, false])
    let v = Tensor([1, .nan, .infinity, -.infinity])
    #expect(v.isNaN().scalars(as: Bool.self) == [false, true, false, false])
    #expect(v.isFinite().scalars(as: Bool.self) == [true, false, false, false])
    #expect(v.isInfinite().scalars(as: Bool.self) == [false, false, true, true])
  }

  @Test func promotionFollowsPyTorch() {
    let i = Tensor(integers: [1, 2])
    let j = Tensor(integers: [3, 4])
    #expect((i + j).dtype == .int64)
    #expect((i + j).scalars(as: Int64.self) == [4, 6])
    #expect((i * 2).dtype == .int64)
    #expect((i - j).scalars(as: Int64.self) == [-2, -2])
    #expect((-i).scalars(as: Int64.self) == [-1, -2])
    #expect((i / j).dtype == .float32)
    #expect((i / j).scalars(as: Float.self) == [1.0 / 3.0, 0.5])
    #expect((i + 0.5).dtype == .float32)
    #expect((i + Tensor([1], dtype: .float64)).dtype == .float64)
    #expect((Tensor(bools: [true, false]) + i).scalars(as: Int64.self) == [2, 2])
    #expect((Tensor([1]) + Tensor([1], dtype: .float64)).dtype == .float64)
    #expect(i.maximum(Tensor(integers: [2, 1])).scalars(as: Int64.self) == [2, 2])
  }
}
