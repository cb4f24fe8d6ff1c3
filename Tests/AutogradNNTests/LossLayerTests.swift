import Autograd
import Foundation
import Testing

@testable import AutogradNN

@Suite("Loss layers") struct LossLayerTests {
  @Test func layersEqualTheFunctions() {
    var g = RandomGenerator(seed: 1)
    let x = Tensor.randn([4, 3], dtype: .float64, generator: &g)
    let y = Tensor.randn([4, 3], dtype: .float64, generator: &g)
    let classes = Tensor(integers: [0, 2, 1, 2])
    #expect(MSELoss()(x, y).item() == mseLoss(x, y).item())
    #expect(L1Loss(reduction: .sum)(x, y).item() == l1Loss(x, y, reduction: .sum).item())
    #expect(SmoothL1Loss(beta: 0.5)(x, y).item() == smoothL1Loss(x, y, beta: 0.5).item())
    #expect(HuberLoss(delta: 2)(x, y).item() == huberLoss(x, y, delta: 2).item())
    #expect(
      CrossEntropyLoss(labelSmoothing: 0.1)(x, classes).item() == crossEntropy(x, classes, labelSmoothing: 0.1).item())
    #expect(NLLLoss()(x.logSoftmax(axis: 1), classes).item() == nllLoss(x.logSoftmax(axis: 1), classes).item())
    let p = x.sigmoid()
    let t = (y .> 0).cast(to: .float64)
    #expect(BCELoss()(p, t).item() == binaryCrossEntropy(p, t).item())
    #expect(BCEWithLogitsLoss()(x, t).item() == binaryCrossEntropyWithLogits(x, t).item())
    #expect(
      KLDivLoss(reduction: .batchMean)(x.logSoftmax(axis: 1), y.softmax(axis: 1)).item()
        == klDivergence(x.logSoftmax(axis: 1), y.softmax(axis: 1), reduction: .batchMean).item())
    #expect(MSELoss(reduction: .none)(x, y).shape == [4, 3])
  }
}
