import CAutogradKernels
import Foundation
import Testing

@testable import Autograd

@Suite("Tensor creation and export") struct TensorCreationTests {
  @Test func arrayInitKeepsValuesAndShape() {
    let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    #expect(t.shape == [2, 3])
    #expect(t.dtype == .float32)
    #expect(t.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
    #expect(Tensor([1.5, 2.5], dtype: .float64).scalars(as: Double.self) == [1.5, 2.5])
  }

  @Test func scalarTensorHasRankZero() {
    let t = Tensor(3.5)
    #expect(t.shape == [])
    #expect(t.count == 1)
    #expect(t.item() == 3.5)
  }

  @Test func factories() {
    #expect(Tensor.zeros([2, 2]).scalars(as: Float.self) == [0, 0, 0, 0])
    #expect(Tensor.ones([3]).scalars(as: Float.self) == [1, 1, 1])
    #expect(Tensor.full([2], value: 7, dtype: .float64).scalars(as: Double.self) == [7, 7])
    #expect(Tensor.arange(0, 5).scalars(as: Float.self) == [0, 1, 2, 3, 4])
    #expect(Tensor.arange(1, 2, step: 0.25).scalars(as: Double.self) == [1, 1.25, 1.5, 1.75])
    #expect(Tensor.arange(5, 0, step: -2).scalars(as: Float.self) == [5, 3, 1])
    #expect(Tensor.linspace(0, 1, 5).scalars(as: Float.self) == [0, 0.25, 0.5, 0.75, 1])
    #expect(Tensor.eye(2, 3).scalars(as: Float.self) == [1, 0, 0, 0, 1, 0])
    #expect(Tensor(integers: [3, -1]).dtype == .int64)
    #expect(Tensor(bools: [true, false]).scalars(as: Bool.self) == [true, false])
  }

  @Test func castsConvertValues() {
    let t = Tensor([1.7, -2.7, 0])
    #expect(t.cast(to: .int64).scalars(as: Int64.self) == [1, -2, 0])
    #expect(t.cast(to: .bool).scalars(as: Bool.self) == [true, true, false])
    #expect(t.cast(to: .float64).dtype == .float64)
  }

  @Test func sameSeedSameNumbers() {
    var a = RandomGenerator(seed: 3)
    var b = RandomGenerator(seed: 3)
    #expect(
      Tensor.randn([50], generator: &a).scalars(as: Float.self)
        == Tensor.randn([50], generator: &b).scalars(as: Float.self))
    manualSeed(11)
    let first = Tensor.rand([4]).scalars(as: Float.self)
    manualSeed(11)
    #expect(Tensor.rand([4]).scalars(as: Float.self) == first)
  }

  @Test func generatorMatchesTheXoshiroReference() {
    // Values from an independent implementation of xoshiro256** seeded by SplitMix64.
    var g = RandomGenerator(seed: 42)
    #expect(
      [g.next(), g.next(), g.next()] == [
        1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009,
      ])
    var u = RandomGenerator(seed: 7)
    #expect(
      [u.nextUniform(), u.nextUniform(), u.nextUniform()] == [
        0.7005764821796896, 0.2787512294737843, 0.8396274618764198,
      ])
  }

  @Test func randomDistributionsLookRight() {
    var g = RandomGenerator(seed: 5)
    let n = Tensor.randn([20_000], dtype: .float64, generator: &g)
    #expect(Swift.abs(n.mean().item()) < 0.03)
    #expect(Swift.abs(((n * n).mean().item()) - 1) < 0.05)
    let u = Tensor.rand([10_000], generator: &g).scalars(as: Float.self)
    #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
    let ints = Tensor.randint(low: -2, high: 3, shape: [1000], generator: &g).scalars(as: Int64.self)
    #expect(Set(ints) == [-2, -1, 0, 1, 2])
  }

  @Test func normalsAreTheSameBitsOneByOneAndInBatches() {
    // Pinned from the polar method drawn one at a time; a replay of the generator and the series
    // in Python (IEEE doubles too) gives the same values.
    var g = RandomGenerator(seed: 42)
    #expect(
      [g.nextNormal(), g.nextNormal(), g.nextNormal(), g.nextNormal()] == [
        -0.7262191382447857, 0.2216227015035933, 0.46417731016247366, 1.476249461018415,
      ])
    // randn draws many at once: the values nextNormal gives one after another, past a batch's end.
    var a = RandomGenerator(seed: 7)
    var b = RandomGenerator(seed: 7)
    let drawn = Tensor.randn([1000], dtype: .float64, generator: &a).scalars(as: Double.self)
    #expect(drawn == (0..<1000).map { _ in b.nextNormal() })
    #expect(drawn[999] == 0.6946475588171057 && drawn.reduce(0, +) == -47.259283591407694)
    #expect(a.next() == b.next())
  }

  @Test func portableLogIsAccurate() {
    for x in [1e-300, 1e-10, 0.001, 0.3, 0.5, 0.7071, 0.99999, 1.0] {
      #expect(Swift.abs(portableLog(x) - Foundation.log(x)) <= 4 * Foundation.log(x).ulp.magnitude + 1e-300)
    }
  }

  /// The vectorized lanes compute each logarithm as the one-at-a-time path does, to the bit, also
  /// where the significand is halved (around √½ and √2) and at the ends of the range.
  @Test func portableLogIsTheSameBitsInLanes() {
    let edges = [
      0.5, 1.0, 0.7071067811865476, 0.7071067811865475, 0.7071067811865476.nextUp, 0x1p-106, 0x1p-1022,
      1.0.nextDown, 0.5.nextDown, 0.25, 0.3535533905932738, 0.3535533905932738.nextUp,
    ]
    var g = RandomGenerator(seed: 1)
    let xs = edges + (0..<1000).map { i in Swift.max(0x1p-1022, g.nextUniform() * Double.pow(2, -Double(i % 60))) }
    var lanes = [Double](repeating: 0, count: xs.count)
    ag_portable_log(xs, &lanes, xs.count)
    #expect(lanes.map(\.bitPattern) == xs.map { portableLog($0).bitPattern })
  }
}

