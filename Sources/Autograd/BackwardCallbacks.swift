import CAutogradKernels
import Foundation
import Synchronization

/// Work queued during a backward pass to run when that pass ends, as PyTorch's engine
/// `queue_callback`: data-parallel training waits there for the gradient reductions that its
/// hooks started during the pass.
package enum BackwardCallbacks {
  /// A queued callback, with the thread and the nesting depth of the pass it waits for. Sound to
  /// send: it only ever runs on the thread that queued it.
  private struct Entry: @unchecked Sendable {
    let thread: ObjectIdentifier
    let depth: Int
    let callback: () -> Void
  }

  private static let entries = Locked([Entry]())
  /// How many callbacks are queued on any thread: the end of a pass looks no further when none is.
  private static let queuedCount = Atomic<Int>(0)

  /// Called as a pass starts; returns its nesting depth on this thread.
  static func enter() -> Int { ag_backward_enter() }

  /// Called as the pass of `depth` ends: runs, in order, what was queued during it.
  static func leave(_ depth: Int) {
    ag_backward_leave()
    guard queuedCount.load(ordering: .acquiring) > 0 else { return }
    let thread = ObjectIdentifier(Thread.current)
    let due = entries.withLock { list -> [Entry] in
      let due = list.filter { $0.thread == thread && $0.depth == depth }
      list.removeAll { $0.thread == thread && $0.depth == depth }
      return due
    }
    queuedCount.subtract(due.count, ordering: .releasing)
    for entry in due { entry.callback() }
  }

  /// Queues `callback` to run when the backward pass running on this thread ends.
  package static func queue(_ callback: @escaping () -> Void) {
    let depth = ag_backward_depth()
    trapUnless(depth > 0, "BackwardCallbacks.queue: no backward pass is running on this thread")
    entries.withLock { $0.append(Entry(thread: ObjectIdentifier(Thread.current), depth: depth, callback: callback)) }
    queuedCount.add(1, ordering: .releasing)
  }
}
