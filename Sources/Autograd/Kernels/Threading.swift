import CAutogradKernels
import Foundation
import Synchronization

/// How many threads the kernels may use (default: the active processors).
///
/// Work is split only when a cost model says it pays, on the kernels' own pool of workers
/// (`worker_pool.c`), which spin for a millisecond between jobs (see ARCHITECTURE.md, "Threads").
public enum Threading {
  private static let limit = Atomic<Int>(ProcessInfo.processInfo.activeProcessorCount)

  /// The most threads a kernel uses.
  public static var maxThreads: Int { limit.load(ordering: .relaxed) }

  /// Sets the most threads a kernel uses (at least 1). The workers spin for a millisecond after
  /// each job, holding their cores; processes that share a machine's cores (MPI ranks on one
  /// machine) should each take their share, and 1 keeps all work on the calling thread.
  public static func setMaxThreads(_ count: Int) {
    limit.store(Swift.max(1, count), ordering: .relaxed)
  }

  /// The fewest elements of a cheap element-wise op (an add, a multiply, a fill, relu, a
  /// vectorized exp) worth a thread of their own. Locality sets it more than the work does: a
  /// product split between threads leaves half of its result in the other core's cache, and the
  /// ops that read it next (a gradient accumulated, an optimizer's update, a gradient zeroed)
  /// fetched that half across cores on one thread. Split the same way, each thread finds most of
  /// its range where it wrote it (W2: 131 to 111 ms a run, from 128K elements a thread).
  static var cheapElementsPerThread: Int { 1 << 15 }

  /// The fewest elements worth a thread for a function that calls the math library per element
  /// (some nanoseconds each: 8K elements are tens of microseconds of work).
  static var costlyElementsPerThread: Int { 1 << 13 }

  /// How many pieces to split `work` units into, given that one piece should hold at least `minimum`.
  static func pieces(work: Double, minimum: Double) -> Int {
    Swift.max(1, Swift.min(maxThreads, Int(work / minimum)))
  }

  /// Runs `body` on consecutive ranges covering `0..<count`, on several threads when each range
  /// would hold at least `minimumPerThread` elements, else on this thread in one call.
  static func forEachRange(_ count: Int, minimumPerThread: Int, _ body: (Range<Int>) -> Void) {
    // Below two pieces' worth there is one piece whatever the thread count (most calls: small ops).
    if count < minimumPerThread &* 2 { return body(0..<count) }
    let n = pieces(work: Double(count), minimum: Double(minimumPerThread))
    if n == 1 { return body(0..<count) }
    withoutActuallyEscaping(body) { body in
      var job = RangeJob(body: body, count: count, pieces: n)
      withUnsafeMutablePointer(to: &job) { job in
        ag_pool_parallel_for(n, job) { context, i in
          let job = context!.assumingMemoryBound(to: RangeJob.self).pointee
          // Piece i of n covers [i·count/n, (i+1)·count/n): sizes differ by at most one.
          job.body((i * job.count / job.pieces)..<((i + 1) * job.count / job.pieces))
        }
      }
    }
  }
}

/// What the threads of `forEachRange` share: the body and how the ranges are cut. Sound to share:
/// each thread touches only its own range of the output, and the inputs are read-only.
private struct RangeJob {
  let body: (Range<Int>) -> Void
  let count: Int, pieces: Int
}

extension Threading {
  /// A `parallel_for` for C kernels that start their own workers (the GEMM): the library's worker
  /// pool, whose threads spin briefly between jobs (`worker_pool.c`).
  static let parallelForC: ag_parallel_for = ag_pool_parallel_for
}