@Suite("Views share storage") struct ViewTests {
  @Test func viewsSeeWritesToTheBase() {
    let base = Tensor.arange(0, 6).reshaped(to: [2, 3])
    let t = base.transposed()
    #expect(t.shape == [3, 2])
    #expect(t.scalars(as: Float.self) == [0, 3, 1, 4, 2, 5])
    #expect(!t.isContiguous)
    base.fill(1)
    #expect(t.scalars(as: Float.self) == [1, 1, 1, 1, 1, 1])
  }

  @Test func reshapeSqueezeUnsqueezePermuteExpand() {
    let x = Tensor.arange(0, 24).reshaped(to: [2, 3, 4])
    #expect(x.reshaped(to: [4, -1]).shape == [4, 6])
    #expect(x.unsqueezed(at: 1).shape == [2, 1, 3, 4])
    #expect(x.unsqueezed(at: -1).shape == [2, 3, 4, 1])
    #expect(x.unsqueezed(at: 0).squeezed(at: 0).shape == [2, 3, 4])
    #expect(Tensor.zeros([1, 3, 1]).squeezed().shape == [3])
    #expect(x.permuted([2, 0, 1]).shape == [4, 2, 3])
    #expect(x.permuted([2, 0, 1])[1, 0, 2].item() == 9)
    let e = Tensor([1, 2, 3]).expanded(to: [2, 3])
    #expect(e.strides == [0, 1])
    #expect(e.scalars(as: Float.self) == [1, 2, 3, 1, 2, 3])
    #expect(x.transposed(0, 2).contiguous().isContiguous)
  }

  @Test func subscriptsSelectLikeNumPy() {
    let x = Tensor.arange(0, 12).reshaped(to: [3, 4])
    #expect(x[1].scalars(as: Float.self) == [4, 5, 6, 7])
    #expect(x[-1, -1].item() == 11)
    #expect(x[0..<2, 1].scalars(as: Float.self) == [1, 5])
    #expect(x[.all, 2...].scalars(as: Float.self) == [2, 3, 6, 7, 10, 11])
    #expect(x[1, stride(from: 0, to: 4, by: 2)].scalars(as: Float.self) == [4, 6])
    #expect(x[.ellipsis, 0].scalars(as: Float.self) == [0, 4, 8])
    #expect(x[.newAxis].shape == [1, 3, 4])
    #expect(x[..<1].shape == [1, 4])
    #expect(x[5...].shape == [0, 4])
    #expect(x.narrowed(axis: 1, start: 1, length: 2).scalars(as: Float.self) == [1, 2, 5, 6, 9, 10])
    // PyTorch's t[:, :2] and t[i, :, None] as short as Swift allows; entries made at run time as a list.
    let i = 2
    #expect(x[.all, ..<2].scalars(as: Float.self) == [0, 1, 4, 5, 8, 9])
    #expect(x[i, .all, .newAxis].shape == [4, 1])
    #expect(x[[TensorIndex.wholeAxis, .index(-1)]].scalars(as: Float.self) == [3, 7, 11])
    #expect(TensorIndex.all.tensorIndex == .wholeAxis)
  }

