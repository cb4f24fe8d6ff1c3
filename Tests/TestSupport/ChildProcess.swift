import Foundation

/// Runs programs of this package from tests: finds them beside the test bundle, runs them with a
/// time limit, and returns what they printed.
public enum ChildProcess {
  public struct Outcome: Sendable {
    public let status: Int32
    public let output: String
    public let seconds: Double
  }

  public enum Failure: Error, CustomStringConvertible {
    case missing(String)
    public var description: String { if case .missing(let text) = self { return text } else { return "" } }
  }

  /// A program of this package, built beside the test bundle.
  public static func builtProgram(_ name: String) -> URL? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<5 {
      let candidate = directory.appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent().appendingPathComponent(name) }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  /// A program on the PATH.
  public static func onPath(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  /// Runs `executable` with `arguments`, standard output and error together, and waits at most
  /// `timeout` seconds, killing it then.
  public static func run(_ executable: URL, _ arguments: [String], timeout: Double = 120) throws -> Outcome {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let start = Date()
    try process.run()
    // Read while it runs, so that a full pipe never blocks it.
    let output = OutputBox()
    let reading = DispatchGroup()
    DispatchQueue.global().async(group: reading) { output.data = pipe.fileHandleForReading.readDataToEndOfFile() }
    while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(20_000) }
    if process.isRunning {
      process.terminate()
      usleep(500_000)
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    reading.wait()
    return Outcome(
      status: process.terminationStatus, output: String(decoding: output.data, as: UTF8.self), seconds: seconds)
  }

  /// Written by the reading thread before `reading` is left, read after: never at the same time.
  private final class OutputBox: @unchecked Sendable { var data = Data() }
}
