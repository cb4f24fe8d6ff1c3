import Foundation
import Testing

@testable import Autograd

/// Nodes a backward pass frees go to the thread's `NodePool`, and the next ops take them.
@Suite("Nodes freed by backward are reused") struct NodePoolTests {
  @Test func theNextGraphsOpsTakeTheNodesTheLastPassFreed() {
    NodePool.releaseAll()
    let w = Tensor(2.0, dtype: .float64, requiresGrad: true)
    weak var inner: Node?
    var output: Tensor
    do {
      let scaled = w * 3
      inner = scaled.gradFn
      output = scaled.exp() * 2  // only the graph holds the product's node and the exp's
    }
    output.backward()
    #expect(inner != nil, "kept in the pool rather than freed")
    #expect(inner?.isReleased == true)
    // The pool is a stack: the node stepped last (the product's) comes first, whatever the next op is.
    let next = w + 1
    #expect(next.gradFn === inner)
    #expect(next.gradFnName == "AddBackward" && inner?.isReleased == false)
    #expect(Swift.abs(w.grad!.item() - 6 * Foundation.exp(6.0)) < 1e-9)
  }

  @Test func aReusedNodeIsAsGoodAsANewOne() {
    NodePool.releaseAll()
    let w = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    // A product with a number (a scalar operand, a saved value), then a sum: two pooled nodes.
    (w * 2.5).sum().backward()
    #expect(w.grad?.scalars(as: Double.self) == [2.5, 2.5])
    w.grad = nil
    // The next ops get them: names, details, scalars and saved values are the new op's, and the
    // node is not released (a retained graph runs twice).
    let x = w.exp()
    let y = (x + 1).sum()
    #expect(x.gradFnName == "ExpBackward" && y.gradFnName == "SumBackward")
    #expect(y.gradFn?.detail == nil)
    y.backward(retainGraph: true)
    y.backward()
    let expected = [1.0, 2.0].map { 2 * Foundation.exp($0) }
    #expect(zip(w.grad!.scalars(as: Double.self), expected).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
  }

  @Test func aNodeThatATensorOrAHookHoldsIsNotPooled() {
    NodePool.releaseAll()
    let w = Tensor(2.0, dtype: .float64, requiresGrad: true)
    let kept = w * 3
    let hooked = kept * kept
    hooked.registerHook { $0 }
    weak let hookedNode = hooked.gradFn
    (hooked + 1).backward()
    #expect(NodePool.take() == nil, "kept's node is held by kept, hooked's by hooked, the sum's by its output")
    (w * 2 + 1).backward()
    #expect(NodePool.take()?.name.description == "MulBackward", "the product's node only the graph held")
    #expect(NodePool.take() == nil)
    #expect(kept.gradFn?.isReleased == true && hookedNode?.isReleased == true)
  }

  @Test func thePoolKeepsAWholeGraphsNodesForTheNextGraph() {
    NodePool.releaseAll()
    let w = Tensor(1.0, dtype: .float64, requiresGrad: true)
    do {
      var x = w
      for _ in 0..<1000 { x = x * 1.001 }
      x.backward()
    }
    #expect(Swift.abs(w.grad!.item() - Foundation.pow(1.001, 1000)) < 1e-9)
    // Every node but the last, which the output held, waits for the next graph (not just the first 64).
    #expect(NodePool.count == 999)
    var x = w
    for _ in 0..<999 { x = x * 1.001 }
    #expect(NodePool.count == 0, "each op took a pooled node")
    x = x + 1
    #expect(x.gradFnName == "AddBackward" && NodePool.count == 0)
  }

  @Test func emptyingTheCacheReleasesThePooledNodes() {
    NodePool.releaseAll()
    let w = Tensor(1.0, dtype: .float64, requiresGrad: true)
    weak var pooled: Node?
    var z: Tensor
    do {
      let y = w * 2
      pooled = y.gradFn
      z = y + 1
    }
    // The product's node only the graph holds; z holds the sum's, the output the last product's.
    (z * 3).backward()
    #expect(pooled != nil && NodePool.count == 1)
    TensorMemory.emptyCache()
    #expect(pooled == nil && NodePool.count == 0)
  }

  @Test func aPassTakesTheListTheThreadsLastPassKept() {
    let w = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    (w * w).sum().backward()
    let kept = ReadyList.take()
    #expect(kept.nodes.isEmpty && kept.nodes.capacity >= 16)
    ReadyList.give(kept)
    (w * 3).sum().backward()
    #expect(ReadyList.take() === kept, "the second pass ran on the first one's list and gave it back")
    #expect(w.grad?.scalars(as: Double.self) == [5, 7])
  }

  @Test func aPassInsideAHookMakesAListOfItsOwn() {
    let w = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    let v = Tensor(3.0, dtype: .float64, requiresGrad: true)
    let h = w * 2
    h.registerHook { _ in
      withGrad { (v * v * v).backward() }
      return nil
    }
    (h * h).sum().backward()
    #expect(w.grad?.scalars(as: Double.self) == [8, 16])
    #expect(v.grad?.item() == 27)
    let kept = ReadyList.take()
    #expect(kept.nodes.isEmpty, "the list kept is empty, whichever pass gave it back")
  }
}