  @Test func catAndStack() {
    let a = Tensor([1, 2, 3, 4], shape: [2, 2])
    let b = Tensor([5, 6], shape: [1, 2])
    #expect(Tensor.cat([a, b]).scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
    #expect(Tensor.cat([a, a], axis: 1).shape == [2, 4])
    #expect(Tensor.stack([a, a], axis: 1).shape == [2, 2, 2])
    #expect(Tensor.stack([a, a], axis: 1)[0, 1].scalars(as: Float.self) == [1, 2])
  }

  @Test func dataAssignmentKeepsIdentityAndGrad() {
    let w = Tensor([1.0], requiresGrad: true)
    (w * 3).sum().backward()
    w.data = w.data - 0.5
    #expect(w.item() == 0.5)
    #expect(w.grad?.item() == 3)
    #expect(w.requiresGrad)
  }
}

@Suite("Ops compute the right values") struct ValueTests {
  @Test func arithmeticBroadcasts() {
    let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    let b = Tensor([10, 20, 30])
    #expect((a + b).scalars(as: Float.self) == [11, 22, 33, 14, 25, 36])
    #expect((b - a).scalars(as: Float.self) == [9, 18, 27, 6, 15, 24])
    #expect((a * 2).scalars(as: Float.self) == [2, 4, 6, 8, 10, 12])
    #expect((1 / Tensor([2, 4])).scalars(as: Float.self) == [0.5, 0.25])
    #expect((-a).sum().item() == -21)
    #expect(Tensor([4]).pow(0.5).item() == 2)
    #expect(Tensor([2, 3]).pow(Tensor([3, 2])).scalars(as: Float.self) == [8, 9])
  }

  @Test func mixedDTypesPromote() {
    let f = Tensor([1, 2])
    let d = Tensor([0.5, 0.5], dtype: .float64)
    #expect((f + d).dtype == .float64)
    #expect((f * 2.5).dtype == .float32)
    #expect((Tensor(integers: [1, 2]) * f).scalars(as: Float.self) == [1, 4])
  }

  @Test func unaryFunctions() {
    let x = Tensor([-1, 0, 2], dtype: .float64)
    #expect(x.relu().scalars(as: Double.self) == [0, 0, 2])
    #expect(x.abs().scalars(as: Double.self) == [1, 0, 2])
    #expect(x.clamped(min: -0.5, max: 1).scalars(as: Double.self) == [-0.5, 0, 1])
    #expect(x.clamped(min: 0).scalars(as: Double.self) == [0, 0, 2])
    #expect(x.exp().scalars(as: Double.self) == [Foundation.exp(-1), 1, Foundation.exp(2)])
    #expect(x.tanh().scalars(as: Double.self)[2] == Foundation.tanh(2))
    #expect(x.sigmoid().scalars(as: Double.self)[1] == 0.5)
    #expect(Tensor([4, 9]).sqrt().scalars(as: Float.self) == [2, 3])
    #expect(Tensor([1]).log().item() == 0)
  }

  @Test func reductions() {
    let x = Tensor([1, 5, 3, 4, 2, 6], shape: [2, 3])
    #expect(x.sum().item() == 21)
    #expect(x.sum(axis: 0).scalars(as: Float.self) == [5, 7, 9])
    #expect(x.sum(axis: 1, keepDims: true).shape == [2, 1])
    #expect(x.sum(axes: [0, 1]).shape == [])
    #expect(x.mean(axis: -1).scalars(as: Float.self) == [3, 4])
    #expect(x.max(axis: 1).scalars(as: Float.self) == [5, 6])
    #expect(x.min(axis: 0).scalars(as: Float.self) == [1, 2, 3])
    #expect(x.argmax(axis: 1).scalars(as: Int64.self) == [1, 2])
    #expect(x.max().item() == 6)
    #expect(x.min().item() == 1)
    #expect(Tensor([1, .nan, 3]).max().item().isNaN)
  }

