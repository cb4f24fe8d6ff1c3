/// Where backward sends the gradient of one input of a node (PyTorch's `next_functions`): to the
/// node that computed the input, to the input itself when it is a leaf that requires grad (its
/// gradient is accumulated there), or nowhere.
///
/// A node holds edges, not its input tensors: an intermediate value that no rule saved is freed as
/// soon as the caller lets go of it, and a long graph keeps only its nodes (ARCHITECTURE.md, "The
/// life of one op").
///
/// The reference an edge holds is counted by hand: `init(to:)` retains the node or leaf, the node
/// whose `edges` list holds the edge owns that reference, and whoever takes an edge out of the list
/// (`SmallList.exchange`) takes the reference with it, to pass on or `release()`. In return, walks
/// over the graph read edges without retaining anything: reading an edge that held its node
/// strongly retained and released the node, a fifth of a long chain's backward time, most of it in
/// the walk that counts dependencies, where the node is touched for the first time in a while.
enum Edge {
  case none
  case node(Unmanaged<Node>)
  case leaf(Unmanaged<Tensor>)

  /// An edge to `input`'s node, or to `input` itself when it is a leaf that requires grad,
  /// holding a reference to it.
  init(to input: Tensor) {
    if let node = input.gradFn {
      self = .node(.passRetained(node))
    } else {
      self = input.requiresGrad ? .leaf(.passRetained(input)) : .none
    }
  }

  /// Drops the reference this edge holds (once: the edge must have been taken out of its list).
  func release() {
    switch self {
    case .none: break
    case .node(let node): node.release()
    case .leaf(let leaf): leaf.release()
    }
  }
}
