import Foundation
import Testing

@testable import Autograd

private func random(_ shape: [Int], seed: UInt64) -> Tensor {
  var g = RandomGenerator(seed: seed)
  return Tensor.randn(shape, dtype: .float64, generator: &g)
}

private func close(_ a: Tensor, _ b: Tensor, _ tolerance: Double = 1e-10) -> Bool {
  a.shape == b.shape
    && zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).allSatisfy {
      Swift.abs($0 - $1) <= tolerance * Swift.max(1, Swift.abs($1))
    }
}

private func checkGradients(
  _ inputs: [Tensor], secondOrder: Bool = true, sourceLocation: SourceLocation = #_sourceLocation,
  _ f: @escaping ([Tensor]) -> Tensor
) {
  checkBothOrders(inputs: inputs, secondOrder: secondOrder, sourceLocation: sourceLocation, f)
}

/// Direct 2-D cross-correlation by its definition, for comparison.
private func naiveConv2d(
  _ x: Tensor, _ w: Tensor, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int
) -> Tensor {
  let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
  let oh = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
  let ow = (wd + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
  let xv = x.scalars(as: Double.self)
  let wv = w.scalars(as: Double.self)
  var out = [Double](repeating: 0, count: n * o * oh * ow)
  for b in 0..<n {
    for oc in 0..<o {
      for y in 0..<oh {
        for xo in 0..<ow {
          var sum = 0.0
          let group = oc / (o / groups)
          for ic in 0..<cg {
            for i in 0..<kh {
              for j in 0..<kw {
                let iy = y * stride.0 - padding.0 + i * dilation.0
                let ix = xo * stride.1 - padding.1 + j * dilation.1
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                sum += xv[((b * c + group * cg + ic) * h + iy) * wd + ix] * wv[((oc * cg + ic) * kh + i) * kw + j]
              }
            }
          }
          out[((b * o + oc) * oh + y) * ow + xo] = sum
        }
      }
    }
  }
  return Tensor(out, shape: [n, o, oh, ow], dtype: .float64)
}

@Suite("Convolution and pooling") struct ConvolutionTests {
  @Test(
    arguments: [
      ((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 2), (1, 0), (2, 1), 1),
      ((2, 2), (1, 1), (1, 1), 2),
    ]
      as [((Int, Int), (Int, Int), (Int, Int), Int)])
  func conv2dMatchesTheDefinition(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) {
    let x = random([2, 4, 7, 6], seed: 1)
    let w = random([6, 4 / groups, 3, 2], seed: 2)
    let b = random([6], seed: 3)
    let y = x.conv2d(
      weight: w, bias: b, stride: Size2D(stride.0, stride.1), padding: Size2D(padding.0, padding.1),
      dilation: Size2D(dilation.0, dilation.1), groups: groups)
    let expected =
      naiveConv2d(x, w, stride: stride, padding: padding, dilation: dilation, groups: groups)
      + b.reshaped(to: [1, 6, 1, 1])
    #expect(close(y, expected))
  }

  @Test(
    arguments: [((1, 1), (0, 0), (1, 1), 1), ((2, 2), (1, 0), (1, 1), 1), ((2, 1), (1, 1), (2, 1), 2)]
      as [((Int, Int), (Int, Int), (Int, Int), Int)])
  func convTransposeIsTheAdjointOfConv(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) {
    // <conv(x, w), y> = <x, convᵀ(y, w)> for the same weight and geometry.
    let x = random([2, 4, 7, 8], seed: 4)
    let w = random([6, 4 / groups, 3, 3], seed: 5)
    let (s, p, d) = (Size2D(stride.0, stride.1), Size2D(padding.0, padding.1), Size2D(dilation.0, dilation.1))
    let y0 = x.conv2d(weight: w, stride: s, padding: p, dilation: d, groups: groups)
    let y = random(y0.shape, seed: 6)
    let h = y0.shape[2]
    let wd = y0.shape[3]
    let outputPadding = (
      7 - ((h - 1) * stride.0 - 2 * padding.0 + dilation.0 * 2 + 1),
      8 - ((wd - 1) * stride.1 - 2 * padding.1 + dilation.1 * 2 + 1)
    )
    // conv_transpose2d's weight layout [in, out/groups, kh, kw] is conv2d's [out, in/groups, kh, kw]:
    // the adjoint uses the very same tensor.
    let xt = y.convTranspose2d(
      weight: w, stride: s, padding: p, outputPadding: Size2D(outputPadding.0, outputPadding.1), dilation: d,
      groups: groups)
    #expect(xt.shape == x.shape)
    #expect(Swift.abs((y0 * y).sum().item() - (x * xt).sum().item()) < 1e-9)
  }

  @Test func convTransposeOutputSize() {
    let y = Tensor.zeros([1, 2, 4, 5]).convTranspose2d(
      weight: Tensor.zeros([2, 3, 3, 3]), stride: 2, padding: 1, outputPadding: [1, 0])
    #expect(y.shape == [1, 3, 8, 9])
  }

  @Test func conv1dIsConv2dWithHeightOne() {
    let x = random([2, 3, 9], seed: 7)
    let w = random([4, 3, 3], seed: 8)
    let y = x.conv1d(weight: w, stride: 2, padding: 1, dilation: 2)
    let expected = naiveConv2d(
      x.unsqueezed(at: 2), w.unsqueezed(at: 2), stride: (1, 2), padding: (0, 1), dilation: (1, 2), groups: 1
    ).squeezed(at: 2)
    #expect(close(y, expected))
    #expect(Tensor.zeros([3, 9]).conv1d(weight: Tensor.zeros([4, 3, 3])).shape == [4, 7])
  }

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

  @Test func gradients() {
    checkGradients([random([1, 2, 5, 4], seed: 10), random([3, 2, 2, 3], seed: 11), random([3], seed: 12)]) {
      $0[0].conv2d(weight: $0[1], bias: $0[2], stride: [2, 1], padding: 1)
    }
    checkGradients([random([1, 4, 4, 4], seed: 13), random([4, 2, 2, 2], seed: 14)]) {
      $0[0].conv2d(weight: $0[1], dilation: [2, 1], groups: 2)
    }
    checkGradients([random([2, 2, 7], seed: 15), random([3, 2, 3], seed: 16)]) {
      $0[0].conv1d(weight: $0[1], stride: 2, padding: 1)
    }
    checkGradients([random([1, 2, 3, 3], seed: 17), random([2, 3, 2, 2], seed: 18), random([3], seed: 19)]) {
      $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: 2, padding: [0, 1], outputPadding: [1, 0])
    }
    checkGradients([random([1, 2, 4, 5], seed: 20)]) {
      $0[0].maxPool2d(kernelSize: 2, stride: [1, 2], padding: 1)
    }
    checkGradients([random([1, 2, 4, 5], seed: 21)]) {
      $0[0].avgPool2d(kernelSize: [3, 2], stride: 1, padding: 1)
    }
    checkGradients([random([2, 3, 5, 7], seed: 22)]) { $0[0].adaptiveAvgPool2d(outputSize: [2, 3]) }
    checkGradients([random([2, 6], seed: 23)]) { $0[0].unsqueezed(at: 0).maxPool1d(kernelSize: 3, stride: 2) }
  }
}

