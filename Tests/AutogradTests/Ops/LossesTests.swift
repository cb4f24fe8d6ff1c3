import Foundation
import Testing

@testable import Autograd

@Suite("Losses") struct LossTests {
  @Test func regressionLosses() {
    let a = Tensor([1, 2, 4], dtype: .float64)
    let b = Tensor([1, 0, 1], dtype: .float64)
    #expect(mseLoss(a, b).item() == 13.0 / 3)
    #expect(mseLoss(a, b, reduction: .sum).item() == 13)
    #expect(mseLoss(a, b, reduction: .none).scalars(as: Double.self) == [0, 4, 9])
    #expect(l1Loss(a, b).item() == 5.0 / 3)
    #expect(
      smoothL1Loss(Tensor([0.5, 3], dtype: .float64), Tensor([0, 0], dtype: .float64), reduction: .none).scalars(
        as: Double.self) == [0.125, 2.5])
    #expect(
      huberLoss(Tensor([0.5, 3], dtype: .float64), Tensor([0, 0], dtype: .float64), delta: 2, reduction: .none).scalars(
        as: Double.self) == [0.125, 4])
    let losses: [(Tensor, Tensor) -> Tensor] = [
      { mseLoss($0, $1) }, { l1Loss($0, $1) }, { smoothL1Loss($0, $1, beta: 0.5) }, { huberLoss($0, $1, delta: 0.7) },
    ]
    for (index, f) in losses.enumerated() {
      checkBothOrders(inputs: [seededNormal([3, 4], seed: 50 + UInt64(index)), seededNormal([3, 4], seed: 60)]) {
        f($0[0], $0[1])
      }
    }
  }

  @Test func crossEntropyWithClassIndices() {
    let logits = seededNormal([4, 5], seed: 70)
    let target = Tensor(integers: [1, 0, 4, 1])
    let logp = logits.logSoftmax(axis: 1).scalars(as: Double.self)
    let picked: [Double] = [1, 5, 14, 16].map { logp[$0] }
    let expected = -picked.reduce(0, +) / 4
    #expect(Swift.abs(crossEntropy(logits, target).item() - expected) < 1e-12)
    #expect(Swift.abs(nllLoss(logits.logSoftmax(axis: 1), target).item() - expected) < 1e-12)
    // Weights: the mean divides by the summed weights of the targets.
    let weight = Tensor([1, 2, 1, 1, 3], dtype: .float64)
    let weightedSum: Double = 2 * logp[1] + logp[5] + 3 * logp[14] + 2 * logp[16]
    let weighted = -weightedSum / 8
    #expect(Swift.abs(crossEntropy(logits, target, weight: weight).item() - weighted) < 1e-12)
    // An ignored target contributes nothing and does not count in the mean.
    let ignoring = Tensor(integers: [1, -100, 4, 1])
    let keptSum: Double = logp[1] + logp[14] + logp[16]
    let withoutSecond = -keptSum / 3
    #expect(Swift.abs(crossEntropy(logits, ignoring).item() - withoutSecond) < 1e-12)
    #expect(crossEntropy(logits, ignoring, reduction: .none).scalars(as: Double.self)[1] == 0)
  }

  @Test func labelSmoothingEqualsSmoothedProbabilities() {
    let logits = seededNormal([3, 4], seed: 71)
    let target = Tensor(integers: [2, 0, 3])
    let smoothed = target.oneHot(classCount: 4).cast(to: .float64) * 0.8 + 0.2 / 4
    #expect(
      Swift.abs(crossEntropy(logits, target, labelSmoothing: 0.2).item() - crossEntropy(logits, smoothed).item())
        < 1e-12)
    let probabilities = seededNormal([3, 4], seed: 72).softmax(axis: 1)
    #expect(
      Swift.abs(
        crossEntropy(logits, probabilities, labelSmoothing: 0.1).item()
          - crossEntropy(logits, probabilities * 0.9 + 0.1 / 4).item()) < 1e-12)
  }

  @Test func crossEntropyOverSpatialAxes() {
    let logits = seededNormal([2, 3, 4], seed: 73)
    let target = Tensor(integers: [0, 1, 2, 0, 2, 2, 1, 0], shape: [2, 4])
    let flat = crossEntropy(logits.permuted([0, 2, 1]).reshaped(to: [8, 3]), target.reshaped(to: [8]))
    #expect(Swift.abs(crossEntropy(logits, target).item() - flat.item()) < 1e-12)
    #expect(crossEntropy(seededNormal([5], seed: 74), Tensor(integers: [2], shape: [])).shape == [])
  }

  @Test func classificationGradients() {
    let target = Tensor(integers: [1, 0, 4, 1])
    let weight = Tensor([1, 2, 1, 1, 3], dtype: .float64)
    checkBothOrders(inputs: [seededNormal([4, 5], seed: 75)]) {
      crossEntropy($0[0], target, weight: weight, labelSmoothing: 0.1)
    }
    checkBothOrders(inputs: [seededNormal([4, 5], seed: 76)]) {
      crossEntropy($0[0], Tensor(integers: [1, -100, 2, 3]))
    }
    checkBothOrders(inputs: [seededNormal([4, 5], seed: 77), seededNormal([4, 5], seed: 78)]) {
      crossEntropy($0[0], $0[1].softmax(axis: 1))
    }
    checkBothOrders(inputs: [seededNormal([4, 5], seed: 79)]) {
      nllLoss($0[0].logSoftmax(axis: 1), target, reduction: .sum)
    }
  }

  @Test func binaryLosses() {
    let x = seededNormal([6], seed: 80)
    let t = Tensor([1, 0, 1, 1, 0, 0], dtype: .float64)
    #expect(Swift.abs(binaryCrossEntropyWithLogits(x, t).item() - binaryCrossEntropy(x.sigmoid(), t).item()) < 1e-12)
    let pw = Tensor([2.0], dtype: .float64)
    let manual = -(2 * t * x.sigmoid().log() + (1 - t) * (1 - x.sigmoid()).log()).mean()
    #expect(Swift.abs(binaryCrossEntropyWithLogits(x, t, positiveWeight: pw).item() - manual.item()) < 1e-12)
    // Saturated probabilities give the clamped log, not infinity.
    #expect(binaryCrossEntropy(Tensor([0.0], dtype: .float64), Tensor([1.0], dtype: .float64)).item() == 100)
    #expect(
      binaryCrossEntropyWithLogits(Tensor([1000.0], dtype: .float64), Tensor([0.0], dtype: .float64)).item() == 1000)
    checkBothOrders(inputs: [x]) {
      binaryCrossEntropyWithLogits($0[0], t, weight: Tensor([0.5, 1, 2, 1, 1, 1], dtype: .float64), positiveWeight: pw)
    }
    checkBothOrders(inputs: [x.sigmoid()]) { binaryCrossEntropy($0[0], t) }
    checkBothOrders(inputs: [x.sigmoid(), seededNormal([6], seed: 81).sigmoid()]) {
      binaryCrossEntropy($0[0], $0[1], reduction: .sum)
    }
  }

  @Test func binaryCrossEntropyHasFiniteGradientsAtZeroAndOne() {
    // Recorded from PyTorch 2.15: p = [0, 1, 1, 0], t = [1, 0, 1, 0], mean reduction.
    let p = Tensor([0.0, 1, 1, 0], dtype: .float64, requiresGrad: true)
    let t = Tensor([1.0, 0, 1, 0], dtype: .float64)
    let loss = binaryCrossEntropy(p, t)
    #expect(loss.item() == 50)
    let expected = [-250000000998.9507, 250000000998.9507, 0, 0]
    let got = grad(of: loss, withRespectTo: [p])[0]!.scalars(as: Double.self)
    #expect(zip(got, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-9 * Swift.max(1, Swift.abs($1)) }, "\(got)")
    // The target's gradient is -logit(p): infinite at 0 and 1, as in PyTorch.
    let q = Tensor([0.0, 1, 0.5], dtype: .float64)
    let target = Tensor([0.3, 0.3, 0.3], dtype: .float64, requiresGrad: true)
    #expect(
      grad(of: binaryCrossEntropy(q, target), withRespectTo: [target])[0]!.scalars(as: Double.self) == [
        .infinity, -.infinity, 0,
      ])
  }

  @Test func klDivergenceAndCosineSimilarity() {
    let p = Tensor([0.5, 0.5, 0], dtype: .float64)
    let q = Tensor([0.25, 0.5, 0.25], dtype: .float64)
    #expect(Swift.abs(klDivergence(q.log(), p, reduction: .sum).item() - 0.5 * Foundation.log(2)) < 1e-12)
    let r = Tensor([0.5, 0.25, 0.25], dtype: .float64)
    let klRQ: Double = 0.25 * Foundation.log(2)
    #expect(Swift.abs(klDivergence(q.log(), r.log(), logTarget: true, reduction: .sum).item() - klRQ) < 1e-12)
    #expect(
      klDivergence(q.log().unsqueezed(at: 0), p.unsqueezed(at: 0), reduction: .batchMean).item()
        == klDivergence(q.log(), p, reduction: .sum).item())
    let a = Tensor([1, 0, 1, 1], shape: [2, 2], dtype: .float64)
    let b = Tensor([1, 1, -1, -1], shape: [2, 2], dtype: .float64)
    let c = cosineSimilarity(a, b).scalars(as: Double.self)
    let expectedFirst: Double = 1 / 2.0.squareRoot()
    #expect(Swift.abs(c[0] - expectedFirst) < 1e-12)
    #expect(Swift.abs(c[1] + 1) < 1e-12)
    checkBothOrders(inputs: [seededNormal([3, 4], seed: 81).logSoftmax(axis: 1)]) {
      klDivergence(
        $0[0], q.unsqueezed(at: 0).expanded(to: [3, 3]).contiguous().padded([(0, 1)], mode: .constant(0)),
        reduction: .batchMean)
    }
    checkBothOrders(inputs: [seededNormal([3, 4], seed: 82), seededNormal([3, 4], seed: 83)]) {
      cosineSimilarity($0[0], $0[1])
    }
  }
}
