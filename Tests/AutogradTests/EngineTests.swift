import Foundation
import Testing

@testable import Autograd

@Suite("The backward engine") struct EngineTests {
  @Test func gradientsAccumulateUntilZeroed() {
    let w = Tensor([1.0, 2.0], requiresGrad: true)
    (w * w).sum().backward()
    #expect(w.grad?.scalars(as: Float.self) == [2, 4])
    (3 * w).sum().backward()
    #expect(w.grad?.scalars(as: Float.self) == [5, 7])
    w.grad!.zero()
    #expect(w.grad?.scalars(as: Float.self) == [0, 0])
  }

  @Test func leafGradientsNeverShareABufferWithAnotherTensor() {
    // One gradient tensor reaches two leaves (an add passes its gradient through to both sides).
    let a = Tensor([1.0, 2.0], requiresGrad: true)
    let b = Tensor([3.0, 4.0], requiresGrad: true)
    let seed = Tensor([1.0, 1.0])
    (a + b).backward(seed)
    a.grad!.zero()
    #expect(b.grad?.scalars(as: Float.self) == [1, 1])
    #expect(seed.scalars(as: Float.self) == [1, 1])
    // A root that is itself a leaf: its gradient is a copy of the one passed in, not that tensor.
    let c = Tensor([5.0], requiresGrad: true)
    let given = Tensor([2.0])
    c.backward(given)
    c.grad! *= 3
    #expect(given.item() == 2 && c.grad?.item() == 6)
    // A gradient computed for one leaf only is kept as it is (no copy), and still private to it.
    let d = Tensor([1.0, 2.0], requiresGrad: true)
    let kept = d * 4
    kept.sum().backward()
    d.grad!.zero()
    #expect(kept.scalars(as: Float.self) == [4, 8])
  }

  @Test func aGradientNobodyElseHoldsBecomesTheLeafsGradWithoutACopy() {
    // Copying it would cost a pass over it: 47 MB for a BERT's word embeddings, every step.
    final class Seen { weak var tensor: Tensor? }
    let seen = Seen()
    let w = Tensor.zeros([4, 3], requiresGrad: true)
    let y = customFunction(
      "Spy", inputs: [w], forward: { $0[0] * 2 },
      backward: { g, _ in
        let grad = g * 2
        seen.tensor = grad
        return [grad]
      })
    y.sum().backward()
    #expect(seen.tensor != nil && w.grad === seen.tensor)
  }

  @Test func sharedSubexpressionsSumTheirGradients() {
    // y = a*b + a, so dy/da = b + 1 and dy/db = a.
    let a = Tensor(3.0, requiresGrad: true)
    let b = Tensor(4.0, requiresGrad: true)
    let y = a * b + a
    y.backward()
    #expect(a.grad?.item() == 5)
    #expect(b.grad?.item() == 3)
  }

  @Test func manyLeavesEachUsedSeveralTimesGetTheirWholeGradient() {
    // Beyond 16 leaves the pass finds them through an index: y = Σ (k+1)·xₖ·xₖ + xₖ, each leaf
    // reached by three edges, so dy/dxₖ = 2(k+1)xₖ + 1.
    let leaves = (0..<40).map { Tensor(Double($0) / 10, requiresGrad: true) }
    var y = Tensor(0.0)
    for (k, x) in leaves.enumerated() { y = y + Double(k + 1) * x * x + x }
    y.backward()
    for (k, x) in leaves.enumerated() {
      let expected = 2 * Double(k + 1) * (Double(k) / 10) + 1
      #expect(Swift.abs((x.grad?.item() ?? 0) - expected) <= 1e-5 * expected, "leaf \(k)")
    }
  }

  @Test func gradientsMeetingInPlaceLeaveEveryoneElsesTensorsAlone() {
    // w reaches the loss three ways; its gradients are summed into the first one that nobody
    // else holds. A gradient passed through to two places (the add) or seen by a hook is not.
    let w = Tensor([1.0, 2.0], requiresGrad: true)
    var seen: [Tensor] = []
    let twice = w + w
    twice.registerHook { g in
      seen.append(g)
      return nil
    }
    ((3 - 2 * w) * (3 - 2 * w) + twice * w).sum().backward()
    // d/dw [(3 - 2w)² + 2w²] = -4 (3 - 2w) + 4w = 12w - 12
    #expect(w.grad?.scalars(as: Float.self) == [0, 12])
    #expect(seen.count == 1 && seen[0].scalars(as: Float.self) == [1, 2])
    // Recorded, the sums stay out of place and differentiable: d²/dw² = 12.
    let v = Tensor(1.5, dtype: .float64, requiresGrad: true)
    let dv = grad(of: (3 - 2 * v) * (3 - 2 * v) + 2 * v * v, withRespectTo: [v], createGraph: true)[0]!
    #expect(dv.item() == 6)
    #expect(grad(of: dv, withRespectTo: [v])[0]?.item() == 12)
  }

