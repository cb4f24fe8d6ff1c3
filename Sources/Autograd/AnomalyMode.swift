import Foundation
import Synchronization

#if os(Linux) && canImport(Runtime)
  import Runtime
#endif

/// Anomaly detection: while it is on, every recorded op remembers where it was created, and a
/// backward rule that produces NaN or infinity traps naming the op and that place.
///
/// It costs a stack capture per op, so turn it on to find a problem, not for training runs.
public enum AnomalyMode {
  @TaskLocal static var isActive = false
  /// Set for good the first time anomaly detection is turned on: until then `isEnabled` skips
  /// the task-local lookup, which cost every recorded op a walk of the task's values.
  static let hasBeenUsed = Atomic<Bool>(false)

  /// Whether anomaly detection is on for the current task or thread.
  public static var isEnabled: Bool { hasBeenUsed.load(ordering: .relaxed) && isActive }

  /// Traps if any gradient a rule returned holds NaN or infinity.
  static func check(_ grads: GradientList, from node: Node) {
    for (i, grad) in grads.enumerated() {
      guard let grad, grad.dtype.isFloatingPoint else { continue }
      let values = grad.scalars(as: Double.self)
      guard let bad = values.first(where: { !$0.isFinite }) else { continue }
      let trace = node.creationTrace?.lines() ?? ["(recorded before anomaly detection was turned on)"]
      trap(
        """
        backward: \(node.displayName) returned \(bad.isNaN ? "NaN" : "an infinite value") in the gradient of its input \(i) \
        (shape \(grad.shape)). The forward op was recorded at:
          \(trace.joined(separator: "\n  "))
        """)
    }
  }
}

/// Where an op was recorded: a raw stack capture, turned into `file:line` text only when reported.
struct CreationTrace {
  #if os(Linux) && canImport(Runtime)
    private let backtrace: Backtrace?
    init() { backtrace = try? Backtrace.capture() }

    /// The frames outside this library, as `file:line:column symbol` (symbols alone without debug info).
    func lines() -> [String] {
      guard let frames = backtrace?.symbolicated()?.frames else { return ["(no backtrace)"] }
      let described = frames.compactMap { frame -> String? in
        guard let symbol = frame.symbol else { return nil }
        if let location = symbol.sourceLocation {
          if location.path.contains("/Sources/Autograd/") { return nil }
          return "\(location.path):\(location.line):\(location.column) in \(symbol.name)"
        }
        return symbol.name.contains("Autograd") ? nil : symbol.name
      }
      return Array(described.prefix(6))
    }
  #else
    private let symbols = Thread.callStackSymbols
    init() {}
    func lines() -> [String] { Array(symbols.dropFirst(2).filter { !$0.contains("Autograd") }.prefix(6)) }
  #endif
}

/// Runs `body` with anomaly detection on: see `AnomalyMode`.
public func withAnomalyDetection<R>(_ body: () throws -> R) rethrows -> R {
  AnomalyMode.hasBeenUsed.store(true, ordering: .relaxed)
  return try AnomalyMode.$isActive.withValue(true, operation: body)
}