  @Test(
    arguments: [
      ([3], [3]), ([2, 3], [3, 4]), ([3], [3, 4]), ([2, 3], [3]), ([5, 2, 3], [3, 4]),
      ([2, 1, 2, 3], [4, 3, 2]), ([3], [2, 3, 4]),
    ] as [([Int], [Int])])
  func matmulMatchesNaiveProduct(shapes: ([Int], [Int])) {
    var g = RandomGenerator(seed: 9)
    let a = Tensor.randn(shapes.0, dtype: .float64, generator: &g)
    let b = Tensor.randn(shapes.1, dtype: .float64, generator: &g)
    let c = a.matmul(b)
    // Reference: broadcast multiply and sum over the inner axis.
    let a2 = shapes.0.count == 1 ? a.unsqueezed(at: 0) : a
    let b2 = shapes.1.count == 1 ? b.unsqueezed(at: 1) : b
    var expected = (a2.unsqueezed(at: -1) * b2.unsqueezed(at: -3)).sum(axis: -2)
    if shapes.1.count == 1 { expected = expected.squeezed(at: -1) }
    if shapes.0.count == 1 { expected = expected.squeezed(at: shapes.1.count == 1 ? -1 : -2) }
    #expect(c.shape == expected.shape)
    #expect(
      zip(c.scalars(as: Double.self), expected.scalars(as: Double.self)).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
  }

  // From (64, 1000, 100) on they run on several threads (8 MFLOP or more): few rows (tiles split
  // columns too), many rows, several depth panels, and more columns than one B panel holds; whole
  // tiles of either kernel height (6 or 8), a last tile of one row and 16 columns, and products of
  // 64 columns or fewer, whose A the AVX-512 kernels read unpacked (over two depth blocks in the last);
  // panels ending in 1 to 4 columns (100, 450, 97, 67), which the AVX-512 thin kernel computes.
  @Test(arguments: [
    (1, 1, 1), (7, 5, 3), (13, 300, 37), (100, 17, 300), (64, 1000, 100), (70, 300, 450), (33, 257, 1001),
    (1000, 64, 100), (601, 150, 90), (40, 300, 2100), (8, 16, 32), (17, 40, 48), (16, 128, 512),
    (70, 33, 64), (45, 512, 20), (9, 71, 97), (23, 40, 67),
  ])
  func float32GemmMatchesFloat64(m: Int, k: Int, n: Int) {
    var g = RandomGenerator(seed: UInt64(m * n))
    let a = Tensor.randn([m, k], generator: &g)
    let b = Tensor.randn([k, n], generator: &g)
    let exact = a.cast(to: .float64).matmul(b.cast(to: .float64)).scalars(as: Double.self)
    for (lhs, rhs) in [(a, b), (a.transposed().contiguous().transposed(), b.transposed().contiguous().transposed())] {
      let got = lhs.matmul(rhs).scalars(as: Float.self)
      let worst = zip(got, exact).map { Swift.abs(Double($0) - $1) }.max()!
      #expect(worst < 1e-4 * Double(k).squareRoot() * 4)
    }
  }
}

@Suite("Large tensors take the threaded paths") struct ThreadedKernelTests {
  /// Each thread keeps GEMM packing buffers between products, and frees them when it exits: they
  /// leaked with pool threads that came and went (LeakSanitizer, in CI). This runs the exit path,
  /// which the sanitizer runs of the suite watch for bad frees and leaks.
  @Test func aThreadThatExitsAfterAProductFreesItsBuffers() {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var sum = 0.0
    let thread = Thread {
      let a = Tensor.ones([64, 64])
      sum = a.matmul(a).sum().item()
      done.signal()
    }
    thread.start()
    done.wait()
    #expect(sum == 64 * 64 * 64)
  }

  @Test func threadedProductsEqualOneThreadBitForBit() {
    // Each element sums its products in the same order however the work is split. The first two
    // shapes are above 64 MFLOP (threads share packed panels); the second has several column
    // ranges of B and three depths, so panels reuse their buffers. The third is cut along its
    // depth, into two halves that are summed at the end, by one thread as by two. The fourth is
    // not cut along its depth, though the block of C each of two threads takes would be.
    var g = RandomGenerator(seed: 9)
    let pairs = [(400, 530, 190), (70, 600, 2100), (64, 1000, 100), (600, 1200, 8)].map { m, k, n in
      (Tensor.randn([m, k], generator: &g), Tensor.randn([k, n], generator: &g))
    }
    let threaded = pairs.map { a, b in (a.matmul(b), b.transposed().matmul(a.transposed())) }
    let limit = Threading.maxThreads
    Threading.setMaxThreads(1)
    defer { Threading.setMaxThreads(limit) }
    for ((a, b), (product, transposed)) in zip(pairs, threaded) {
      #expect(a.matmul(b).scalars(as: Float.self) == product.scalars(as: Float.self))
      #expect(b.transposed().matmul(a.transposed()).scalars(as: Float.self) == transposed.scalars(as: Float.self))
    }
  }

