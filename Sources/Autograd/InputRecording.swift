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

/// One call of a composite op (`conv2d`, `crossEntropy`: a public function that records several
/// ops), while pictures are recorded: the ops it records point to it, so that a picture can draw
/// the call as one node with the inputs it was given.
///
/// Unchecked: a task-local value must be sendable, and tensors are not. A call is made, read and
/// marked on ops by the task that runs the composite op (child tasks only read its name), and its
/// inputs change only when the last of its ops is freed, when no task can reach it.
final class CompositeCall: @unchecked Sendable {
  /// The op's name as pictures show it (`Conv2d`).
  let name: String
  /// The tensors the call was given, in order (absent optional ones left out).
  private(set) var inputs: [Tensor]

  init(name: String, inputs: [Tensor]) {
    (self.name, self.inputs) = (name, inputs)
  }

  /// Moves the inputs out (for teardown).
  func takeInputs() -> [Tensor] {
    defer { inputs = [] }
    return inputs
  }

  /// The outermost composite call running now, if pictures are recorded.
  @TaskLocal static var current: CompositeCall?

  /// Runs `body`, the body of the composite op `name` called with `inputs`. Only while pictures
  /// are recorded, and only for the outermost call (`crossEntropy` calls `logSoftmax` and
  /// `nllLoss`: the user called the first), are its ops marked; otherwise it costs one check.
  static func run<R>(_ name: String, inputs: [Tensor?], _ body: () -> R) -> R {
    guard InputRecording.isEnabled, current == nil else { return body() }
    return $current.withValue(CompositeCall(name: name, inputs: inputs.compactMap { $0 }), operation: body)
  }
}

/// The modules whose computation is running, outermost first, while pictures are recorded: the
/// ops recorded inside point to them, so that a picture can group a model's ops by module.
/// AutogradNN's modules enter here (`Module.grouped`); Autograd knows them only by identity.
package enum ModuleScope {
  /// The modules running now, outermost first (empty outside any, or when not recording).
  @TaskLocal package static var current: [ObjectIdentifier] = []

  /// Runs `body` as the computation of the module `module`.
  package static func run<R>(_ module: ObjectIdentifier, _ body: () -> R) -> R {
    guard InputRecording.isEnabled else { return body() }
    return $current.withValue(current + [module], operation: body)
  }
}
