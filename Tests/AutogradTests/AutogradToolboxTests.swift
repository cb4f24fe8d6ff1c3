import Foundation
import Testing

@testable import Autograd

private func values(_ t: Tensor?) -> [Double] { t?.scalars(as: Double.self) ?? [] }

private func close(_ a: Tensor, _ b: Tensor, _ tolerance: Double = 1e-9) -> Bool {
  a.shape == b.shape
    && zip(values(a), values(b)).allSatisfy { Swift.abs($0 - $1) <= tolerance * Swift.max(1, Swift.abs($1)) }
}

@Suite("Hooks and retained gradients") struct HookTests {
  @Test func leafHookSeesTheSummedGradientOnceAndCanReplaceIt() {
    let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    var seen: [[Double]] = []
    x.registerHook { g in
      seen.append(values(g))
      return g * 10
    }
    (x * 3 + x * x).sum().backward()
    #expect(seen == [[5, 7]])
    #expect(values(x.grad) == [50, 70])
  }

  /// The last layer's weight is complete long before the first layer's: its hooks must run then,
  /// in the middle of the pass, as data-parallel training needs to overlap sending it with the rest.
  @Test func aLeafIsFinishedAsSoonAsItsLastContributionArrives() {
    let w0 = Tensor([2.0], dtype: .float64, requiresGrad: true)
    let w1 = Tensor([3.0], dtype: .float64, requiresGrad: true)
    let x = Tensor([1.0], dtype: .float64)
    var events: [String] = []
    let h = (x * w0).exp()
    h.registerHook { g in
      events.append("exp reached")
      return nil
    }
    w1.registerPostAccumulateGradHook { w in events.append("w1 accumulated \(values(w.grad))") }
    w0.registerPostAccumulateGradHook { w in events.append("w0 accumulated") }
    (h * w1 + w1 * w1).sum().backward()
    // w1 gets two contributions (h and 2 w1), and is finished before backward reaches exp.
    #expect(events == ["w1 accumulated [\(exp(2.0) + 6)]", "exp reached", "w0 accumulated"])
  }

  @Test func postAccumulateHooksSeeTheSumOverPassesAndNotGradOf() {
    let w = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    var seen: [[Double]] = []
    w.registerPostAccumulateGradHook { seen.append(values($0.grad)) }
    (w * w).sum().backward()
    (w * 3).sum().backward()
    _ = grad(of: (w * w).sum(), withRespectTo: [w])
    #expect(seen == [[2, 4], [5, 7]])
  }

  @Test func aCallbackQueuedDuringBackwardRunsWhenThatPassEnds() {
    let w = Tensor([1.0], dtype: .float64, requiresGrad: true)
    var events: [String] = []
    let h = w * 2
    h.registerHook { g in
      BackwardCallbacks.queue { events.append("outer pass ended, w.grad \(values(w.grad))") }
      // A pass inside a hook keeps its callbacks to itself.
      let v = Tensor([1.0], dtype: .float64, requiresGrad: true)
      v.registerHook { g in
        BackwardCallbacks.queue { events.append("inner pass ended") }
        return nil
      }
      withGrad { (v * 5).sum().backward() }
      events.append("hook done")
      return nil
    }
    (h * 3).sum().backward()
    #expect(events == ["inner pass ended", "hook done", "outer pass ended, w.grad [6.0]"])
  }

  @Test func queueingACallbackOutsideBackwardIsATrap() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      BackwardCallbacks.queue {}
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "BackwardCallbacks.queue: no backward pass is running on this thread"))
    }
  }

  @Test func nonLeafHookSeesTheTotalGradient() {
    let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    let h = x * 2
    var seen: [[Double]] = []
    h.registerHook { g in
      seen.append(values(g))
      return nil
    }
    (h * h + h).sum().backward()
    #expect(seen == [[5, 9]])
    #expect(values(x.grad) == [10, 18])
  }

  @Test func hookReplacingANonLeafGradientChangesWhatFlowsOn() {
    let x = Tensor([1.0], dtype: .float64, requiresGrad: true)
    let h = x * 3
    h.registerHook { _ in Tensor([100.0], dtype: .float64) }
    h.sum().backward()
    #expect(values(x.grad) == [300])
  }

  @Test func retainGradKeepsAComputedTensorsGradient() {
    let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    let h = x * x
    h.retainGrad()
    (h * 3).sum().backward()
    #expect(values(h.grad) == [3, 3])
    #expect(values(x.grad) == [6, 12])
    let unretained = x * 2
    (unretained * 1).sum().backward()
    #expect(unretained.grad == nil)
  }
}

