import CAutogradKernels

/// Graph nodes that a backward pass freed, kept per thread for the next graph's ops.
///
/// A training step records about as many nodes as the step before it, and its backward pass frees
/// them all (`BackwardPass.freesGraph`): each one given back here spares the next op a heap
/// allocation, Swift's object setup and teardown, and a free. A pooled node holds nothing.
///
/// The pool (C, `storage_pool.c`, next to the small storages) grows with the graphs freed, to at
/// most 2^18 nodes per thread (46 MB): the memory a graph smaller than `Node.largeGraph` leaves to
/// the allocator for the next graph anyway, kept as nodes. A pass through a larger graph empties it,
/// as it gives the rest back; so do `TensorMemory.emptyCache()` and the thread's exit.
enum NodePool {
  /// Takes over the reference `node` carries (the ready list's): a node that nothing else holds and
  /// that holds nothing goes to this thread's pool, any other is released.
  static func recycleOrRelease(_ node: Unmanaged<Node>) {
    // A full pool first: a graph larger than the pool frees more nodes than it keeps.
    guard ag_node_pool_has_room() else { return node.release() }
    var node = node.takeRetainedValue()
    guard isKnownUniquelyReferenced(&node) && node.holdsNothing else { return }
    let given = ag_node_pool_give(Unmanaged.passUnretained(node).toOpaque(), releasePooledObject)
    // The pool's own reference: the one taken above goes at the end of this scope.
    if given { _ = Unmanaged.passRetained(node) }
  }

  /// A node from this thread's pool, or nil when it has none.
  @inline(__always)
  static func take() -> Node? {
    guard let pointer = ag_node_pool_take() else { return nil }
    return Unmanaged<Node>.fromOpaque(pointer).takeRetainedValue()
  }

  /// How many nodes this thread's pool holds.
  static var count: Int { ag_node_pool_count() }

  /// Releases every node this thread's pool holds.
  static func releaseAll() {
    ag_node_pool_empty()
  }
}

extension Node {
  /// A node for a new op: one from `NodePool` when the thread has one, else a new one.
  @inline(__always)
  static func make(
    name: StaticString, detail: String?, scalar: Double?, edges: consuming SmallList<Edge>, needs: UInt64,
    saved: consuming TensorList, rule: @escaping BackwardRule
  ) -> Node {
    if let node = NodePool.take() {
      node.reuse(name: name, detail: detail, scalar: scalar, edges: edges, needs: needs, saved: saved, rule: rule)
      return node
    }
    return Node(name: name, detail: detail, scalar: scalar, edges: edges, needs: needs, saved: saved, rule: rule)
  }

  /// Whether the node holds nothing (as after a backward pass that kept nothing), so that it can
  /// be reused as it is.
  var holdsNothing: Bool {
    !hasExtras && edges.isEmpty && saved.isEmpty && rule == nil && pendingGrad == nil && pendingDependencies == 0
      && !isVisited
  }
}