  @Test func explicitGradientForNonScalarOutput() {
    let x = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
    (x * 2).backward(Tensor([1.0, 0.5, 0.0]))
    #expect(x.grad?.scalars(as: Float.self) == [2, 1, 0])
  }

  @Test func retainGraphAllowsASecondBackward() {
    let x = Tensor(2.0, requiresGrad: true)
    let y = x * x * x
    y.backward(retainGraph: true)
    y.backward()
    #expect(x.grad?.item() == 24)
  }

  @Test func passesOverASharedGraphLeaveNoScratchState() {
    // A diamond (h feeds two branches) run three times, from two different outputs: each pass
    // must count its own dependencies from zero, or a node would run early or never.
    let x = Tensor(2.0, requiresGrad: true)
    let h = x * x
    let y = h * 3 + h.exp()
    let z = h * 2
    for _ in 0..<2 { y.backward(retainGraph: true) }
    #expect(Swift.abs(x.grad!.item() - 2 * (3 + Foundation.exp(4.0)) * 4) < 1e-2)
    x.grad = nil
    z.backward(retainGraph: true)
    #expect(x.grad?.item() == 8)
    // A computed input as a target stops at that node's total gradient.
    #expect(grad(of: y, withRespectTo: [h])[0].map { Swift.abs($0.item() - (3 + Foundation.exp(4.0))) < 1e-3 } == true)
  }

  @Test func createGraphGivesSecondDerivatives() {
    // y = x³: dy/dx = 3x² = 12 and d²y/dx² = 6x = 12 at x = 2.
    let x = Tensor(2.0, dtype: .float64, requiresGrad: true)
    let y = x.pow(3)
    let dy = grad(of: y, withRespectTo: [x], createGraph: true)[0]!
    #expect(dy.item() == 12)
    #expect(dy.requiresGrad)
    let d2y = grad(of: dy, withRespectTo: [x])[0]!
    #expect(d2y.item() == 12)
  }

  @Test func secondDerivativesOfOutputSavingOps() {
    // d²/dx² tanh(x) = -2 tanh(x) (1 - tanh²(x)); d²/dx² exp(x) = exp(x).
    let x = Tensor(0.5, dtype: .float64, requiresGrad: true)
    let t = Foundation.tanh(0.5)
    let g = grad(of: x.tanh(), withRespectTo: [x], createGraph: true)[0]!
    #expect(Swift.abs(grad(of: g, withRespectTo: [x])[0]!.item() - (-2 * t * (1 - t * t))) < 1e-12)
    let e = grad(of: x.exp(), withRespectTo: [x], createGraph: true)[0]!
    #expect(Swift.abs(grad(of: e, withRespectTo: [x])[0]!.item() - Foundation.exp(0.5)) < 1e-12)
  }

  @Test func gradientsLeaveGradUntouchedAndReportUnusedInputs() {
    let a = Tensor([1.0], requiresGrad: true)
    let unused = Tensor([1.0], requiresGrad: true)
    let h = a * 3
    let grads = grad(of: (h * h).sum(), withRespectTo: [a, unused, h])
    #expect(grads[0]?.item() == 18)
    #expect(grads[1] == nil)
    #expect(grads[2]?.item() == 6)
    #expect(a.grad == nil)
  }

  @Test func detachedAndNoGradRecordNothing() {
    let w = Tensor([1.0], requiresGrad: true)
    #expect(!(w.detached() * 2).requiresGrad)
    let y = withNoGrad { w * 2 }
    #expect(!y.requiresGrad)
    #expect(y.gradFnName == nil)
    #expect(withNoGrad { withGrad { w * 2 } }.requiresGrad)
    #expect(GradMode.isEnabled)
  }

