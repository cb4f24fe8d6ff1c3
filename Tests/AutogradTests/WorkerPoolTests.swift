import Dispatch
import Foundation
import Testing

@testable import Autograd

@Suite("The kernels' worker pool") struct WorkerPoolTests {
  /// Runs `rounds` jobs of `count` elements back to back, each in pieces of at least `minimum`,
  /// and returns how many elements were not visited exactly once.
  private static func missedElements(rounds: Int, count: Int, minimum: Int) -> Int {
    let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
    defer { visits.deallocate() }
    var missed = 0
    for _ in 0..<rounds {
      visits.initialize(repeating: 0)
      Threading.forEachRange(count, minimumPerThread: minimum) { range in
        for i in range { visits[i] += 1 }
      }
      missed += visits.filter { $0 != 1 }.count
    }
    return missed
  }

  /// Jobs that follow each other at once (the workers still spinning) and after a pause (the
  /// workers asleep) each visit every element once, in as many pieces as threads are allowed.
  @Test func everyElementOfEveryJobRunsOnce() throws {
    let limit = Threading.maxThreads
    Threading.setMaxThreads(6)
    defer { Threading.setMaxThreads(limit) }
    #expect(Self.missedElements(rounds: 2000, count: 600, minimum: 100) == 0)
    #expect(Self.missedElements(rounds: 500, count: 7, minimum: 1) == 0)
    for _ in 0..<3 {
      usleep(5000)  // past the workers' spin: they sleep, and the next job wakes them
      #expect(Self.missedElements(rounds: 1, count: 600, minimum: 100) == 0)
    }
  }

  /// A job started from inside a job, and jobs started by several threads at once, run (on their
  /// own thread when the pool is taken) and visit every element once.
  @Test func nestedAndConcurrentJobsRunToTheEnd() {
    let limit = Threading.maxThreads
    Threading.setMaxThreads(4)
    defer { Threading.setMaxThreads(limit) }
    let inner = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4)
    defer { inner.deallocate() }
    inner.initialize(repeating: 0)
    Threading.forEachRange(4, minimumPerThread: 1) { outer in
      for o in outer {
        inner[o] = Self.missedElements(rounds: 20, count: 300, minimum: 50)
      }
    }
    #expect(Array(inner) == [0, 0, 0, 0])
    let missed = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4)
    defer { missed.deallocate() }
    let shared = UncheckedBox(missed)
    DispatchQueue.concurrentPerform(iterations: 4) { t in
      shared.value[t] = Self.missedElements(rounds: 300, count: 400, minimum: 100)
    }
    #expect(Array(missed) == [0, 0, 0, 0])
  }

  /// The kernels ask for the CPU's features once and cache the answer. In a fresh process the
  /// first asks come from every thread of one job at once (here a threaded exp, the process's
  /// first kernel): under ThreadSanitizer (in CI) an unsynchronized cache is a reported race, and
  /// the process then exits with status 66.
  @Test func aProcesssFirstThreadedKernelRacesOnNothing() async {
    await #expect(processExitsWith: .success) {
      Threading.setMaxThreads(4)
      let total = Tensor.ones([1 << 20]).exp().sum().item()
      guard Swift.abs(total / (Double(1 << 20) * M_E) - 1) < 1e-3 else { exit(1) }
    }
  }
}

/// Hands the result buffer to `concurrentPerform`'s threads, each of which writes its own slot.
private struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
