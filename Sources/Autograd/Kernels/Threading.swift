import Foundation
import Synchronization

/// How many threads the kernels may use (default: the active processors).
///
/// Work is split only when a cost model says it pays: waking a thread costs about 10 µs here, so a
/// piece must hold well over that (see DESIGN.md, "Threads").
public enum Threading {
  private static let limit = Atomic<Int>(ProcessInfo.processInfo.activeProcessorCount)

  /// The most threads a kernel uses.
  public static var maxThreads: Int { limit.load(ordering: .relaxed) }

  /// Sets the most threads a kernel uses (at least 1).
  public static func setMaxThreads(_ count: Int) {
    limit.store(Swift.max(1, count), ordering: .relaxed)
  }

  /// How many pieces to split `work` units into, given that one piece should hold at least `minimum`.
  static func pieces(work: Double, minimum: Double) -> Int {
    Swift.max(1, Swift.min(maxThreads, Int(work / minimum)))
  }
}
