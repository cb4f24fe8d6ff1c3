import Synchronization

/// Whether recorded ops keep their input tensors as well as the edges backward follows.
///
/// Backward needs only edges, so by default an intermediate value is freed as soon as nothing
/// else holds it. A picture of the graph shows every value, so `ComputationGraph.recording` turns
/// this on for the ops it runs. Task-local, like the grad mode, so that it follows async code.
enum InputRecording {
  @TaskLocal static var isActive = false
  /// Set for good the first time recording is turned on: until then `isEnabled` skips the
  /// task-local lookup, which would cost every recorded op a walk of the task's values.
  static let hasBeenUsed = Atomic<Bool>(false)

  static var isEnabled: Bool { hasBeenUsed.load(ordering: .relaxed) && isActive }

  static func enabled<R>(_ body: () throws -> R) rethrows -> R {
    hasBeenUsed.store(true, ordering: .relaxed)
    return try $isActive.withValue(true, operation: body)
  }
}
