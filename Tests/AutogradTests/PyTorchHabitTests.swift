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

@Suite("Sizes of 2-D ops") struct Size2DTests {
  @Test func anIntegerIsBothAndAnArrayIsHeightThenWidth() {
    let square: Size2D = 3
    let wide: Size2D = [2, 5]
    #expect(square == Size2D(3, 3) && square.pair == (3, 3))
    #expect(wide.height == 2 && wide.width == 5 && "\(wide)" == "[2, 5]" && "\(square)" == "3")
  }

  @Test func convolutionAndPoolingTakePlainIntegers() {
    let x = Tensor.arange(0, 32, dtype: .float64).reshaped(to: [1, 2, 4, 4])
    let w = Tensor.ones([3, 2, 3, 3], dtype: .float64)
    let square = x.conv2d(weight: w, stride: 1, padding: 1, dilation: 1)
    let pairs = x.conv2d(weight: w, stride: [1, 1], padding: [1, 1], dilation: [1, 1])
    #expect(square.shape == [1, 3, 4, 4] && square.scalars(as: Double.self) == pairs.scalars(as: Double.self))
    #expect(x.maxPool2d(kernelSize: 2).shape == [1, 2, 2, 2])
    #expect(x.avgPool2d(kernelSize: [2, 4]).shape == [1, 2, 2, 1])
    #expect(x.convTranspose2d(weight: Tensor.ones([2, 1, 2, 2], dtype: .float64), stride: 2).shape == [1, 1, 8, 8])
  }

  @Test func aSizeOfThreeNumbersIsATrap() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let size: Size2D = [1, 2, 3]
      _ = size
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "Size2D: expected [height, width], got [1, 2, 3]"))
    }
  }
}
