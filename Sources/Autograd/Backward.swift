import CAutogradKernels

extension Tensor {
  /// Computes d(self)/d(leaf) for every leaf that requires grad and adds it to the leaf's `grad`.
  ///
  /// - Parameters:
  ///   - gradient: d(loss)/d(self), with `self`'s shape. May be omitted when `self` has one element;
  ///     it is then 1.
  ///   - retainGraph: Keep the values the graph saved, so that backward can run through it again.
  ///     Defaults to `createGraph`, as in PyTorch: differentiating a gradient goes back through
  ///     the graph that produced it.
  ///   - createGraph: Record the backward pass itself, so that the gradients can be differentiated.
  /// - Precondition: `self` requires grad; the graph has not been freed by an earlier backward.
  public func backward(_ gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) {
    _ = Engine.run(
      from: self, seed: Engine.seed(for: self, gradient), retainGraph: retainGraph ?? createGraph,
      createGraph: createGraph, targets: nil)
  }

  /// Adds a hook that sees this tensor's gradient (the total, once per backward pass) and may
  /// return a replacement (`nil` keeps it). For a leaf it runs before the gradient is accumulated.
  public func registerHook(_ hook: @escaping GradientHook) {
    trapUnless(requiresGrad, "registerHook: the tensor does not require grad, so it never gets a gradient")
    if let gradFn { gradFn.hooks.append(hook) } else { leafHooks.append(hook) }
  }

  /// Adds a hook that runs each time backward has added this leaf's gradient into `grad`, as
  /// PyTorch's `register_post_accumulate_grad_hook`: it sees the leaf itself, whose `grad` is then
  /// complete for this pass (it runs in the middle of the pass, once the last contribution has
  /// arrived). `grad(of:withRespectTo:)` accumulates nothing, so it does not run these.
  public func registerPostAccumulateGradHook(_ hook: @escaping (Tensor) -> Void) {
    trapUnless(
      isLeaf && requiresGrad,
      "registerPostAccumulateGradHook: only a leaf that requires grad has its gradient accumulated")
    postAccumulateHooks.append(hook)
  }

  /// Keeps this computed tensor's gradient in `grad` after `backward()`, as leaves do.
  public func retainGrad() {
    trapUnless(requiresGrad, "retainGrad: the tensor does not require grad")
    gradFn?.retainedOutput = self
  }
}

/// Returns d(output)/d(input) for each of `inputs`, without touching any tensor's `grad`.
///
/// Inputs may be leaves or computed tensors. Hooks on the tensors run as in `backward()`.
///
/// - Parameters:
///   - output: The tensor to differentiate (a loss, or any computed tensor).
///   - inputs: The tensors to differentiate it with respect to.
///   - outputGradient: d(loss)/d(output); may be omitted when `output` has one element.
///   - retainGraph: Keep the graph's saved values for another backward pass; defaults to `createGraph`.
///   - createGraph: Record the computation of the gradients, for gradients of gradients.
///   - allowUnused: Return `nil` for an input that `output` does not depend on; when `false`,
///     that is a programmer error and traps.
public func grad(
  of output: Tensor, withRespectTo inputs: [Tensor], outputGradient: Tensor? = nil,
  retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = true
) -> [Tensor?] {
  let results = Engine.run(
    from: output, seed: Engine.seed(for: output, outputGradient),
    retainGraph: retainGraph ?? createGraph, createGraph: createGraph, targets: inputs)
  if !allowUnused, let unused = results.firstIndex(where: { $0 == nil }) {
    trap(
      "grad: input \(unused) (shape \(inputs[unused].shape)) is not used to compute the output; pass allowUnused: true to get nil for it"
    )
  }
  return results
}

/// The backward pass: counts each node's consumers, then runs every rule once its gradient is
/// complete, from an explicit work list (no recursion, so graphs of millions of nodes work).
enum Engine {
  static func seed(for output: Tensor, _ gradient: Tensor?) -> Tensor {
    trapUnless(
      output.requiresGrad,
      "backward: the tensor does not require grad and has no grad_fn; set requiresGrad on a leaf it depends on")
    guard let gradient else {
      trapUnless(
        output.count == 1,
        "backward: output has shape \(output.shape); pass a gradient for outputs with more than one element")
      let ones = Tensor(empty: output.shapeDims, dtype: output.dtype)
      Kernels.fill(ones, 1)
      return ones
    }
    trapUnless(
      gradient.shapeDims == output.shapeDims,
      "backward: gradient has shape \(gradient.shape) but the output has shape \(output.shape)")
    return gradient.dtype == output.dtype ? gradient : gradient.cast(to: output.dtype)
  }

