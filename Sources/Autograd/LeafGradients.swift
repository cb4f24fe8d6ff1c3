/// The gradients one backward pass collects for leaves.
///
/// Counting the graph's edges before the pass, the engine tells it how many contributions each
/// leaf will get (`expect`). Contributions are summed as they arrive; with the last one `receive`
/// hands back the total, so that the leaf's hooks run and its `grad` is updated in the middle of
/// the pass, as PyTorch's AccumulateGrad nodes do. Data-parallel training relies on that: it sends
/// a gradient to the other processes as soon as it is complete, while backward goes on.
struct LeafGradients {
  // Parallel lists rather than a list of tuples, whose type metadata is built at run time, with
  // the first two inline; searched linearly while short, through an index once there are many.
  // Leaves by identity only: the graph's edges hold the tensors for the pass, and holding them here
  // too retained and released each one for every lookup.
  private var leaves = SmallList<ObjectIdentifier>()
  private var totals = GradientList()
  private var pending = SmallList<Int>()
  private var index: [ObjectIdentifier: Int] = [:]

  private mutating func slot(of leaf: Tensor) -> Int? {
    if leaves.count < 16 {
      let id = ObjectIdentifier(leaf)
      for i in 0..<leaves.count where leaves[i] == id { return i }
      return nil
    }
    if index.isEmpty { for i in 0..<leaves.count { index[leaves[i]] = i } }
    return index[ObjectIdentifier(leaf)]
  }

  /// Notes that one more edge of the graph leads into `leaf`.
  mutating func expect(_ leaf: Tensor) {
    if let slot = slot(of: leaf) {
      pending[slot] += 1
      return
    }
    if !index.isEmpty { index[ObjectIdentifier(leaf)] = leaves.count }
    leaves.append(ObjectIdentifier(leaf))
    totals.append(nil)
    pending.append(1)
  }

  /// Takes the contribution of one edge into `leaf` (`nil` when its rule gave none). Returns the
  /// leaf's total when this was its last edge and some edge gave a gradient, else `nil`.
  mutating func receive(_ grad: consuming Tensor?, for leaf: Tensor, adding sum: (consuming Tensor, Tensor) -> Tensor)
    -> Tensor?
  {
    guard let slot = slot(of: leaf) else {
      trap("backward: internal error, a gradient arrived for a leaf that no counted edge leads to")
    }
    // Both moved, not copied: the earlier total out of the list, so that a total nobody else
    // holds is summed into in place, and the contribution into it.
    if let grad = grad.take() {
      if let earlier = totals.exchange(at: slot, with: nil) {
        totals[slot] = sum(consume earlier, grad)
      } else {
        totals[slot] = grad
      }
    }
    pending[slot] -= 1
    return pending[slot] == 0 ? totals.exchange(at: slot, with: nil) : nil
  }
}
