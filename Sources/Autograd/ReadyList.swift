import CAutogradKernels

/// The list a backward pass keeps its ready nodes in (and its dependency count walks with), kept
/// per thread with its capacity for the next pass: a new list was an allocation and a growth per
/// pass, a tenth of a small graph's fixed cost. A pass that runs while another holds the list
/// (backward from inside a hook) makes its own.
final class ReadyList {
  @exclusivity(unchecked) var nodes: [Unmanaged<Node>] = []

  /// The thread's spare list, or a new one.
  static func take() -> ReadyList {
    if let pointer = ag_ready_list_take() { return Unmanaged<ReadyList>.fromOpaque(pointer).takeRetainedValue() }
    let list = ReadyList()
    list.nodes.reserveCapacity(16)
    return list
  }

  /// Keeps an emptied `list` for the thread's next pass; one that grew past a large graph's
  /// frontier is dropped instead.
  static func give(_ list: ReadyList) {
    guard list.nodes.isEmpty && list.nodes.capacity <= 4096 else { return }
    let pointer = Unmanaged.passRetained(list)
    if !ag_ready_list_give(pointer.toOpaque(), releasePooledObject) { pointer.release() }
  }
}