  /// Runs one backward pass from `root`. `observe`, when given, sees each node just before its
  /// rule runs, in the engine's order (pictures of the graph replay that order).
  static func run(
    from root: Tensor, seed: consuming Tensor, retainGraph: Bool, createGraph: Bool,
    targets: [Tensor]?, observe: ((Node) -> Void)? = nil
  ) -> [Tensor?] {
    var pass = BackwardPass(targets: targets, retainGraph: retainGraph, createGraph: createGraph)
    let depth = BackwardCallbacks.enter()
    // Moved on, not copied: a seed the caller does not hold (backward's ones) is then the root
    // rule's to write into.
    var seed: Tensor? = consume seed
    GradMode.holding(createGraph ? .on : .off) {
      guard let rootNode = root.gradFn else { return pass.finish(root, seed.take()!) }
      // The walk that counts dependencies and then the list of nodes ready to run, one array for both.
      // The walk holds its nodes unretained (a retain and a release per node and list spared): the
      // graph holds them, and it changes only once the steps begin.
      // In the steps, a pass that keeps the graph holds them unretained too: `rootNode` is held
      // until the pass ends, and the edges of a node nobody has freed never change, so every node
      // reached along edges outlives the pass, whatever hooks and rules do meanwhile. A pass that
      // frees the graph (`BackwardPass.freesGraph`) moves each edge out of its node after the
      // node's step; the list then owns its nodes, and a node that nothing else holds is freed
      // right after its step, while it is still in the cache, rather than by a later teardown.
      let list = ReadyList.take()
      // Every node the count reaches runs below, which leaves its scratch fields as they were
      // (no list of visited nodes to reset: it was an allocation per pass). Only a trap stops
      // a pass early, and that ends the process.
      countDependencies(from: rootNode, stack: &list.nodes, leaves: &pass.leafGradients)
      pass.deliver(seed.take()!, to: rootNode)
      let freesGraph = pass.freesGraph
      list.nodes.append(freesGraph ? Unmanaged.passRetained(rootNode) : Unmanaged.passUnretained(rootNode))
      var steps = 0
      while let next = list.nodes.popLast() {
        next._withUnsafeGuaranteedRef { node in
          observe?(node)
          pass.step(node, ready: &list.nodes)
        }
        // The list's reference: the node is freed, or kept for the next graph, when nothing else holds it.
        if freesGraph { NodePool.recycleOrRelease(next) }
        steps += 1
      }
      withExtendedLifetime(rootNode) {}
      ReadyList.give(list)
      // As a teardown does for a large graph: give the memory of the nodes freed back, the pooled ones too.
      if freesGraph && steps >= Node.largeGraph {
        NodePool.releaseAll()
        ag_return_free_memory()
      }
    }
    BackwardCallbacks.leave(depth)
    return pass.results
  }

  /// Marks every node reachable from `root` along edges that need a gradient (the edges backward
  /// follows) and counts, for each node and each leaf, the edges that lead into it. `stack` is scratch space; it is
  /// left empty.
  private static func countDependencies(
    from root: Node, stack: inout [Unmanaged<Node>], leaves: inout LeafGradients
  ) {
    root.isVisited = true
    stack.append(Unmanaged.passUnretained(root))
    while let next = stack.popLast() {
      next._withUnsafeGuaranteedRef { node in countEdges(of: node, stack: &stack, leaves: &leaves) }
    }
  }

  /// One node of `countDependencies`: counts its edges and pushes the nodes first reached.
  @inline(__always)
  private static func countEdges(of node: Node, stack: inout [Unmanaged<Node>], leaves: inout LeafGradients) {
    trapUnless(
      !node.isReleased,
      """
      backward: the graph behind \(node.displayName) was freed by an earlier backward; \
      pass retainGraph: true to the first backward to run backward through it again
      """)
    for i in 0..<node.edges.count {
      // Read without retaining: the node holds its edges' references.
      switch node.edges[i] {
      case .none:
        continue
      case .leaf(let leaf):
        leaf._withUnsafeGuaranteedRef { leaves.expect($0) }
      case .node(let child):
        let isNew = child._withUnsafeGuaranteedRef { child in
          child.pendingDependencies += 1
          defer { child.isVisited = true }
          return !child.isVisited
        }
        if isNew { stack.append(child) }
      }
    }
  }

  /// Runs a node's rule. Unless the graph is kept, the rule and the saved values are moved out of
  /// the node for it (release would drop them next anyway), which spares copying them.
  ///
  /// With `ownsGradient`, the caller drops `grad` after this call and nothing else holds it: the
  /// rule may write into it (`RuleContext.ownsGradient`).
  static func apply(
    _ node: Node, to grad: __owned Tensor, ownsGradient: Bool = false, keepingSaved: Bool, checkingAnomalies: Bool
  ) -> GradientList {
    for i in 0..<node.saved.count where !node.savedVersions.matches(node.saved[i].storage.version, at: i) {
      trap(
        """
        backward: a value saved by \(node.displayName) was modified by an in-place operation \
        (saved at version \(node.savedVersions[i]), now version \(node.saved[i].storage.version)); use an out-of-place op
        """)
    }
    guard let rule = keepingSaved ? node.rule : node.rule.take() else {
      trap("backward: \(node.displayName) has no backward rule")
    }
    let saved = keepingSaved ? node.saved : node.saved.take()
    var context = node.context
    context.ownsGradient = ownsGradient
    let grads = rule(consume grad, saved, context)
    if checkingAnomalies { AnomalyMode.check(grads, from: node) }
    return grads
  }

  static func release(_ node: Node) {
    node.dropSavedValuesAndRule()
    node.savedVersions.removeAll()
    node.isReleased = true
  }

  /// Adds a gradient into a tensor's `grad`: in place normally, out of place with `createGraph` so
  /// that the sum stays differentiable.
  static func accumulate(_ grad: inout Tensor, into tensor: Tensor, createGraph: Bool) {
    if let existing = tensor.accumulatedGrad {
      if createGraph || existing.requiresGrad {
        tensor.grad = existing + grad
      } else {
        Kernels.zipInPlace(existing, grad, .add)
        existing.bumpVersion()
      }
    } else if createGraph || isPrivate(&grad) {
      tensor.grad = grad
    } else {
      // A copy, so that zeroing or updating `grad` in place never writes into another tensor.
      tensor.grad = Kernels.contiguousCopy(grad)
    }
  }

  /// Whether `grad` is a whole contiguous buffer that no other tensor, node or caller holds, so
  /// it can become a `grad` without a copy.
  static func isPrivate(_ grad: inout Tensor) -> Bool {
    grad.isContiguous && grad.offset == 0 && grad.count == grad.storage.count && !grad.requiresGrad
      && isKnownUniquelyReferenced(&grad) && grad.hasPrivateStorage
  }
}