@Suite("Layers as functions") struct FunctionalLayerTests {
  @Test func linear() {
    let x = random([5, 3], seed: 30)
    let w = random([4, 3], seed: 31)
    let b = random([4], seed: 32)
    #expect(close(x.linear(weight: w, bias: b), x.matmul(w.transposed()) + b))
    checkGradients([x, w, b]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
  }

  @Test func layerNorm() {
    let x = random([4, 6], seed: 33)
    let y = x.layerNormalized(normalizedShape: [6])
    #expect(y.mean(axis: 1).scalars(as: Double.self).allSatisfy { Swift.abs($0) < 1e-12 })
    #expect(y.variance(axes: [1], correction: 0).scalars(as: Double.self).allSatisfy { Swift.abs($0 - 1) < 1e-4 })
    checkGradients([x, random([6], seed: 34), random([6], seed: 35)]) {
      $0[0].layerNormalized(normalizedShape: [6], weight: $0[1], bias: $0[2])
    }
    // The fused kernels against the definition, over two axes, with a weight alone.
    let x3 = random([2, 3, 4], seed: 36)
    let w = random([3, 4], seed: 37)
    let centered = x3 - x3.mean(axes: [1, 2], keepDims: true)
    let expected = centered / (centered.pow(2).mean(axes: [1, 2], keepDims: true) + 1e-5).sqrt() * w
    #expect((x3.layerNormalized(normalizedShape: [3, 4], weight: w) - expected).abs().max().item() < 1e-12)
    // Each combination of weight and bias, rows of two axes, and a tensor that is one row.
    checkGradients([x3]) { $0[0].layerNormalized(normalizedShape: [3, 4]) }
    checkGradients([x3, w]) { $0[0].layerNormalized(normalizedShape: [3, 4], weight: $0[1]) }
    checkGradients([x3, random([4], seed: 38)]) { $0[0].layerNormalized(normalizedShape: [4], bias: $0[1]) }
    checkGradients([random([5], seed: 39), random([5], seed: 40), random([5], seed: 41)]) {
      $0[0].layerNormalized(normalizedShape: [5], weight: $0[1], bias: $0[2])
    }
  }

  @Test func batchNormUpdatesRunningStatisticsAndEvaluatesWithThem() {
    let x = random([8, 3, 2], seed: 36)
    let runningMean = Tensor.zeros([3], dtype: .float64)
    let runningVariance = Tensor.ones([3], dtype: .float64)
    let y = x.batchNormalized(runningMean: runningMean, runningVariance: runningVariance, training: true, momentum: 0.1)
    #expect(y.mean(axes: [0, 2]).scalars(as: Double.self).allSatisfy { Swift.abs($0) < 1e-12 })
    let batchMean = x.mean(axes: [0, 2])
    let batchVariance = x.variance(axes: [0, 2], correction: 1)
    #expect(close(runningMean, 0.1 * batchMean))
    #expect(close(runningVariance, 0.9 + 0.1 * batchVariance))
    let evaluated = x.batchNormalized(runningMean: runningMean, runningVariance: runningVariance, training: false)
    #expect(
      close(
        evaluated, (x - runningMean.reshaped(to: [1, 3, 1])) / (runningVariance.reshaped(to: [1, 3, 1]) + 1e-5).sqrt()))
    checkGradients([x, random([3], seed: 37), random([3], seed: 38)]) {
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
    let weight = random([5, 3], seed: 39)
    let ids = Tensor(integers: [4, 0, 4], shape: [3])
    #expect(close(embedding(ids, weight: weight)[0], weight[4]))
    #expect(embedding(Tensor(integers: [1, 2, 3, 4], shape: [2, 2]), weight: weight).shape == [2, 2, 3])
    let w = weight.detached()
    w.requiresGrad = true
    embedding(ids, weight: w).sum().backward()
    #expect(w.grad!.sum(axis: 1).scalars(as: Double.self) == [3, 0, 0, 0, 6])
    #expect(Tensor(integers: [2, 0]).oneHot(classCount: 3).scalars(as: Int64.self) == [0, 0, 1, 1, 0, 0])
    #expect(Tensor(integers: [1, 2, 0, 1], shape: [2, 2]).oneHot(classCount: 3).shape == [2, 2, 3])
  }

  @Test func attention() {
    let q = random([2, 4, 3], seed: 40)
    let k = random([2, 5, 3], seed: 41)
    let v = random([2, 5, 2], seed: 42)
    let expected = (q.matmul(k.transposed()) / 3.0.squareRoot()).softmax(axis: -1).matmul(v)
    #expect(close(scaledDotProductAttention(query: q, key: k, value: v), expected))
    let causal = Tensor(bools: (0..<20).map { $0 % 5 <= $0 / 5 }, shape: [4, 5])
    #expect(
      close(
        scaledDotProductAttention(query: q, key: k, value: v, isCausal: true),
        scaledDotProductAttention(query: q, key: k, value: v, mask: causal)))
    let additive = Tensor.where(causal, Tensor(0.0, dtype: .float64), Tensor(-1e9, dtype: .float64))
    #expect(
      close(
        scaledDotProductAttention(query: q, key: k, value: v, mask: additive),
        scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)))
    checkGradients([q, k, v]) { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true) }
  }
}

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
      checkGradients([random([3, 4], seed: 50 + UInt64(index)), random([3, 4], seed: 60)]) { f($0[0], $0[1]) }
    }
  }

  @Test func crossEntropyWithClassIndices() {
    let logits = random([4, 5], seed: 70)
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
    let logits = random([3, 4], seed: 71)
    let target = Tensor(integers: [2, 0, 3])
    let smoothed = target.oneHot(classCount: 4).cast(to: .float64) * 0.8 + 0.2 / 4
    #expect(
      Swift.abs(crossEntropy(logits, target, labelSmoothing: 0.2).item() - crossEntropy(logits, smoothed).item())
        < 1e-12)
    let probabilities = random([3, 4], seed: 72).softmax(axis: 1)
    #expect(
      Swift.abs(
        crossEntropy(logits, probabilities, labelSmoothing: 0.1).item()
          - crossEntropy(logits, probabilities * 0.9 + 0.1 / 4).item()) < 1e-12)
  }

  @Test func crossEntropyOverSpatialAxes() {
    let logits = random([2, 3, 4], seed: 73)
    let target = Tensor(integers: [0, 1, 2, 0, 2, 2, 1, 0], shape: [2, 4])
    let flat = crossEntropy(logits.permuted([0, 2, 1]).reshaped(to: [8, 3]), target.reshaped(to: [8]))
    #expect(Swift.abs(crossEntropy(logits, target).item() - flat.item()) < 1e-12)
    #expect(crossEntropy(random([5], seed: 74), Tensor(integers: [2], shape: [])).shape == [])
  }

  @Test func classificationGradients() {
    let target = Tensor(integers: [1, 0, 4, 1])
    let weight = Tensor([1, 2, 1, 1, 3], dtype: .float64)
    checkGradients([random([4, 5], seed: 75)]) { crossEntropy($0[0], target, weight: weight, labelSmoothing: 0.1) }
    checkGradients([random([4, 5], seed: 76)]) { crossEntropy($0[0], Tensor(integers: [1, -100, 2, 3])) }
    checkGradients([random([4, 5], seed: 77), random([4, 5], seed: 78)]) { crossEntropy($0[0], $0[1].softmax(axis: 1)) }
    checkGradients([random([4, 5], seed: 79)]) { nllLoss($0[0].logSoftmax(axis: 1), target, reduction: .sum) }
  }

  @Test func binaryLosses() {
    let x = random([6], seed: 80)
    let t = Tensor([1, 0, 1, 1, 0, 0], dtype: .float64)
    #expect(Swift.abs(binaryCrossEntropyWithLogits(x, t).item() - binaryCrossEntropy(x.sigmoid(), t).item()) < 1e-12)
    let pw = Tensor([2.0], dtype: .float64)
    let manual = -(2 * t * x.sigmoid().log() + (1 - t) * (1 - x.sigmoid()).log()).mean()
    #expect(Swift.abs(binaryCrossEntropyWithLogits(x, t, positiveWeight: pw).item() - manual.item()) < 1e-12)
    // Saturated probabilities give the clamped log, not infinity.
    #expect(binaryCrossEntropy(Tensor([0.0], dtype: .float64), Tensor([1.0], dtype: .float64)).item() == 100)
    #expect(
      binaryCrossEntropyWithLogits(Tensor([1000.0], dtype: .float64), Tensor([0.0], dtype: .float64)).item() == 1000)
    checkGradients([x]) {
      binaryCrossEntropyWithLogits($0[0], t, weight: Tensor([0.5, 1, 2, 1, 1, 1], dtype: .float64), positiveWeight: pw)
    }
    checkGradients([x.sigmoid()]) { binaryCrossEntropy($0[0], t) }
    checkGradients([x.sigmoid(), random([6], seed: 81).sigmoid()]) { binaryCrossEntropy($0[0], $0[1], reduction: .sum) }
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
    checkGradients([random([3, 4], seed: 81).logSoftmax(axis: 1)]) {
      klDivergence(
        $0[0], q.unsqueezed(at: 0).expanded(to: [3, 3]).contiguous().padded([(0, 1)], mode: .constant(0)),
        reduction: .batchMean)
    }
    checkGradients([random([3, 4], seed: 82), random([3, 4], seed: 83)]) { cosineSimilarity($0[0], $0[1]) }
  }
}
