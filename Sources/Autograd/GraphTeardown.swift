import CAutogradKernels

/// Freeing a graph: dropping the last reference to its output frees every node behind it.
extension Node {
  /// How many nodes deep freeing may recurse before it switches to a work list.
  private static let recursiveTeardownLimit = 100

  /// Frees the graph behind this node, from its `deinit`: by plain recursion while it is shallow,
  /// with an explicit work list beyond `recursiveTeardownLimit`. Recursion alone would nest one
  /// `deinit` per node and overflow the stack near 10^5 nodes.
  func tearDownGraphBehind() {
    if edges.isEmpty && saved.isEmpty { return }
    if ag_teardown_enter() <= Self.recursiveTeardownLimit {
      // Released here, while the depth is counted, rather than after `deinit` returns.
      dropSavedValuesAndRule()
      releaseEdges()
      // Only a node with extras can have recorded inputs or a composite call.
      if hasExtras {
        _ = takeRecordedInputs()
        _ = takeCompositeCall()
      }
      ag_teardown_leave()
      return
    }
    ag_teardown_leave()
    var work: [Node] = []
    // Shared by every node's dismantling: a list made per node was an allocation per node.
    var tensors: [Tensor] = []
    dismantle(into: &work, tensors: &tensors)
    var dismantled = 0
    while var node = work.popLast() {
      // Only dismantle what nobody else holds; anything shared stays intact for its other owners.
      guard isKnownUniquelyReferenced(&node) else { continue }
      node.dismantle(into: &work, tensors: &tensors)
      dismantled += 1
    }
    // A large graph freed leaves its nodes' memory in the allocator's free lists, resident until
    // exit; hand it back. Trimming costs a walk of the heap, small next to freeing this many nodes.
    if dismantled >= Self.largeGraph { ag_return_free_memory() }
  }

  /// Empties this node, moving to `work` the nodes behind it that only it held: those its edges
  /// lead to, and those that computed the tensors it saved (or recorded) when only it holds them.
  /// `tensors` is scratch space, empty before and after.
  private func dismantle(into work: inout [Node], tensors: inout [Tensor]) {
    for i in 0..<edges.count {
      switch edges.exchange(at: i, with: .none) {
      case .none: break
      // The edge's reference moves to the work list.
      case .node(let child): work.append(child.takeRetainedValue())
      case .leaf(let leaf): leaf.release()
      }
    }
    edges.removeAll()
    if !saved.isEmpty { saved.moveAll(into: &tensors) }
    if hasExtras {
      var recorded = takeRecordedInputs()
      recorded.moveAll(into: &tensors)
      // The last op of a composite call to go takes the call's inputs along.
      if var call = takeCompositeCall(), isKnownUniquelyReferenced(&call) { tensors += call.takeInputs() }
    }
    while var tensor = tensors.popLast() {
      if isKnownUniquelyReferenced(&tensor), let node = tensor.gradFn.take() { work.append(node) }
    }
    dropSavedValuesAndRule()
  }

  /// Graphs of at least this many nodes (about 90 MB) give their memory back when freed. Smaller
  /// ones leave it to the allocator for the next graph: given back after every graph of 2·10^5
  /// nodes (35 MB), it made the next one fault each page in again, a sixth of W4's time.
  static let largeGraph = 500_000
}
