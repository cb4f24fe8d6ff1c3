import Foundation

/// Starts `DistributedTestWorker` under `mpirun` and collects what it printed.
///
/// Without `mpirun` on the PATH the distributed tests are skipped with a notice, unless
/// `AUTOGRAD_REQUIRE_MPI=1` (as in CI), where they fail instead.
enum MPIJob {
  /// The transports a job can be told to use.
  enum Transport: String, CaseIterable, Sendable {
    /// Whatever Open MPI picks on one machine: shared memory.
    case sharedMemory
    /// TCP sockets over the loopback interface, as between machines.
    case tcp

    var arguments: [String] {
      switch self {
      case .sharedMemory: []
      case .tcp: ["--mca", "pml", "ob1", "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo"]
      }
    }
  }

  struct Outcome {
    let status: Int32
    let output: String
    let seconds: Double
  }

  static let isRequired = ProcessInfo.processInfo.environment["AUTOGRAD_REQUIRE_MPI"] == "1"

  static let mpirun = onPath("mpirun")
  /// MPICH's launcher, where MPICH is installed beside Open MPI (Debian's `mpich` package).
  static let mpiexecMPICH = onPath("mpiexec.mpich")

  private static func onPath(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  /// Whether the tests run: MPI is installed, or it is required (and then a missing one fails).
  static let shouldRun: Bool = {
    if mpirun == nil && !isRequired {
      print("notice: mpirun is not installed, so the distributed tests are skipped (apt-get install openmpi-bin to run them)")
    }
    return mpirun != nil || isRequired
  }()

  /// A program of this package, built beside the test bundle.
  static func builtProgram(_ name: String) -> URL? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<5 {
      let candidate = directory.appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent().appendingPathComponent(name) }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  enum Failure: Error, CustomStringConvertible {
    case missing(String)
    var description: String { if case .missing(let text) = self { return text } else { return "" } }
  }

  /// Runs the worker's `scenario` on `ranks` processes and waits at most `timeout` seconds,
  /// killing the job then.
  static func run(_ scenario: String, ranks: Int, transport: Transport = .sharedMemory, timeout: Double = 120,
                  arguments: [String] = [], mpich: Bool = false) throws -> Outcome {
    try run(program: "DistributedTestWorker", [scenario] + arguments, ranks: ranks, transport: transport, timeout: timeout,
            mpich: mpich)
  }

  /// Runs `program` of this package with `arguments` on `ranks` processes, under Open MPI's
  /// `mpirun`, or under MPICH's `mpiexec` with `mpich`.
  static func run(program: String, _ arguments: [String], ranks: Int, transport: Transport = .sharedMemory,
                  timeout: Double = 120, mpich: Bool = false) throws -> Outcome {
    guard let launcher = mpich ? mpiexecMPICH : mpirun else {
      throw Failure.missing("mpirun is not installed (AUTOGRAD_REQUIRE_MPI=1): apt-get install openmpi-bin")
    }
    guard let executable = builtProgram(program) else { throw Failure.missing("\(program) was not found beside the test bundle") }
    let process = Process()
    process.executableURL = launcher
    process.arguments = (mpich ? ["-n", "\(ranks)"] : ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)"] + transport.arguments)
      + [executable.path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let start = Date()
    try process.run()
    // Read while it runs, so that a full pipe never blocks the job.
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
    return Outcome(status: process.terminationStatus, output: String(decoding: output.data, as: UTF8.self), seconds: seconds)
  }

  /// Written by the reading thread before `reading` is left, read after: never at the same time.
  private final class OutputBox: @unchecked Sendable { var data = Data() }
}
