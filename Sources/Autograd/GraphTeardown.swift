import CAutogradKernels

/// Freeing a graph: dropping the last reference to its output frees every node behind it.
extension Node {
  /// How many nodes deep freeing may recurse before it switches to a work list.
  private static let recursiveTeardownLimit = 100

  /// Frees the graph behind this node, from its `deinit`: by plain recursion while it is shallow,
  /// with an explicit work list beyond `recursiveTeardownLimit`. Recursion alone would nest one
  /// `deinit` per node and overflow the stack near 10^5 nodes.
  func tearDownGraphBehind() {
    if inputs.isEmpty && saved.isEmpty { return }
    if ag_teardown_enter() <= Self.recursiveTeardownLimit {
      // Released here, while the depth is counted, rather than after `deinit` returns.
      saved.removeAll()
      inputs.removeAll()
      rule = nil
      ag_teardown_leave()
      return
    }
    ag_teardown_leave()
    var work: [Tensor] = []
    saved.moveAll(into: &work)
    inputs.moveAll(into: &work)
    rule = nil
    var dismantled = 0
    while var tensor = work.popLast() {
      // Only dismantle what nobody else holds; anything shared stays intact for its other owners.
      guard isKnownUniquelyReferenced(&tensor), var node = tensor.gradFn.take() else { continue }
      guard isKnownUniquelyReferenced(&node) else { continue }
      node.saved.moveAll(into: &work)
      node.inputs.moveAll(into: &work)
      node.rule = nil
      dismantled += 1
    }
    // A large graph freed leaves its nodes' memory in the allocator's free lists, resident until
    // exit; hand it back. Trimming costs a walk of the heap, small next to freeing this many nodes.
    if dismantled >= Self.largeGraph { ag_return_free_memory() }
  }

  /// Graphs of at least this many nodes (about 30 MB) give their memory back when freed.
  private static let largeGraph = 100_000
}
