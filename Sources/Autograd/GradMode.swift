import CAutogradKernels
import Synchronization

/// Whether ops record the graph: PyTorch's grad mode.
///
/// Two things decide it, the first that applies:
/// 1. **A backward pass's hold on its thread** (`Hold`): a pass runs its rules on the calling
///    thread with recording off, or on with `createGraph`. A per-thread value (a C thread-local,
///    `ag_grad_override`) is exact there, because a pass never suspends, and setting it costs
///    nothing, where binding a task-local value cost an allocation per pass.
/// 2. **The task's mode**, set by `withNoGrad` and `withGrad` (a task-local value, so that it
///    follows async code). Looking it up walks the task's values on every op, so until the first
///    `withNoGrad` or `withGrad` of the process it is known to be the default and not looked up.
public enum GradMode {
  /// A backward pass's hold on the thread it runs on, stored as the C thread-local's value.
  enum Hold: Int32 {
    /// No pass holds the thread: the task's mode applies.
    case none = 0
    /// Recording off: the rules of a pass without `createGraph`.
    case off = 1
    /// Recording on: the rules of a pass with `createGraph`.
    case on = 2
  }

  /// The task's mode.
  @TaskLocal static var taskValue = true
  /// Whether the task's mode has ever been set in this process (a one-way latch): until then it is
  /// the default, and reading it is skipped.
  static let taskValueHasBeenSet = Atomic<Bool>(false)

  /// Whether ops record what they compute for `backward()` right now.
  public static var isEnabled: Bool {
    switch Hold(rawValue: ag_grad_override()) ?? .none {
    case .off: return false
    case .on: return true
    case .none: return !taskValueHasBeenSet.load(ordering: .relaxed) || taskValue
    }
  }

  /// Runs `body` with the thread held in `hold`, whatever the task's mode (a backward pass's
  /// rules). `body` must not suspend.
  static func holding<R>(_ hold: Hold, _ body: () throws -> R) rethrows -> R {
    let old = ag_set_grad_override(hold.rawValue)
    defer { ag_set_grad_override(old) }
    return try body()
  }

  /// Runs `body` with the task's mode `enabled`. A hook that a backward pass calls may set the mode
  /// for what it runs, so the pass's hold on the thread is lifted meanwhile.
  static func setting<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
    taskValueHasBeenSet.store(true, ordering: .relaxed)
    return try holding(.none) { try $taskValue.withValue(enabled, operation: body) }
  }
}

/// Runs `body` without recording any graph: results do not require grad, and in-place updates
/// of leaves (`w -= lr * w.grad!`) are allowed. As `with torch.no_grad():`.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.setting(enabled: false, body)
}

/// Runs `body` with graph recording on, even inside `withNoGrad`.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.setting(enabled: true, body)
}

/// Runs async `body` without recording any graph; see the synchronous `withNoGrad`. (No backward
/// pass holds the thread here: a pass never suspends, so async code never runs inside one.)
public func withNoGrad<R>(
  isolation: isolated (any Actor)? = #isolation,
  _ body: () async throws -> R
) async rethrows -> R {
  GradMode.taskValueHasBeenSet.store(true, ordering: .relaxed)
  return try await GradMode.$taskValue.withValue(false, operation: body, isolation: isolation)
}
