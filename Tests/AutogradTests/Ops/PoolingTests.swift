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
}
