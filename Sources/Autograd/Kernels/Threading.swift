import CAutogradKernels
import Dispatch
import Foundation
import Synchronization

/// How many threads the kernels may use (default: the active processors).
///
/// Work is split only when a cost model says it pays: waking a thread costs about 10 µs here, so a
/// piece must hold well over that (see ARCHITECTURE.md, "Threads").
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

  /// Runs `body` on consecutive ranges covering `0..<count`, on several threads when each range
  /// would hold at least `minimumPerThread` elements, else on this thread in one call.
  static func forEachRange(_ count: Int, minimumPerThread: Int, _ body: (Range<Int>) -> Void) {
    let n = pieces(work: Double(count), minimum: Double(minimumPerThread))
    if n == 1 { return body(0..<count) }
    let chunk = (count + n - 1) / n
    withoutActuallyEscaping(body) { body in
      let shared = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: n) { i in
        shared.value((i * chunk)..<Swift.min(count, (i + 1) * chunk))
      }
    }
  }
}

extension Threading {
  /// A `parallel_for` for C kernels that start their own workers (the GEMM): runs
  /// `body(context, t)` for each t in `0..<count` with `DispatchQueue.concurrentPerform`.
  static let parallelForC: ag_parallel_for = { count, context, body in
    let shared = UncheckedSendable((context, body))
    DispatchQueue.concurrentPerform(iterations: count) { t in shared.value.1?(shared.value.0, t) }
  }
}

/// Hands a value to the threads of `forEachRange`. Sound for its use there: each thread touches
/// only its own range of the output, and the inputs are read-only.
struct UncheckedSendable<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
