import CAutogradKernels
import Synchronization

/// Whether ops record the graph, per task and per thread (a task-local value).
public enum GradMode {
  /// The mode set by `withNoGrad` and `withGrad`.
  @TaskLocal static var taskValue = true
  /// Set for good the first time `withNoGrad` or `withGrad` runs: until then the task-local value
  /// is known to be the default and is not looked up (a walk of the task's values per op).
  static let taskValueHasBeenSet = Atomic<Bool>(false)

  /// Whether ops record right now: the mode a running backward pass holds this thread in (off,
  /// or on with `createGraph`), else the task's. A backward pass runs synchronously on the calling
  /// thread, so a per-thread value is exact there, and setting it costs no allocation where
  /// binding a task-local value cost one per pass.
  static var isRecording: Bool {
    switch ag_grad_override() {
    case 1: return false
    case 2: return true
    default: return !taskValueHasBeenSet.load(ordering: .relaxed) || taskValue
    }
  }

  /// Whether ops currently record what they compute for `backward()`.
  public static var isEnabled: Bool { isRecording }

  /// Runs `body` with recording on or off on this thread, whatever the task's mode (the backward
  /// pass's rules). `body` must not suspend.
  static func holding<R>(recording: Bool, _ body: () throws -> R) rethrows -> R {
    let old = ag_set_grad_override(recording ? 2 : 1)
    defer { ag_set_grad_override(old) }
    return try body()
  }

  /// Runs `body` under the task's mode `recording`: a hook that a backward pass calls may set
  /// the mode for what it runs, so the pass's own hold on the thread is lifted meanwhile.
  static func setting<R>(recording: Bool, _ body: () throws -> R) rethrows -> R {
    taskValueHasBeenSet.store(true, ordering: .relaxed)
    let old = ag_set_grad_override(0)
    defer { ag_set_grad_override(old) }
    return try $taskValue.withValue(recording, operation: body)
  }
}

/// Runs `body` without recording any graph: results do not require grad, and in-place updates
/// of leaves (`w -= lr * w.grad!`) are allowed. As `with torch.no_grad():`.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.setting(recording: false, body)
}

/// Runs `body` with graph recording on, even inside `withNoGrad`.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.setting(recording: true, body)
}

/// Runs async `body` without recording any graph; see the synchronous `withNoGrad`. (No backward
/// pass holds the thread here: a pass never suspends, so async code never runs inside one.)
public func withNoGrad<R>(isolation: isolated (any Actor)? = #isolation,
                          _ body: () async throws -> R) async rethrows -> R {
  GradMode.taskValueHasBeenSet.store(true, ordering: .relaxed)
  return try await GradMode.$taskValue.withValue(false, operation: body, isolation: isolation)
}