  @Test func gradModeIsPerTask() async {
    let w = Tensor([1.0], requiresGrad: true)
    await withNoGrad {
      await Task.yield()
      #expect(!GradMode.isEnabled)
    }
    let recorded = await withNoGrad {
      // A detached task does not inherit task-locals: it records as usual.
      await Task.detached { GradMode.isEnabled }.value
    }
    #expect(recorded)
    #expect((w * 2).requiresGrad)
  }

  @Test func backwardHoldsTheGradModeWhileItRunsAndHooksCanChangeIt() {
    // Rules and hooks run with recording off (on with createGraph); a hook may turn it back on
    // for what it computes, and the caller's mode is back after the pass.
    let w = Tensor([2.0], requiresGrad: true)
    var seen: [Bool] = []
    var madeInHook: Tensor?
    let y = w * 3
    y.registerHook { g in
      seen.append(GradMode.isEnabled)
      madeInHook = withGrad { w * g }
      seen.append(GradMode.isEnabled)
      seen.append(withNoGrad { withGrad { GradMode.isEnabled } })
      return nil
    }
    (y * y).sum().backward()
    #expect(seen == [false, false, true])
    #expect(madeInHook?.requiresGrad == true)
    #expect(GradMode.isEnabled)
    let v = Tensor([2.0], requiresGrad: true)
    let z = v * 3
    z.registerHook { g in
      seen.append(GradMode.isEnabled)
      return nil
    }
    _ = grad(of: (z * z).sum(), withRespectTo: [v], createGraph: true)
    #expect(seen.last == true)
    #expect(withNoGrad { GradMode.isEnabled } == false)
  }

  @Test func inPlaceUpdateInsideNoGrad() {
    let w = Tensor([1.0, 1.0], requiresGrad: true)
    (w * Tensor([2.0, 3.0])).sum().backward()
    withNoGrad { w -= 0.5 * w.grad! }
    #expect(w.scalars(as: Float.self) == [0, -0.5])
    #expect(w.isLeaf && w.requiresGrad)
  }

  @Test func aMillionOpChainRunsBackwardAndIsFreed() {
    let x = Tensor(1.0, dtype: .float64, requiresGrad: true)
    var y = x
    for _ in 0..<1_000_000 { y = -y }
    weak let firstNode = y.gradFn
    y.backward()
    #expect(x.grad?.item() == 1)
    y = x
    #expect(firstNode == nil)
  }

  @Test func aMillionOpChainIsFreedWithoutBackward() {
    let x = Tensor(1.0, requiresGrad: true)
    var y = x
    for _ in 0..<1_000_000 { y = -y }
    weak let node = y.gradFn
    y = x
    #expect(node == nil)
  }

  @Test func aTrainingStepLeavesNothingBehind() {
    var g = RandomGenerator(seed: 2)
    let w1 = Tensor.randn([4, 8], generator: &g)
    let w2 = Tensor.randn([8, 1], generator: &g)
    w1.requiresGrad = true
    w2.requiresGrad = true
    let x = Tensor.randn([16, 4], generator: &g)
    weak var lossNode: Node?
    weak var hidden: Tensor?
    do {
      let h = x.matmul(w1).relu()
      hidden = h
      let loss = h.matmul(w2).pow(2).mean()
      lossNode = loss.gradFn
      loss.backward()
      withNoGrad {
        w1 -= 0.01 * w1.grad!
        w2 -= 0.01 * w2.grad!
      }
    }
    #expect(lossNode == nil)
    #expect(hidden == nil)
    #expect(w1.grad != nil && w1.gradFn == nil)
  }
}

@Suite("Graphs are freed") struct GraphLifetimeTests {
  /// A node that saved its own output kept itself alive when its graph was retained (createGraph):
  /// the 2-norm did, which LeakSanitizer found through gradGradCheck.
  @Test(arguments: [0, 1, 2, 3])
  func outputsSavedByTheirOwnNodeAreFreedWithARetainedGraph(op: Int) {
    // The storage is watched, not the tensor: the op's result may be a view of the tensor its node saved.
    weak var storage: Storage?
    do {
      let x = Tensor([3.0, 4.0], dtype: .float64, requiresGrad: true)
      let y = [x.norm(), x.exp(), x.softmax(axis: 0), x.amax()][op]
      storage = y.storage
      _ = grad(of: y.sum(), withRespectTo: [x], createGraph: true)
    }
    StoragePool.releaseAll()  // a freed storage may wait there for reuse
    #expect(storage == nil)
  }
}

