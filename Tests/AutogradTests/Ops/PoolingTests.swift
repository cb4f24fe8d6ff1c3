import Foundation
import Testing

@testable import Autograd

@Suite("Pooling") struct PoolingTests {
  @Test func poolingValues() {
    let x = Tensor.arange(0, 16, dtype: .float64).reshaped(to: [1, 1, 4, 4])
    #expect(x.maxPool2d(kernelSize: 2).scalars(as: Double.self) == [5, 7, 13, 15])
    #expect(x.avgPool2d(kernelSize: 2).scalars(as: Double.self) == [2.5, 4.5, 10.5, 12.5])
    #expect(x.maxPool2d(kernelSize: 3, stride: 1, padding: 1).scalars(as: Double.self)[0] == 5)
    #expect(x.avgPool2d(kernelSize: 3, stride: 2, padding: 1).scalars(as: Double.self)[0] == 10.0 / 9)
    #expect(x.adaptiveAvgPool2d(outputSize: 2).scalars(as: Double.self) == [2.5, 4.5, 10.5, 12.5])
    #expect(x.adaptiveAvgPool2d(outputSize: 1).item() == 7.5)
    // 4 rows into 3 cells: rows 0-1, 1-2, 2-3.
    #expect(x.adaptiveAvgPool2d(outputSize: [3, 1]).scalars(as: Double.self) == [3.5, 7.5, 11.5])
    let v = Tensor([1, 3, 2, 5, 4], dtype: .float64).reshaped(to: [1, 1, 5])
    #expect(v.maxPool1d(kernelSize: 2).scalars(as: Double.self) == [3, 5])
    let averages: [Double] = [2, 10.0 / 3, 11.0 / 3]
    #expect(v.avgPool1d(kernelSize: 3, stride: 1).scalars(as: Double.self) == averages)
  }

  /// The single MaxPool2d op against pooling recorded as im2col and a max: values and gradients,
  /// on integer values full of ties (both send a window's gradient to its first maximum).
  @Test(arguments: [DType.float64, .float32])
  func maxPoolingEqualsTheComposedOne(dtype: DType) {
    var g = RandomGenerator(seed: 46)
    let x = (Tensor.rand([2, 3, 7, 6], dtype: .float64, generator: &g) * 4).floor().cast(to: dtype)
    x.requiresGrad = true
    for (kernel, stride, padding, dilation) in [
      (Size2D(2), Size2D(2), Size2D(0), Size2D(1)), ([3, 2], 1, [1, 1], 1), (3, [2, 1], 1, [1, 2]),
      // 2 x 2 windows without padding take a path of their own, overlapping ones too; other
      // windows wholly inside the input take the general one.
      (2, 1, 0, 1), ([2, 3], 1, 0, 1), (3, [2, 3], 0, 1),
    ] as [(Size2D, Size2D, Size2D, Size2D)] {
      let y = x.maxPool2d(kernelSize: kernel, stride: stride, padding: padding, dilation: dilation)
      let window = Window2D(kernel: kernel.pair, stride: stride.pair, padding: padding.pair, dilation: dilation.pair)
      let reference = x.pool2d(window, padValue: -.infinity) { $0.max(axis: 2) }
      #expect(y.dtype == dtype && y.scalars(as: Double.self) == reference.scalars(as: Double.self))
      let weights = Tensor.arange(0, Double(y.count), dtype: dtype).reshaped(to: y.shape)
      let grads = grad(of: (y * weights).sum(), withRespectTo: [x])[0]!
      let expected = grad(of: (reference * weights).sum(), withRespectTo: [x])[0]!
      #expect(grads.scalars(as: Double.self) == expected.scalars(as: Double.self))
    }
    // PyTorch's rule at a NaN: it is the maximum, and takes the gradient.
    let nan = Tensor([1, .nan, 3, 2], shape: [1, 1, 2, 2], dtype: dtype)
    nan.requiresGrad = true
    let pooled = nan.maxPool2d(kernelSize: 2)
    #expect(pooled.item().isNaN)
    #expect(grad(of: pooled.sum(), withRespectTo: [nan])[0]!.scalars(as: Double.self) == [0, 1, 0, 0])
    // Of two NaNs the last takes it (recorded from PyTorch 2.15: [nan, 1, nan, 2] -> [0, 0, 1, 0]).
    let nans = Tensor([.nan, 1, .nan, 2], shape: [1, 1, 2, 2], dtype: dtype)
    nans.requiresGrad = true
    let twice = nans.maxPool2d(kernelSize: 2)
    #expect(grad(of: twice.sum(), withRespectTo: [nans])[0]!.scalars(as: Double.self) == [0, 0, 1, 0])
    // Infinities of both signs: no NaN though their sum is one; the first +∞ is the maximum.
    let infinite = Tensor([-.infinity, .infinity, 1, .infinity], shape: [1, 1, 2, 2], dtype: dtype)
    infinite.requiresGrad = true
    let top = infinite.maxPool2d(kernelSize: 2)
    #expect(top.item() == .infinity)
    #expect(grad(of: top.sum(), withRespectTo: [infinite])[0]!.scalars(as: Double.self) == [0, 1, 0, 0])
  }
}
