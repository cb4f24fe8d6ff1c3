import Foundation
import Testing

@testable import Autograd

/// A backward pass that nothing can run again (no `retainGraph`, no `createGraph`) frees each node
/// that only the graph holds right after its step, rather than leaving the whole graph to the
/// teardown that follows when the output is dropped.
@Suite("Backward frees the graph as it goes") struct GraphFreedByBackwardTests {
  /// Builds `(h + 1) * (h + 1) + exp(h)` with `h = w * 3`: `h`'s node is reached along three edges.
  /// Returns the output and weak references to the nodes behind it, which only the graph holds.
  private static func diamond(_ w: Tensor) -> (output: Tensor, inner: [WeakNode]) {
    let h = w * 3
    let shifted = h + 1
    let output = shifted * shifted + h.exp()
    return (output, [WeakNode(h.gradFn), WeakNode(shifted.gradFn)])
  }

  private struct WeakNode {
    weak var node: Node?
    init(_ node: Node?) { self.node = node }
  }

  @Test func nodesOnlyTheGraphHoldsAreFreedByThePass() {
    let w = Tensor(0.5, dtype: .float64, requiresGrad: true)
    let (output, inner) = Self.diamond(w)
    #expect(inner.allSatisfy { $0.node != nil }, "the graph holds them before backward")
    output.backward()
    NodePool.releaseAll()  // a freed node may wait there for the next op
    #expect(inner.allSatisfy { $0.node == nil }, "freed by the pass, while the output is still held")
    #expect(output.gradFnName == "AddBackward", "the output keeps its own node")
    // d/dw [(3w + 1)^2 + exp(3w)] = 6 (3w + 1) + 3 exp(3w)
    let expected = 6 * (3 * 0.5 + 1) + 3 * Foundation.exp(1.5)
    #expect(Swift.abs(w.grad!.item() - expected) < 1e-12)
  }

  @Test func aRetainedGraphKeepsEveryNodeForTheNextPass() {
    let w = Tensor(0.5, dtype: .float64, requiresGrad: true)
    let (output, inner) = Self.diamond(w)
    output.backward(retainGraph: true)
    #expect(inner.allSatisfy { $0.node != nil })
    let first = w.grad!.item()
    output.backward()
    NodePool.releaseAll()
    #expect(w.grad!.item() == 2 * first, "the second pass ran through the same graph")
    #expect(inner.allSatisfy { $0.node == nil }, "and the pass that keeps nothing freed it")
  }

  @Test func aNodeATensorStillHoldsIsKept() {
    let w = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    let h = w * w
    weak let node = h.gradFn
    (h * 2).sum().backward()
    #expect(node != nil, "h holds its node")
    #expect(h.gradFnName == "MulBackward")
    #expect(w.grad?.scalars(as: Double.self) == [4, 8])
  }

  @Test func gradientsOfIntermediateTensorsInAPassThatFreesTheGraph() {
    let w = Tensor(0.5, dtype: .float64, requiresGrad: true)
    let h = w * 3
    let output = (h + 1) * (h + 1)
    let grads = grad(of: output, withRespectTo: [h, w])
    #expect(grads[0]?.item() == 2 * (1.5 + 1))
    #expect(grads[1]?.item() == 6 * (1.5 + 1))
    #expect(w.grad == nil)
  }

  /// Edges count their references by hand (`Edge`): they hold their nodes and leaves while the
  /// graph lives, and a graph freed without backward lets go of every one, by recursion (2 ops)
  /// and by the work list beyond 100 nodes.
  @Test(arguments: [2, 1000])
  func aGraphFreedWithoutBackwardReleasesItsNodesAndLeaves(depth: Int) {
    weak var leaf: Tensor?
    weak var first: Node?
    var output: Tensor?
    do {
      let w = Tensor(2.0, dtype: .float64, requiresGrad: true)
      leaf = w
      var x = w * 1.5
      first = x.gradFn
      for _ in 1..<depth { x = x * 1.0001 }
      output = x
    }
    #expect(leaf != nil && first != nil, "the graph's edges hold them")
    #expect(output?.requiresGrad == true)
    output = nil
    #expect(leaf == nil && first == nil)
  }

  @Test func aSecondPassThroughAnIntermediateTensorTraps() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let w = Tensor(2.0, requiresGrad: true)
      let h = w * 3
      (h * h).backward()
      h.backward()
    }.map { result in
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(message.contains("the graph behind MulBackward was freed by an earlier backward"))
    }
  }
}