@Suite("Functional transforms") struct FunctionalTransformTests {
  let a = Tensor([2, 1, 0, 3], shape: [2, 2], dtype: .float64)

  @Test func vjpMatchesTheTransposedJacobian() {
    let x = Tensor([1.0, -2.0], dtype: .float64)
    let v = Tensor([0.5, 2.0], dtype: .float64)
    let (y, g) = vjp({ $0[0].pow(2) * 3 }, at: [x], cotangent: v)
    #expect(values(y) == [3, 12])
    #expect(values(g[0]) == [3, -24])
    #expect(x.grad == nil && !y.requiresGrad)
    let (_, unused) = vjp({ $0[0].sum() }, at: [x, x * 1])
    #expect(values(unused[1]) == [0, 0])
  }

  @Test func jvpMatchesTheJacobianTimesTheTangent() {
    let x = Tensor([1.0, 2.0], dtype: .float64)
    let t = Tensor([1.0, -1.0], dtype: .float64)
    let f: ([Tensor]) -> Tensor = { a.matmul($0[0].sin()) }
    let (_, jt) = jvp(f, at: [x], tangents: [t])
    let j = jacobian(f, at: [x])[0]
    #expect(close(jt, j.matmul(t)))
    // y = A sin(x): J = A diag(cos x).
    #expect(close(j, a * x.cos().unsqueezed(at: 0)))
  }

  @Test func jacobianShapesAndValues() {
    let x = Tensor([1.0, 2.0, 3.0], dtype: .float64)
    #expect(close(jacobian({ $0.pow(2) }, at: x), Tensor.eye(3, dtype: .float64) * (2 * x)))
    let m = Tensor.arange(0, 6, dtype: .float64).reshaped(to: [2, 3])
    let blocks = jacobian({ ($0[0] * $0[1]).sum(axis: 1) }, at: [m, m])
    #expect(blocks.map(\.shape) == [[2, 2, 3], [2, 2, 3]])
    #expect(values(blocks[0])[0..<6] == [0, 1, 2, 0, 0, 0])
    #expect(jacobian({ _ in Tensor([1.0], dtype: .float64) }, at: x).shape == [1, 3])
  }

  @Test func hessianOfAQuadraticFormIsTheSymmetrizedMatrix() {
    let x = Tensor([0.5, -1.0], dtype: .float64)
    #expect(close(hessian({ $0.matmul(a.matmul($0)) }, at: x), a + a.transposed()))
    #expect(close(hessian({ $0.pow(3).sum() }, at: x), Tensor.eye(2, dtype: .float64) * (6 * x)))
  }

  @Test func hvpMatchesTheHessianTimesTheVector() {
    let x = Tensor([0.3, 0.7, -0.2], dtype: .float64)
    let v = Tensor([1.0, 2.0, -1.0], dtype: .float64)
    let f: (Tensor) -> Tensor = { ($0.exp() * $0.sin()).sum() + $0.prod() }
    let (_, products) = hvp({ f($0[0]) }, at: [x], vectors: [v])
    #expect(close(products[0], hessian(f, at: x).matmul(v)))
  }

  @Test func transformsWithCreateGraphConnectToTheCallersTensors() {
    let x = Tensor([2.0], dtype: .float64, requiresGrad: true)
    let (_, g) = vjp({ $0[0].pow(3).sum() }, at: [x], createGraph: true)
    #expect(g[0].requiresGrad)
    g[0].sum().backward()
    #expect(values(x.grad) == [12])
  }
}

@Suite("Custom functions and checkpointing") struct CustomFunctionTests {
  static func cube(_ x: Tensor) -> Tensor {
    customFunction(
      "Cube", inputs: [x], saving: [x], forward: { $0[0] * $0[0] * $0[0] },
      backward: { grad, saved in [3 * saved[0] * saved[0] * grad] })
  }

