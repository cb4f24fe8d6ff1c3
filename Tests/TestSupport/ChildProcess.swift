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

  /// Runs the package's `autograd` tool with `arguments` (see `run`).
  /// - Throws: `Failure.missing` when the tool was not built.
  public static func autograd(_ arguments: [String], timeout: Double = 120) throws -> Outcome {
    guard let tool = builtProgram("autograd") else { throw Failure.missing("autograd was not built") }
    return try run(tool, arguments, timeout: timeout)
  }

  /// A program on the PATH.
  public static func onPath(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  /// Runs `executable` with `arguments`, standard output and error together, and waits at most
  /// `timeout` seconds, killing it then.
  ///
  /// Started with posix_spawn rather than Foundation's `Process`, whose `run()` leaks a weak
  /// reference's side table on Linux, which LeakSanitizer reports in the sanitizer runs.
  public static func run(_ executable: URL, _ arguments: [String], timeout: Double = 120) throws -> Outcome {
    var pipeEnds: [Int32] = [0, 0]
    // Close-on-exec, so that programs other tests start meanwhile do not inherit this pipe (and
    // keep it open after this program has ended); the child's own copies are made by dup2.
    guard pipe(&pipeEnds) == 0 else { throw Failure.missing("pipe: \(String(cString: strerror(errno)))") }
    let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
    _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
    _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
    posix_spawn_file_actions_addclose(&actions, readEnd)
    let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    // A program just written (a copied binary) may be "busy" for a moment: a process that another
    // test forked meanwhile can still hold the copy's file open for writing. Try again then.
    var started = posix_spawn(&pid, executable.path, &actions, nil, argv, environ)
    for _ in 0..<100 where started == ETXTBSY {
      usleep(20_000)
      started = posix_spawn(&pid, executable.path, &actions, nil, argv, environ)
    }
    close(writeEnd)
    guard started == 0 else {
      close(readEnd)
      throw Failure.missing("cannot start \(executable.path): \(String(cString: strerror(started)))")
    }
    let start = Date()
    // Read while it runs, so that a full pipe never blocks it.
    let output = OutputBox()
    let reading = DispatchGroup()
    DispatchQueue.global().async(group: reading) {
      var buffer = [UInt8](repeating: 0, count: 65536)
      while true {
        let count = read(readEnd, &buffer, buffer.count)
        if count <= 0 { break }
        output.data.append(contentsOf: buffer[0..<count])
      }
      close(readEnd)
    }
    var status: Int32 = 0
    var killed = false
    while waitpid(pid, &status, WNOHANG) == 0 {
      if !killed && Date().timeIntervalSince(start) >= timeout {
        kill(pid, SIGKILL)
        killed = true
      }
      usleep(20_000)
    }
    let seconds = Date().timeIntervalSince(start)
    reading.wait()
    // As a shell reports it: the exit code, or 128 + the signal that ended it.
    let signal = status & 0x7f
    let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
    return Outcome(status: code, output: String(decoding: output.data, as: UTF8.self), seconds: seconds)
  }

  /// Written by the reading thread before `reading` is left, read after: never at the same time.
  private final class OutputBox: @unchecked Sendable { var data = Data() }
}
