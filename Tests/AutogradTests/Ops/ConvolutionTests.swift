import Testing

@testable import Autograd

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
    let x = seededNormal([2, 4, 7, 6], seed: 1)
    let w = seededNormal([6, 4 / groups, 3, 2], seed: 2)
    let b = seededNormal([6], seed: 3)
    let y = x.conv2d(
      weight: w, bias: b, stride: Size2D(stride.0, stride.1), padding: Size2D(padding.0, padding.1),
      dilation: Size2D(dilation.0, dilation.1), groups: groups)
    let expected =
      naiveConv2d(x, w, stride: stride, padding: padding, dilation: dilation, groups: groups)
      + b.reshaped(to: [1, 6, 1, 1])
    #expect(isClose(y, expected))
  }

  @Test(
    arguments: [((1, 1), (0, 0), (1, 1), 1), ((2, 2), (1, 0), (1, 1), 1), ((2, 1), (1, 1), (2, 1), 2)]
      as [((Int, Int), (Int, Int), (Int, Int), Int)])

  func convTransposeIsTheAdjointOfConv(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) {
    // <conv(x, w), y> = <x, convᵀ(y, w)> for the same weight and geometry.
    let x = seededNormal([2, 4, 7, 8], seed: 4)
    let w = seededNormal([6, 4 / groups, 3, 3], seed: 5)
    let (s, p, d) = (Size2D(stride.0, stride.1), Size2D(padding.0, padding.1), Size2D(dilation.0, dilation.1))
    let y0 = x.conv2d(weight: w, stride: s, padding: p, dilation: d, groups: groups)
    let y = seededNormal(y0.shape, seed: 6)
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
    let x = seededNormal([2, 3, 9], seed: 7)
    let w = seededNormal([4, 3, 3], seed: 8)
    let y = x.conv1d(weight: w, stride: 2, padding: 1, dilation: 2)
    let expected = naiveConv2d(
      x.unsqueezed(at: 2), w.unsqueezed(at: 2), stride: (1, 2), padding: (0, 1), dilation: (1, 2), groups: 1
    ).squeezed(at: 2)
    #expect(isClose(y, expected))
    #expect(Tensor.zeros([3, 9]).conv1d(weight: Tensor.zeros([4, 3, 3])).shape == [4, 7])
  }

  @Test func gradients() {
    checkBothOrders(inputs: [
      seededNormal([1, 2, 5, 4], seed: 10), seededNormal([3, 2, 2, 3], seed: 11), seededNormal([3], seed: 12),
    ]) {
      $0[0].conv2d(weight: $0[1], bias: $0[2], stride: [2, 1], padding: 1)
    }
    checkBothOrders(inputs: [seededNormal([1, 4, 4, 4], seed: 13), seededNormal([4, 2, 2, 2], seed: 14)]) {
      $0[0].conv2d(weight: $0[1], dilation: [2, 1], groups: 2)
    }
    checkBothOrders(inputs: [seededNormal([2, 2, 7], seed: 15), seededNormal([3, 2, 3], seed: 16)]) {
      $0[0].conv1d(weight: $0[1], stride: 2, padding: 1)
    }
    checkBothOrders(inputs: [
      seededNormal([1, 2, 3, 3], seed: 17), seededNormal([2, 3, 2, 2], seed: 18), seededNormal([3], seed: 19),
    ]) {
      $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: 2, padding: [0, 1], outputPadding: [1, 0])
    }
    checkBothOrders(inputs: [seededNormal([1, 2, 4, 5], seed: 20)]) {
      $0[0].maxPool2d(kernelSize: 2, stride: [1, 2], padding: 1)
    }
    checkBothOrders(inputs: [seededNormal([1, 2, 4, 5], seed: 21)]) {
      $0[0].avgPool2d(kernelSize: [3, 2], stride: 1, padding: 1)
    }
    checkBothOrders(inputs: [seededNormal([2, 3, 5, 7], seed: 22)]) { $0[0].adaptiveAvgPool2d(outputSize: [2, 3]) }
    checkBothOrders(inputs: [seededNormal([2, 6], seed: 23)]) {
      $0[0].unsqueezed(at: 0).maxPool1d(kernelSize: 3, stride: 2)
    }
  }

  /// The single Conv2d op (groups 1) against the same convolution recorded as im2col and a
  /// batched product: values and the gradients of input, weight and bias.
  @Test(arguments: [DType.float64, .float32])
  func theSingleOpEqualsTheComposedOne(dtype: DType) {
    let geometries: [(Size2D, Size2D, Size2D, Bool)] = [
      (1, 0, 1, true), ([2, 1], [1, 2], 1, true), (1, 1, [2, 1], false), (2, 0, 1, true),
    ]
    for (i, (stride, padding, dilation, bias)) in geometries.enumerated() {
      // A permuted input: the op reads any layout.
      let x = seededNormal([3, 2, 7, 6], seed: 40).cast(to: dtype).permuted([1, 0, 2, 3])
      let w = seededNormal([5, 3, 3, 2], seed: 41).cast(to: dtype)
      let b = seededNormal([5], seed: 42).cast(to: dtype)
      let inputs = [x, w] + (bias ? [b] : [])
      for t in inputs { t.requiresGrad = true }
      let y = x.conv2d(weight: w, bias: bias ? b : nil, stride: stride, padding: padding, dilation: dilation)
      let window = Window2D(
        kernel: (3, 2), stride: stride.pair, padding: padding.pair, dilation: dilation.pair)
      let reference = Tensor.composedConv2d(inputs, window, groups: 1)
      let tolerance = dtype == .float64 ? 1e-12 : 1e-5
      #expect(y.dtype == dtype && isClose(y, reference, tolerance), "geometry \(i)")
      let weights = seededNormal(y.shape, seed: 43).cast(to: dtype)
      let grads = grad(of: (y * weights).sum(), withRespectTo: inputs)
      let expected = grad(of: (reference * weights).sum(), withRespectTo: inputs)
      for (a, e) in zip(grads, expected) { #expect(isClose(a!, e!, tolerance * 10), "geometry \(i)") }
    }
  }

  /// im2col across the batch for stride-1 windows as wide as the input (`unfoldShifted`, a block
  /// copy per tap and sample) and col2im from it (`foldShifted`) against the row-by-row walk of
  /// the per-sample layout: the same values, padding included, in both dtypes; one geometry has
  /// taps that read only padding.
  @Test(arguments: [DType.float64, .float32])
  func shiftedIm2colEqualsTheRowWalk(dtype: DType) {
    let geometries: [(Size2D, Size2D, Size2D, [Int])] = [
      (3, 1, 1, [2, 3, 5, 4]), (5, 2, 1, [2, 2, 2, 2]), (3, 2, 2, [1, 2, 6, 5]), ([3, 1], [1, 0], 1, [2, 1, 4, 3]),
      (1, 0, 1, [2, 2, 3, 3]), (3, [0, 1], 1, [2, 2, 5, 4]),
    ]
    for (i, (kernel, padding, dilation, shape)) in geometries.enumerated() {
      let window = Window2D(kernel: kernel.pair, stride: (1, 1), padding: padding.pair, dilation: dilation.pair)
      #expect(Kernels.unfoldsShifted(window, size: (shape[2], shape[3])), "geometry \(i)")
      let x = seededNormal(shape, seed: UInt64(44 + i)).cast(to: dtype)
      for pad in [0, -Double.infinity] {
        let shifted = Kernels.unfold(x, window, padValue: pad, acrossBatch: true)
        let rows = Kernels.unfold(x, window, padValue: pad)  // [N, C·kh·kw, L]
        let expected = rows.permuted([1, 0, 2]).reshaped(to: shifted.shape)
        #expect(shifted.scalars(as: Double.self) == expected.scalars(as: Double.self), "geometry \(i), pad \(pad)")
      }
      // col2im, its adjoint (`foldShifted`), adds in the walk's order: the same bits.
      let (n, c) = (shape[0], shape[1])
      let (oh, ow) = window.outputSize((shape[2], shape[3]))
      let columns = seededNormal([c * window.kernel.0 * window.kernel.1, n * oh * ow], seed: 60).cast(to: dtype)
      let folded = Kernels.fold(columns, channels: c, size: (shape[2], shape[3]), window, acrossBatch: n)
      let perSample = columns.reshaped(to: [columns.shapeDims[0], n, -1]).permuted([1, 0, 2])
      let walked = Kernels.fold(perSample, channels: c, size: (shape[2], shape[3]), window)
      #expect(folded.scalars(as: Double.self) == walked.scalars(as: Double.self), "geometry \(i)")
    }
  }

  @Test func aConvolutionIsOneNodeOfTheGraph() {
    let x = seededNormal([2, 1, 5, 5], seed: 44)
    let w = seededNormal([4, 1, 3, 3], seed: 45)
    w.requiresGrad = true
    let graph = ComputationGraph(
      of: ComputationGraph.recording { x.conv2d(weight: w, padding: 1).sum() }, gradients: false, level: .recordedOps)
    #expect(graph.nodes.compactMap(\.op).sorted() == ["Convolution", "Sum"])
  }

  @Test(arguments: ["bias", "dtype"])
  func badBiasOrDTypeTrapsNamingConv2d(name: String) async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name] in
      let x = Tensor.zeros([1, 2, 4, 4], dtype: .float64)
      let w = Tensor.zeros([3, 2, 3, 3], dtype: name == "dtype" ? .float32 : .float64)
      _ = x.conv2d(weight: w, bias: Tensor.zeros([name == "bias" ? 4 : 3], dtype: .float64))
    }.map { result in
      let text = String(decoding: result.standardErrorContent, as: UTF8.self)
      let expected =
        name == "bias"
        ? "conv2d: expected bias [3] for weight [3, 2, 3, 3], got [4]"
        : "conv2d: input, weight and bias differ in dtype: float64, float32, float64"
      #expect(text.contains(expected), "\(text.suffix(300))")
    }
  }

  @Test func linear() {
    let x = seededNormal([5, 3], seed: 30)
    let w = seededNormal([4, 3], seed: 31)
    let b = seededNormal([4], seed: 32)
    #expect(isClose(x.linear(weight: w, bias: b), x.matmul(w.transposed()) + b))
    checkBothOrders(inputs: [x, w, b]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
  }

  /// A batch large enough that im2col, the convolution's output layout and max pooling are split
  /// between threads gives what the definitions give.
  @Test func splitBetweenThreadsAsTheDefinitionSays() {
    let limit = Threading.maxThreads
    Threading.setMaxThreads(4)
    defer { Threading.setMaxThreads(limit) }
    let x = seededNormal([8, 6, 10, 10], seed: 70)
    let w = seededNormal([24, 6, 3, 3], seed: 71)
    let y = x.conv2d(weight: w, padding: 1)
    #expect(isClose(y, naiveConv2d(x, w, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1)))
    // col2im, split by channel, adds in the same order as on one thread: the same bits.
    x.requiresGrad = true
    let ramp = Tensor.arange(0, Double(y.count), dtype: .float64).reshaped(to: y.shape).sin()
    let split = grad(of: (x.conv2d(weight: w, padding: 1) * ramp).sum(), withRespectTo: [x])[0]!
    Threading.setMaxThreads(1)
    let alone = grad(of: (x.conv2d(weight: w, padding: 1) * ramp).sum(), withRespectTo: [x])[0]!
    Threading.setMaxThreads(4)
    #expect(split.scalars(as: Double.self) == alone.scalars(as: Double.self))
    // 2 x 2 windows as a last axis of four, whose largest value each window keeps.
    let windows = y.reshaped(to: [8, 24, 5, 2, 5, 2]).permuted([0, 1, 2, 4, 3, 5]).reshaped(to: [8, 24, 5, 5, 4])
    #expect(isClose(y.maxPool2d(kernelSize: 2), windows.amax(axis: -1)))
  }
}
