import Foundation

/// Anomaly detection: while it is on, every recorded op remembers where it was created, and a
/// backward rule that produces NaN or infinity traps naming the op and that place.
///
/// It costs a stack capture per op, so turn it on to find a problem, not for training runs.
public enum AnomalyMode {
  @TaskLocal static var isActive = false

  /// Whether anomaly detection is on for the current task or thread.
  public static var isEnabled: Bool { isActive }

  /// The call stack at the recording op, without the library's own frames.
  static func callerTrace() -> [String] {
    Array(Thread.callStackSymbols.dropFirst(2).filter { !$0.contains("8Autograd") }.prefix(8))
  }

  /// Traps if any gradient a rule returned holds NaN or infinity.
  static func check(_ grads: [Tensor?], from node: Node) {
    for (i, grad) in grads.enumerated() {
      guard let grad, grad.dtype.isFloatingPoint else { continue }
      let values = grad.scalars(as: Double.self)
      guard let bad = values.first(where: { !$0.isFinite }) else { continue }
      let trace = (node.creationTrace ?? ["(recorded before anomaly detection was turned on)"]).joined(separator: "\n  ")
      preconditionFailure("""
        backward: \(node.displayName) returned \(bad.isNaN ? "NaN" : "an infinite value") in the gradient of its input \(i) \
        (shape \(grad.shape)). The forward op was recorded at:
          \(trace)
        """)
    }
  }
}

/// Runs `body` with anomaly detection on: see `AnomalyMode`.
public func withAnomalyDetection<R>(_ body: () throws -> R) rethrows -> R {
  try AnomalyMode.$isActive.withValue(true, operation: body)
}