#if os(Linux)
  @Suite("Memory goes back after a large graph is freed") struct MemoryReturnTests {
    /// Resident megabytes, from /proc.
    static func residentMegabytes() -> Double {
      let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
      return fields.count > 1 ? (Double(fields[1]) ?? 0) * Double(sysconf(Int32(_SC_PAGESIZE))) / 1e6 : 0
    }

    @Test func aFreedChainOfOpsLeavesLittleResident() async {
      // In a process of its own, so that other tests' memory does not move the figures.
      await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
        // A sanitizer's allocator keeps freed memory in quarantine: the figure means nothing there
        // (the plain `swift test` run measures it).
        if dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil
          || dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil
        {
          print("resident memory not measured under a sanitizer")
          exit(0)
        }
        let before = MemoryReturnTests.residentMegabytes()
        var (peak, afterBackward) = (0.0, 0.0)
        do {
          let x0 = Tensor(0.5, requiresGrad: true)
          let a = Tensor(0.9999)
          let b = Tensor(0.0001)
          var x = x0
          // 6·10^5 nodes, about 105 MB: above `Node.largeGraph`, whose memory is given back.
          for _ in 0..<300_000 { x = x * a + b }
          peak = MemoryReturnTests.residentMegabytes()
          // Backward frees the nodes as it goes (nothing but the graph holds them), and gives
          // their memory back once it is done, while `x` still holds the last node.
          x.backward()
          afterBackward = MemoryReturnTests.residentMegabytes()
        }
        let after = MemoryReturnTests.residentMegabytes()
        print("resident MB: before \(before), with the graph \(peak), after backward \(afterBackward), after \(after)")
        print("nodes pooled after backward: \(NodePool.count)")
        let small = afterBackward - before < 10 && after - before < 10 && NodePool.count == 0
        exit(peak - before > 40 && small ? 0 : 1)
      }.map { print(String(decoding: $0.standardOutputContent, as: UTF8.self)) }
    }
  }
#endif

@Suite("Reading grad on a computed tensor") struct NonLeafGradTests {
  @Test func warnsOnceNamingRetainGrad() async {
    await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
      let w = Tensor([1.0], requiresGrad: true)
      let y = w * 2
      let z = w + 1
      z.retainGrad()
      (y + z).sum().backward()
      guard y.grad == nil, y.grad == nil, z.grad != nil, w.grad != nil else { exit(1) }
    }.map { result in
      let text = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(text.components(separatedBy: "warning: grad:").count == 2, "\(text)")
      #expect(text.contains("MulBackward computed it") && text.contains("retainGrad()"))
    }
  }
}

@Suite("Programmer errors trap with a message") struct EngineTrapTests {
  @Test func secondBackwardThroughAFreedGraph() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor(2.0, requiresGrad: true)
      let y = x * x
      y.backward()
      y.backward()
    }.map { result in
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(message.contains("freed by an earlier backward"))
      #expect(message.contains("retainGraph: true"))
    }
  }

  @Test func backwardOnNonScalarWithoutGradient() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      (Tensor([1.0, 2.0], requiresGrad: true) * 2).backward()
    }.map { result in
      #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("pass a gradient"))
    }
  }

  @Test func inPlaceOnALeafThatRequiresGrad() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let w = Tensor([1.0], requiresGrad: true)
      w -= 1
    }.map { result in
      #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("withNoGrad"))
    }
  }

  @Test func modifiedSavedValue() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let w = Tensor([1.0], requiresGrad: true)
      let a = Tensor([3.0])
      let y = w * a
      a += 1
      y.backward()
    }.map { result in
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(message.contains("MulBackward"))
      #expect(message.contains("saved at version 0, now version 1"))
    }
  }

  @Test func matmulShapeMismatch() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "matmul: inner dimensions differ, [2, 3] vs [4, 5]"))
    }
  }

  @Test func broadcastMismatch() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "add: shapes [2, 3] and [4] cannot be broadcast together"))
    }
  }

  @Test func aShapeTooLargeToAddress() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([0, 1 << 62, 1 << 62])
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "cannot make a tensor of shape [0, 4611686018427387904, 4611686018427387904]"))
    }
  }

  @Test func itemOnManyElements() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2]).item()
    }.map { result in
      #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("item: the tensor has shape [2]"))
    }
  }
}
