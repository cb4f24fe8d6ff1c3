import ArgumentParser
import Autograd
import AutogradDistributed
import AutogradExamples
import Foundation

extension DigitsClassifier.Model: ExpressibleByArgument {}
extension DigitsClassifier.OptimizerKind: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a digit classifier (MLP or CNN) on the 8x8 handwritten digits and report test accuracy."
  )

  @Option(help: "The network: mlp or cnn.")
  var model: DigitsClassifier.Model = .mlp

  @Option(parsing: .unconditional, help: "Passes over the training data.")
  var epochs = 30

  @Option(parsing: .unconditional, help: "Samples per mini-batch.")
  var batchSize = 32

  @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate.")
  var learningRate = 1e-3

  @Option(help: "adam, adamw, sgd (momentum 0.9) or rmsprop.")
  var optimizer: DigitsClassifier.OptimizerKind = .adam

  @Option(parsing: .unconditional, help: "Seed for the split, the initialization and the shuffling.")
  var seed: UInt64 = 0

  @Option(help: "A CSV of 64 pixels (0...16) and a label per row (default: the digits data shipped with the tool).")
  var data: String?

  @Option(help: "Save the trained model to this .safetensors file.")
  var save: String?

  @Option(help: "Draw the training loss and test accuracy per epoch to this SVG file.")
  var plot: String?

  @Flag(
    help:
      "Train on every process of an MPI job (`mpirun -np N autograd train --distributed`), each on its share of the data; --batch-size is per process."
  )
  var distributed = false

  func validate() throws {
    guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
    guard learningRate > 0, learningRate.isFinite else {
      throw ValidationError("--lr must be positive, got \(learningRate)")
    }
  }

  func run() throws {
    let group = distributed ? try ProcessGroup.world() : nil
    if let group {
      // The ranks on this machine share its cores: more threads than cores only fight.
      Threading.setMaxThreads(Swift.max(1, ProcessInfo.processInfo.activeProcessorCount / group.ranksOnThisMachine))
    }
    // Only rank 0 speaks and writes files; the others train in silence.
    let isLead = (group?.rank ?? 0) == 0
    // What would fail after training is checked before it (by rank 0, which writes the files).
    let loaded = Result {
      if isLead {
        if let save { try checkWritable(save, option: "--save") }
        if let plot { try checkWritable(plot, option: "--plot") }
      }
      return try DigitsClassifier.load(data.map { URL(fileURLWithPath: $0) } ?? DigitsClassifier.defaultDataURL)
    }
    // Every rank reads the data; if one cannot, all stop with its reason rather than wait for it.
    if let group {
      do {
        try group.agree(onFailure: loaded.failureDescription)
      } catch let error as DistributedError {
        if isLead { throw error }
        throw ExitCode.failure
      }
    }
    let (features, labels) = try loaded.get()
    var options = DigitsClassifier.Options()
    (options.model, options.epochs, options.batchSize, options.learningRate, options.optimizer, options.seed) =
      (model, epochs, batchSize, learningRate, optimizer, seed)
    let ranks = group?.size ?? 1
    let batch =
      ranks == 1 ? "batch \(batchSize)" : "batch \(batchSize) per process x \(ranks) processes = \(batchSize * ranks)"
    if isLead {
      if let group { print("distributed over \(ranks) processes (\(group.implementation))") }
      print(
        "training \(model.rawValue) on \(features.shape[0]) digits (\(Int(options.testFraction * 100))% held out), \(optimizer.rawValue), lr \(learningRate), \(batch)"
      )
    }
    let bar = ProgressBar(total: epochs)
    var reports: [DigitsClassifier.EpochReport] = []
    let trained = try DigitsClassifier.train(
      features: features, labels: labels, options: options, group: group,
      onBatch: { progress in
        if isLead { bar.update(progress) }
      },
      onEpoch: { report in
        if isLead { bar.finish(report) }
        reports.append(report)
      })
    guard isLead else { return }
    let accuracy = reports.last?.testAccuracy ?? 0
    print("final test accuracy: \(String(format: "%.2f", accuracy * 100))%")
    if let save {
      try trained.save(to: URL(fileURLWithPath: save), metadata: DigitsClassifier.metadata(options, accuracy: accuracy))
      print("saved the model to \(save)")
    }
    if let plot {
      let svg = trainingCurvesSVG(
        losses: reports.map(\.meanLoss), accuracies: reports.map(\.testAccuracy),
        title: "\(model.rawValue.uppercased()) on digits: loss and test accuracy")
      do { try Data(svg.utf8).write(to: URL(fileURLWithPath: plot), options: .atomic) } catch {
        throw CommandError("cannot write \(plot): \(error.localizedDescription)")
      }
      print("drew the curves to \(plot)")
    }
  }
}