  @Test func customFunctionTakesPartInTheGraph() {
    let x = Tensor([2.0], dtype: .float64, requiresGrad: true)
    let y = Self.cube(x) * 2
    #expect(Self.cube(x).gradFnName == "CubeBackward")
    #expect(Self.cube(x).description.contains("grad_fn=<CubeBackward>"))
    y.sum().backward()
    #expect(values(x.grad) == [24])
    #expect(gradCheck([Tensor([0.5, -1.5], dtype: .float64)]) { Self.cube($0[0]) })
    #expect(gradGradCheck([Tensor([0.5, -1.5], dtype: .float64)]) { Self.cube($0[0]) })
  }

  @Test func checkpointRecomputesAndGivesTheSameGradients() {
    var calls = 0
    let block: ([Tensor]) -> Tensor = { x in
      calls += 1
      return (x[0].matmul(x[1]).tanh() * x[0].sum()).sum()
    }
    var g = RandomGenerator(seed: 1)
    let a = Tensor.randn([3, 4], dtype: .float64, generator: &g)
    let b = Tensor.randn([4, 2], dtype: .float64, generator: &g)
    a.requiresGrad = true
    b.requiresGrad = true
    let direct = grad(of: block([a, b]), withRespectTo: [a, b])
    calls = 0
    let y = checkpoint([a, b], block)
    #expect(calls == 1)
    #expect(y.gradFnName == "CheckpointBackward")
    y.backward()
    #expect(calls == 2)
    #expect(close(a.grad!, direct[0]!))
    #expect(close(b.grad!, direct[1]!))
    #expect(
      gradCheck([
        Tensor.randn([3, 4], dtype: .float64, generator: &g), Tensor.randn([4, 2], dtype: .float64, generator: &g),
      ]) {
        checkpoint($0, block)
      })
  }
}

@Suite("Anomaly mode") struct AnomalyModeTests {
  @Test func isOnInsideItsScopeOnlyAndRecordsWhereOpsWereMade() {
    let x = Tensor([1.0], requiresGrad: true)
    #expect(!AnomalyMode.isEnabled)
    let outside = x * 2
    let inside = withAnomalyDetection {
      #expect(AnomalyMode.isEnabled)
      #expect(withNoGrad { AnomalyMode.isEnabled })
      return x * 3
    }
    #expect(!AnomalyMode.isEnabled)
    #expect(outside.gradFn?.creationTrace == nil)
    #expect(inside.gradFn?.creationTrace != nil)
  }
}

@Suite("Misuse traps with a message") struct ToolboxTrapTests {
  /// d√x/dx is infinite at 0: anomaly mode must name SqrtBackward and the line of `x.sqrt()`.
  static func squareRootAtZeroWithAnomalyDetection() {
    withAnomalyDetection {
      let x = Tensor([0.0], requiresGrad: true)
      x.sqrt().sum().backward()
    }
  }

  @Test func unusedInputWhenNotAllowed() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0], requiresGrad: true)
      let z = Tensor([1.0], requiresGrad: true)
      _ = grad(of: (x * 2).sum(), withRespectTo: [x, z], allowUnused: false)
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains("grad: input 1 (shape [1]) is not used"))
    }
  }

  @Test func anomalyModeNamesTheOpThatMadeNaN() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      ToolboxTrapTests.squareRootAtZeroWithAnomalyDetection()
    }.map { result in
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(message.contains("SqrtBackward returned an infinite value in the gradient of its input 0"))
      #expect(message.contains("The forward op was recorded at:"))
      #if os(Linux)
        // The creating call is the test's `x.sqrt()`, with its file and line.
        #expect(message.contains("AutogradToolboxTests.swift:"))
        #expect(message.contains("squareRootAtZeroWithAnomalyDetection"))
      #endif
    }
  }

  @Test func wrongDType() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor(integers: [1, 2]).exp()
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "exp: expected a floating-point tensor, got int64"))
    }
  }

  @Test func requiresGradOnIntegers() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor(integers: [1]).requiresGrad = true
    }.map { result in
      #expect(
        String(decoding: result.standardErrorContent, as: UTF8.self).contains(
          "requiresGrad: only floating-point tensors can require gradients, not int64"))
    }
  }

  @Test func inPlaceChangeOfASavedValueThroughClamp() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([2.0], requiresGrad: true)
      let y = x.exp()
      let z = y.detached()
      let w = (x * z).sum()
      z.clamp(max: 1)
      w.backward()
    }.map { result in
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(
        message.contains(
          "a value saved by MulBackward was modified by an in-place operation (saved at version 0, now version 1)"))
    }
  }
}
