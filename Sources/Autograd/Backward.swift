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
    _ = Engine.run(from: self, seed: Engine.seed(for: self, gradient), retainGraph: retainGraph ?? createGraph,
                   createGraph: createGraph, targets: nil)
  }
}

/// Returns d(output)/d(input) for each of `inputs`, without touching any tensor's `grad`.
///
/// An input that `output` does not depend on gets `nil`. Inputs may be leaves or computed tensors.
///
/// - Parameters:
///   - outputGradient: d(loss)/d(output); may be omitted when `output` has one element.
///   - retainGraph: Keep the graph's saved values for another backward pass; defaults to `createGraph`.
///   - createGraph: Record the computation of the gradients, for gradients of gradients.
public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], outputGradient: Tensor? = nil,
                      retainGraph: Bool? = nil, createGraph: Bool = false) -> [Tensor?] {
  Engine.run(from: output, seed: Engine.seed(for: output, outputGradient), retainGraph: retainGraph ?? createGraph,
             createGraph: createGraph, targets: inputs)
}

/// The backward pass: counts each node's consumers, then runs every rule once its gradient is
/// complete, from an explicit work list (no recursion, so graphs of millions of nodes work).
enum Engine {
  static func seed(for output: Tensor, _ gradient: Tensor?) -> Tensor {
    precondition(output.requiresGrad,
                 "backward: the tensor does not require grad and has no grad_fn; set requiresGrad on a leaf it depends on")
    guard let gradient else {
      precondition(output.count == 1,
                   "backward: output has shape \(output.shape); pass a gradient for outputs with more than one element")
      return Tensor.ones(output.shape, dtype: output.dtype)
    }
    precondition(gradient.shape == output.shape,
                 "backward: gradient has shape \(gradient.shape) but the output has shape \(output.shape)")
    return gradient.dtype == output.dtype ? gradient : gradient.cast(to: output.dtype)
  }

  static func run(from root: Tensor, seed: Tensor, retainGraph: Bool, createGraph: Bool,
                  targets: [Tensor]?) -> [Tensor?] {
    var results = [Tensor?](repeating: nil, count: targets?.count ?? 0)
    var targetIndex: [ObjectIdentifier: [Int]] = [:]
    for (i, t) in (targets ?? []).enumerated() { targetIndex[ObjectIdentifier(t), default: []].append(i) }
    var ready: [Node] = []

    func deliver(_ grad: Tensor, to tensor: Tensor) {
      precondition(grad.shape == tensor.shape,
                   "backward: internal error, gradient of shape \(grad.shape) for a tensor of shape \(tensor.shape)")
      if let slots = targetIndex[ObjectIdentifier(tensor)] {
        for i in slots { results[i] = results[i].map { $0 + grad } ?? grad }
      }
      if let node = tensor.gradFn {
        node.pendingGrad = node.pendingGrad.map { $0 + grad } ?? grad
      } else if targets == nil && tensor.requiresGrad {
        accumulate(grad, into: tensor, createGraph: createGraph)
      }
    }

    guard let rootNode = root.gradFn else {
      deliver(seed, to: root)
      return results
    }
    let visited = countDependencies(from: rootNode)
    defer {
      for node in visited {
        node.isVisited = false
        node.pendingDependencies = 0
        node.pendingGrad = nil
      }
    }
    deliver(seed, to: root)
    ready.append(rootNode)
    GradMode.$isRecording.withValue(createGraph) {
      while let node = ready.popLast() {
        let grads = node.pendingGrad.map { apply(node, to: $0) }
        node.pendingGrad = nil
        for (i, input) in node.inputs.enumerated() where node.needs[i] {
          if let grad = grads?[i] { deliver(grad, to: input) }
          if let child = input.gradFn {
            child.pendingDependencies -= 1
            if child.pendingDependencies == 0 { ready.append(child) }
          }
        }
        if !retainGraph { release(node) }
      }
    }
    return results
  }

  /// Marks every node reachable from `root` and counts, for each, the edges that lead into it.
  private static func countDependencies(from root: Node) -> [Node] {
    var visited = [root], stack = [root]
    root.isVisited = true
    while let node = stack.popLast() {
      precondition(!node.isReleased, """
        backward: the graph behind \(node.name) was freed by an earlier backward; \
        pass retainGraph: true to the first backward to run backward through it again
        """)
      for case let child? in node.inputs.lazy.map(\.gradFn) {
        child.pendingDependencies += 1
        if !child.isVisited {
          child.isVisited = true
          visited.append(child)
          stack.append(child)
        }
      }
    }
    return visited
  }

  private static func apply(_ node: Node, to grad: Tensor) -> [Tensor?] {
    for (tensor, version) in zip(node.saved, node.savedVersions) where tensor.storage.version != version {
      preconditionFailure("""
        backward: a value saved by \(node.name) was modified by an in-place operation \
        (saved at version \(version), now version \(tensor.storage.version)); use an out-of-place op
        """)
    }
    guard let rule = node.rule else { preconditionFailure("backward: \(node.name) has no backward rule") }
    return rule(grad, node.saved, node.needs)
  }

  private static func release(_ node: Node) {
    node.saved = []
    node.savedVersions = []
    node.rule = nil
    node.isReleased = true
  }

  /// Adds a gradient into a leaf's `grad`: in place normally, out of place with `createGraph` so
  /// that the sum stays differentiable.
  private static func accumulate(_ grad: Tensor, into leaf: Tensor, createGraph: Bool) {
    if let existing = leaf.grad {
      if createGraph || existing.requiresGrad {
        leaf.grad = existing + grad
      } else {
        Kernels.zipInPlace(existing, grad, .add)
        existing.bumpVersion()
      }
    } else {
      // A copy, so that zeroing or updating `grad` in place never writes into another tensor.
      leaf.grad = createGraph ? grad : Kernels.contiguousCopy(grad)
    }
  }
}
