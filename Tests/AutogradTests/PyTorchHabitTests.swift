import Testing

@testable import Autograd

/// Lines a PyTorch user writes from habit, and what they give here.
@Suite("PyTorch habits") struct PyTorchHabitTests {
  @Test func randomTensorsCanRequireGradAtCreation() {
    let x = Tensor.randn([3, 4], requiresGrad: true)
    let u = Tensor.rand([2], requiresGrad: true)
    #expect(x.requiresGrad && x.isLeaf && x.shape == [3, 4])
    #expect(u.requiresGrad && u.scalars(as: Double.self).allSatisfy { (0..<1).contains($0) })
    var g = RandomGenerator(seed: 1)
    #expect(Tensor.randn([2], dtype: .float64, requiresGrad: true, generator: &g).requiresGrad)
    #expect(!Tensor.randn([2]).requiresGrad)
  }

  @Test func arangeWithOneBound() {
    #expect(Tensor.arange(5).scalars(as: Double.self) == [0, 1, 2, 3, 4])
    #expect(Tensor.arange(3, dtype: .int64).dtype == .int64)
    #expect(Tensor.arange(0).count == 0)
  }

  @Test func varianceAndStandardDeviationTakeOneAxis() {
    let x = Tensor([1, 2, 3, 4, 6, 8], shape: [2, 3], dtype: .float64)
    #expect(x.variance(axis: 1).scalars(as: Double.self) == [1, 4])
    #expect(x.standardDeviation(axis: 1).scalars(as: Double.self) == [1, 2])
    #expect(x.variance(axis: -1, correction: 0, keepDims: true).shape == [2, 1])
    #expect(x.standardDeviation(axis: 0).shape == [3])
  }

  @Test func comparisonsWithAPlainScalar() {
    let x = Tensor([-1, 0, 2])
    #expect((x .> 0).scalars(as: Bool.self) == [false, false, true])
    #expect((x .<= 0).scalars(as: Bool.self) == [true, true, false])
    #expect((x .== 2).scalars(as: Bool.self) == [false, false, true])
    #expect((x .!= 0).sum().item() == 2)
  }
}