  @Test func largeMapsZipsAndInPlaceUpdatesMatchScalarMath() {
    // Above the thresholds (32K elements per thread for additions, 8K for exp), the work is split.
    let n = (1 << 21) + 123
    let x = Tensor.arange(0, Double(n), dtype: .float64) / Double(n)
    let e = x.exp().scalars(as: Double.self)
    #expect(e.indices.allSatisfy { e[$0] == Foundation.exp(Double($0) / Double(n)) })
    let sum = (x + x).scalars(as: Double.self)
    #expect(sum.indices.allSatisfy { sum[$0] == 2 * (Double($0) / Double(n)) })
    let y = x.clone()
    y += x
    y *= 0.5
    #expect(y.scalars(as: Double.self) == x.scalars(as: Double.self))
    #expect(Swift.abs((x * 3).sum().item() - 3 * Double(n - 1) / 2) < 1e-6)
  }

  /// A fill split between threads writes the whole view and nothing around it.
  @Test func largeFillsWriteTheirViewOnly() {
    let n = 100_003
    let rows = Tensor.zeros([3, n])
    let middle = rows.narrowed(axis: 0, start: 1, length: 1)
    middle.fill(7)
    let values = rows.scalars(as: Float.self)
    #expect(values[..<n].allSatisfy { $0 == 0 })
    #expect(values[n..<(2 * n)].allSatisfy { $0 == 7 })
    #expect(values[(2 * n)...].allSatisfy { $0 == 0 })
    middle.zero()
    #expect(rows.scalars(as: Float.self).allSatisfy { $0 == 0 })
  }
}

@Suite("Printing") struct DescriptionTests {
  @Test func printsLikePyTorch() {
    #expect(Tensor([1, 2, 3]).description == "tensor([1., 2., 3.])")
    #expect(Tensor([1.5, -2.25]).description == "tensor([ 1.5000, -2.2500])")
    #expect(Tensor(7.315943717956543).description == "tensor(7.3159)")
    #expect(Tensor([1, 2, 3, 4], shape: [2, 2]).description == "tensor([[1., 2.],\n        [3., 4.]])")
    #expect(Tensor([1.0], requiresGrad: true).description == "tensor([1.], requires_grad=True)")
    #expect(Tensor([1e-5, 1]).description == "tensor([1.0000e-05, 1.0000e+00])")
    #expect(Tensor([1, 2], dtype: .float64).description == "tensor([1., 2.], dtype=float64)")
    #expect(Tensor(integers: [3, -1]).description == "tensor([ 3, -1])")
  }

  @Test func computedTensorsShowTheirGradFn() {
    let w = Tensor([1.0], requiresGrad: true)
    let y = 2 * w
    #expect(y.description == "tensor([2.], grad_fn=<MulBackward>)")
    #expect(y.gradFnName == "MulBackward")
    #expect(withNoGrad { 2 * w }.gradFnName == nil)
  }

  @Test func int64PrintsExactlyToItsExtremes() {
    // Printed through Double, Int64.max rounded up to 2^63 and trapped (found by fuzzing).
    #expect(
      Tensor(integers: [Int.max, Int.min, (1 << 60) + 1]).description
        == "tensor([ 9223372036854775807, -9223372036854775808,  1152921504606846977])")
  }

  @Test func emptyTensorsPrintTheirSizeNotARowEach() {
    #expect(Tensor.zeros([0]).description == "tensor([])")
    #expect(Tensor.zeros([3, 0]).description == "tensor([], size=(3, 0))")
    #expect(Tensor.zeros([0], dtype: .int64).description == "tensor([], dtype=int64)")
    // Found by fuzzing the IDX reader: printing such a tensor built 100 million empty rows.
    #expect(
      Tensor.zeros([100_000_000, 0, 1 << 32], dtype: .int64).description
        == "tensor([], size=(100000000, 0, 4294967296), dtype=int64)")
  }

  @Test func largeTensorsAreSummarized() {
    let text = Tensor.arange(0, 2000).description
    #expect(text == "tensor([   0.,    1.,    2.,  ..., 1997., 1998., 1999.])")
  }
}
