import Testing

@testable import Autograd

@Suite("Layers as functions") struct FunctionalLayerTests {
  @Test func layerNorm() {
    let x = seededNormal([4, 6], seed: 33)
    let y = x.layerNormalized(normalizedShape: [6])
    #expect(y.mean(axis: 1).scalars(as: Double.self).allSatisfy { Swift.abs($0) < 1e-12 })
    #expect(y.variance(axes: [1], correction: 0).scalars(as: Double.self).allSatisfy { Swift.abs($0 - 1) < 1e-4 })
    checkBothOrders(inputs: [x, seededNormal([6], seed: 34), seededNormal([6], seed: 35)]) {
      $0[0].layerNormalized(normalizedShape: [6], weight: $0[1], bias: $0[2])
    }
    // The fused kernels against the definition, over two axes, with a weight alone.
    let x3 = seededNormal([2, 3, 4], seed: 36)
    let w = seededNormal([3, 4], seed: 37)
    let centered = x3 - x3.mean(axes: [1, 2], keepDims: true)
    let expected = centered / (centered.pow(2).mean(axes: [1, 2], keepDims: true) + 1e-5).sqrt() * w
    #expect((x3.layerNormalized(normalizedShape: [3, 4], weight: w) - expected).abs().max().item() < 1e-12)
    // Each combination of weight and bias, rows of two axes, and a tensor that is one row.
    checkBothOrders(inputs: [x3]) { $0[0].layerNormalized(normalizedShape: [3, 4]) }
    checkBothOrders(inputs: [x3, w]) { $0[0].layerNormalized(normalizedShape: [3, 4], weight: $0[1]) }
    checkBothOrders(inputs: [x3, seededNormal([4], seed: 38)]) {
      $0[0].layerNormalized(normalizedShape: [4], bias: $0[1])
    }
    checkBothOrders(inputs: [seededNormal([5], seed: 39), seededNormal([5], seed: 40), seededNormal([5], seed: 41)]) {
      $0[0].layerNormalized(normalizedShape: [5], weight: $0[1], bias: $0[2])
    }
  }

  @Test func batchNormUpdatesRunningStatisticsAndEvaluatesWithThem() {
    let x = seededNormal([8, 3, 2], seed: 36)
    let runningMean = Tensor.zeros([3], dtype: .float64)
    let runningVariance = Tensor.ones([3], dtype: .float64)
    let y = x.batchNormalized(runningMean: runningMean, runningVariance: runningVariance, training: true, momentum: 0.1)
    #expect(y.mean(axes: [0, 2]).scalars(as: Double.self).allSatisfy { Swift.abs($0) < 1e-12 })
    let batchMean = x.mean(axes: [0, 2])
    let batchVariance = x.variance(axes: [0, 2], correction: 1)
    #expect(isClose(runningMean, 0.1 * batchMean))
    #expect(isClose(runningVariance, 0.9 + 0.1 * batchVariance))
    let evaluated = x.batchNormalized(runningMean: runningMean, runningVariance: runningVariance, training: false)
    #expect(
      isClose(
        evaluated, (x - runningMean.reshaped(to: [1, 3, 1])) / (runningVariance.reshaped(to: [1, 3, 1]) + 1e-5).sqrt()))
    checkBothOrders(inputs: [x, seededNormal([3], seed: 37), seededNormal([3], seed: 38)]) {
      $0[0].batchNormalized(runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true)
    }
  }

  @Test func dropoutIsSeededAndScales() {
    var a = RandomGenerator(seed: 1)
    var b = RandomGenerator(seed: 1)
    let x = Tensor.ones([10_000], dtype: .float64)
    let y = x.dropout(probability: 0.3, generator: &a)
    #expect(y.scalars(as: Double.self) == x.dropout(probability: 0.3, generator: &b).scalars(as: Double.self))
    let kept = y.scalars(as: Double.self).filter { $0 != 0 }
    #expect(Swift.abs(Double(kept.count) / 10_000 - 0.7) < 0.02)
    #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.7) < 1e-12 })
    #expect(x.dropout(probability: 0.3, training: false, generator: &a) === x)
    #expect(x.dropout(probability: 1, generator: &a).sum().item() == 0)
  }

  @Test func embeddingAndOneHot() {
    let weight = seededNormal([5, 3], seed: 39)
    let ids = Tensor(integers: [4, 0, 4], shape: [3])
    #expect(isClose(embedding(ids, weight: weight)[0], weight[4]))
    #expect(embedding(Tensor(integers: [1, 2, 3, 4], shape: [2, 2]), weight: weight).shape == [2, 2, 3])
    let w = weight.detached()
    w.requiresGrad = true
    embedding(ids, weight: w).sum().backward()
    #expect(w.grad!.sum(axis: 1).scalars(as: Double.self) == [3, 0, 0, 0, 6])
    #expect(Tensor(integers: [2, 0]).oneHot(classCount: 3).scalars(as: Int64.self) == [0, 0, 1, 1, 0, 0])
    #expect(Tensor(integers: [1, 2, 0, 1], shape: [2, 2]).oneHot(classCount: 3).shape == [2, 2, 3])
  }
}