extension Result where Failure == any Error {
  /// The error's description, or `nil` on success.
  var failureDescription: String? {
    if case .failure(let error) = self { return "\(error)" }
    return nil
  }
}

struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract: "Load a model saved by `autograd train --save` and print its accuracy on the held-out digits."
  )

  @Option(help: "The .safetensors file written by `autograd train --save`.")
  var model: String

  @Option(help: "The digits CSV (default: the data shipped with the tool).")
  var data: String?

  func run() throws {
    let (network, options) = try DigitsClassifier.loadModel(URL(fileURLWithPath: model))
    let (features, labels) = try DigitsClassifier.load(
      data.map { URL(fileURLWithPath: $0) } ?? DigitsClassifier.defaultDataURL)
    var generator = RandomGenerator(seed: options.seed)
    let (_, test) = DigitsClassifier.split(
      features: features, labels: labels, testFraction: options.testFraction, generator: &generator)
    let (testFeatures, testLabels) = test.batch(at: Array(0..<test.count))
    let accuracy = DigitsClassifier.accuracy(of: network, features: testFeatures, labels: testLabels)
    print(
      "\(options.model.rawValue) model from \(model): test accuracy \(String(format: "%.2f", accuracy * 100))% on \(test.count) held-out digits"
    )
  }
}

/// A live progress line per epoch on a terminal (items done, rate, time left, running loss), and
/// one plain line per epoch when the output is a file or a pipe.
final class ProgressBar {
  let total: Int
  let isTerminal = isatty(STDOUT_FILENO) != 0
  private var lastDraw = Date.distantPast

  init(total: Int) { self.total = total }

  func update(_ p: DigitsClassifier.BatchProgress) {
    guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.05 || p.samplesDone == p.samplesTotal else { return }
    lastDraw = Date()
    print("\r\u{1B}[2K" + Self.line(p, total: total, columns: Self.terminalColumns()), terminator: "")
    fflush(nil)  // every stream: naming `stdout` is not concurrency-safe in Swift 6
  }

  func finish(_ r: DigitsClassifier.EpochReport) {
    let line = String(
      format: "epoch %d/%d  loss %.4f  test accuracy %.2f%%  (%.2fs)", r.epoch, total, r.meanLoss, r.testAccuracy * 100,
      r.seconds)
    print(isTerminal ? "\r\u{1B}[2K" + line : line)
  }

  /// The progress line for a terminal `columns` wide, shorter than it: a line as wide as the
  /// terminal wraps, and each redraw then leaves a stale line behind. The bar shrinks first (to
  /// 10), then the rate, the time left and the counts go, then the bar; the epoch and the loss stay.
  static func line(_ p: DigitsClassifier.BatchProgress, total: Int, columns: Int) -> String {
    let fraction = Double(p.samplesDone) / Double(Swift.max(p.samplesTotal, 1))
    let rate = Double(p.samplesDone) / Swift.max(p.seconds, 1e-9)
    let left = Double(p.samplesTotal - p.samplesDone) / Swift.max(rate, 1e-9)
    let epoch = "epoch \(p.epoch)/\(total)"
    let loss = String(format: "loss %.4f", p.runningLoss)
    let optional = [
      "\(p.samplesDone)/\(p.samplesTotal)", String(format: "%.0f items/s", rate), String(format: "%.1fs left", left),
    ]
    let room = columns - 1
    func bar(_ width: Int) -> String {
      let filled = Int(fraction * Double(width))
      return "[" + String(repeating: "=", count: filled) + (filled < width ? ">" : "")
        + String(repeating: " ", count: Swift.max(0, width - filled - 1)) + "]"
    }
    // Fewer fields at a time: all three, then the count alone, then none.
    for kept in [optional, [optional[0]], []] {
      let fixed = ([epoch] + kept + [loss]).joined(separator: "  ").count + 1  // the space before the bar
      let width = Swift.min(24, room - fixed - 2)
      if width >= 10 { return ([epoch + " " + bar(width)] + kept + [loss]).joined(separator: "  ") }
    }
    let bare = epoch + "  " + loss
    return bare.count <= room ? bare : String(bare.prefix(Swift.max(room, 0)))
  }

  /// The terminal's width, from the terminal itself, else `COLUMNS`, else 80.
  static func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
  }
}
