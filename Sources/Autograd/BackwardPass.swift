/// One backward pass in progress: what its steps share.
///
/// A gradient on its way waits in its node (`pendingGrad`) or, for a leaf, in `leafGradients`,
/// until every edge into it has delivered; the gradients a caller asked for
/// (`grad(of:withRespectTo:)`) collect in `results`. `Engine.run` owns the loop.
struct BackwardPass {
  let createGraph: Bool
  let retainGraph: Bool
  /// Whether the pass frees the graph as it goes: each node gives up its edges once it has run, and
  /// a node that only the graph held is freed then (see `Engine.run`). Set when nothing can run
  /// backward through the graph again (no `retainGraph`) and the pass records no graph of its own.
  let freesGraph: Bool
  /// Whether the pass returns gradients (`grad(of:withRespectTo:)`) rather than accumulating them
  /// into the leaves' `grad`.
  let returnsGradients: Bool
  /// Read once per pass: it is a task-local value, a lookup per node otherwise.
  let checksAnomalies = AnomalyMode.isEnabled
  private(set) var results: [Tensor?]
  /// The leaves' gradients on their way, and how many contributions each still waits for.
  var leafGradients = LeafGradients()
  // Targets are found by identity: leaves when their gradient is complete, computed tensors
  // through their node (whose pending gradient is then their total gradient).
  private var leafTargets: [ObjectIdentifier: [Int]] = [:]
  private var nodeTargets: [ObjectIdentifier: [Int]] = [:]

  init(targets: [Tensor]?, retainGraph: Bool, createGraph: Bool) {
    (self.retainGraph, self.createGraph, returnsGradients) = (retainGraph, createGraph, targets != nil)
    freesGraph = !retainGraph && !createGraph
    results = [Tensor?](repeating: nil, count: targets?.count ?? 0)
    for (i, t) in (targets ?? []).enumerated() {
      if let node = t.gradFn {
        nodeTargets[ObjectIdentifier(node), default: []].append(i)
      } else {
        leafTargets[ObjectIdentifier(t), default: []].append(i)
      }
    }
  }

  /// Runs `node`'s rule on its complete gradient and sends each input its share; a node whose
  /// gradient is then complete goes to `ready` (retained when the pass frees the graph, else
  /// unretained: see `Engine.run`), a leaf's complete gradient to `finish`.
  mutating func step(_ node: Node, ready: inout [Unmanaged<Node>]) {
    node.isVisited = false
    // Loops run over indices and values are moved out of nodes with `take()`: iterating a node's
    // lists or copying its fields retained and released every tensor again, and those reference
    // counts were most of the time of a long graph's backward pass.
    var grads = GradientList()
    if var grad = node.pendingGrad.take() {
      if node.hasHooks { for hook in node.hooks { grad = hook(grad) ?? grad } }
      if !returnsGradients, let output = node.retainedOutput {
        var copy = grad
        Engine.accumulate(&copy, into: output, createGraph: createGraph)
      }
      if !nodeTargets.isEmpty {
        for i in nodeTargets[ObjectIdentifier(node)] ?? [] { results[i] = grad }
      }
      // The gradient goes on to its rule (moved: the rule owns it): when nothing else holds it, the
      // rule may write into it and return it.
      let owned = !createGraph && Engine.isPrivate(&grad)
      grads = Engine.apply(
        node, to: consume grad, ownsGradient: owned, keepingSaved: retainGraph, checkingAnomalies: checksAnomalies)
    }
    for i in 0..<node.edges.count {
      // Moved, not copied, on to its destination: a copy is a retain and a release per edge.
      var grad = i < grads.count ? grads.exchange(at: i, with: nil) : nil
      // Read without retaining (see `Edge`); a pass that frees the graph takes it out of the node.
      let edge = freesGraph ? node.edges.exchange(at: i, with: .none) : node.edges[i]
      switch edge {
      case .none:
        continue
      case .node(let child):
        let isReady = child._withUnsafeGuaranteedRef { child in
          if let grad = grad.take() { deliver(grad, to: child) }
          child.pendingDependencies -= 1
          return child.pendingDependencies == 0
        }
        // Taken out of the node, the edge's reference goes on to `ready` (and the node is freed
        // after its step when nothing else holds it), or is dropped while other edges, still to
        // deliver, hold the node.
        if isReady {
          ready.append(child)
        } else if freesGraph {
          child.release()
        }
      case .leaf(let unmanagedLeaf):
        // Taken out of the node, the edge's reference is this step's to drop.
        let leaf = freesGraph ? unmanagedLeaf.takeRetainedValue() : unmanagedLeaf.takeUnretainedValue()
        if let grad {
          trapUnless(
            grad.shapeDims == leaf.shapeDims,
            "backward: internal error, \(node.displayName) gave a gradient of shape \(grad.shape) for a tensor of shape \(leaf.shape)"
          )
        }
        let createGraph = createGraph
        // `consume first`: passed on as it is, the earlier total was copied and never summed in place.
        if let total = leafGradients.receive(
          consume grad, for: leaf,
          adding: { first, second in Self.sum(consume first, second, createGraph: createGraph) })
        {
          finish(leaf, consume total)
        }
      }
    }
    if !retainGraph { Engine.release(node) }
    if freesGraph { node.edges.removeAll() }
  }

  /// Adds `grad` to what `node` has received so far.
  func deliver(_ grad: consuming Tensor, to node: Node) {
    if let earlier = node.pendingGrad.take() {
      node.pendingGrad = Self.sum(consume earlier, grad, createGraph: createGraph)
    } else {
      node.pendingGrad = consume grad
    }
  }

  /// A leaf's total gradient, complete: hooked, then returned or accumulated, as PyTorch does.
  mutating func finish(_ leaf: Tensor, _ total: consuming Tensor) {
    // Consumed, not copied: a total nobody else holds becomes the leaf's `grad` without a copy.
    var grad = consume total
    for hook in leaf.leafHooks { grad = hook(grad) ?? grad }
    for i in leafTargets[ObjectIdentifier(leaf)] ?? [] { results[i] = grad }
    guard !returnsGradients && leaf.requiresGrad else { return }
    Engine.accumulate(&grad, into: leaf, createGraph: createGraph)
    for hook in leaf.postAccumulateHooks { hook(leaf) }
  }

  /// Two gradients that meet: added into the first when nothing else holds it (a tensor used
  /// twice, as w in the lecture's (y - x w)(y - x w)), which spares a tensor per sum.
  static func sum(_ first: consuming Tensor, _ second: Tensor, createGraph: Bool) -> Tensor {
    var first = first
    if !createGraph && first.dtype == second.dtype && Engine.isPrivate(&first) {
      Kernels.zipInPlace(first, second, .add)
      return first
    }
    return first + second
  }
}
