/// Whether ops record the graph, per task and per thread (a task-local value).
public enum GradMode {
  @TaskLocal static var isRecording = true

  /// Whether ops currently record what they compute for `backward()`.
  public static var isEnabled: Bool { isRecording }
}

/// Runs `body` without recording any graph: results do not require grad, and in-place updates
/// of leaves (`w -= lr * w.grad!`) are allowed. As `with torch.no_grad():`.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.$isRecording.withValue(false, operation: body)
}

/// Runs `body` with graph recording on, even inside `withNoGrad`.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.$isRecording.withValue(true, operation: body)
}

/// Runs async `body` without recording any graph; see the synchronous `withNoGrad`.
public func withNoGrad<R>(isolation: isolated (any Actor)? = #isolation,
                          _ body: () async throws -> R) async rethrows -> R {
  try await GradMode.$isRecording.withValue(false, operation: body, isolation: isolation)
}
