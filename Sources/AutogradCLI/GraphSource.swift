import ArgumentParser
import Autograd
import AutogradExamples
import AutogradNN
import Foundation

/// Which computation `graph` and `explain` show: the lecture's model, an expression, or the
/// two-layer network.
struct GraphSource: ParsableArguments {
  enum Model: String, ExpressibleByArgument, CaseIterable {
    case lecture
    case twoLayerNet = "two-layer-net"
  }

  static let lectureProgram = "y_hat = x * w; loss = (y - y_hat)^2"

  @Option(
    help: "The model to show when no --expr is given: lecture (loss = (y - x*w)^2 for one sample) or two-layer-net.")
  var model: Model = .lecture

  @Option(help: "An expression over named scalars, e.g. \"(y - x*w)^2\" or \"y_hat = x*w; loss = (y - y_hat)^2\".")
  var expr: String?

  @Option(help: "Values of the names, e.g. x=2,y=4,w=1 (default for the lecture: x=1,y=2,w=1).")
  var set: String?

  @Option(
    help:
      "Names that require grad, e.g. w (default: w for the lecture, where x and y are data; all names of an --expr)."
  )
  var wrt: String?

  @Option(help: "A digits model saved by `autograd train --save`: its forward pass and loss on one digit.")
  var checkpoint: String?

  @Option(parsing: .unconditional, help: "With --checkpoint: which digit of the data set (row number from 0) to run.")
  var sample = 0

  @Flag(
    help:
      "Show every op the engine recorded: composite ops (conv2d, linear, crossEntropy) as the views, products and reductions they are made of."
  )
  var everyOp = false

  /// The description of the graph to draw or explain.
  func graph() throws -> ComputationGraph { try graphs(withEveryOp: false).shown }

  /// The description at the level asked for and, `withEveryOp` (for the page to expand), when
  /// that level is the calls the program made and a composite op is among them, the same graph
  /// with every recorded op.
  func graphs(withEveryOp: Bool) throws -> (shown: ComputationGraph, everyOp: ComputationGraph?) {
    let (output, names, model) = try build()
    // The checkpoint's digit requires grad (the picture shows which pixels mattered), but it is data.
    let data = checkpoint == nil ? [] : names["input"].map { [$0] } ?? []
    func describe(_ level: ComputationGraph.Level) -> ComputationGraph {
      guard let model else { return ComputationGraph(of: output, names: names, data: data, level: level) }
      return ComputationGraph(of: output, model: model, names: names, data: data, level: level)
    }
    if everyOp { return (describe(.recordedOps), nil) }
    let calls = describe(.calls)
    guard withEveryOp else { return (calls, nil) }
    let everyOpGraph = describe(.recordedOps)
    return (calls, calls.nodes.count < everyOpGraph.nodes.count ? everyOpGraph : nil)
  }

  /// The output tensor, with names for the tensors of its graph, recorded with every value for the
  /// picture, and the model that computed it (a checkpoint's), whose modules group the picture.
  func build() throws -> (output: Tensor, names: [String: Tensor], model: Module?) {
    if let checkpoint {
      guard expr == nil else { throw CommandError("give either --checkpoint or --expr, not both") }
      return try ComputationGraph.recording { try checkpointGraph(checkpoint) }
    }
    let (output, names) = try ComputationGraph.recording { try buildGraph() }
    return (output, names, nil)
  }

  private func buildGraph() throws -> (output: Tensor, names: [String: Tensor]) {
    if expr == nil && model == .twoLayerNet {
      let (loss, names) = TwoLayerNet.pictureExample()
      return (loss, names)
    }
    let values = try ScalarExpression.parseAssignments(set ?? (expr == nil ? "x=1,y=2,w=1" : ""))
    // The lecture trains w on the data x and y: only w requires grad unless --wrt says otherwise.
    let defaultParameters: Set<String>? = expr == nil ? ["w"] : nil
    let parameters =
      try wrt.map { list in
        let names = Set(list.split(separator: ",").map(String.init))
        for name in names where !values.contains(where: { $0.0 == name }) {
          throw CommandError(
            "--wrt: '\(name)' is not one of the names given with --set (\(values.map(\.0).joined(separator: ", ")))")
        }
        return names
      } ?? defaultParameters
    let expression = try ScalarExpression(expr ?? Self.lectureProgram, values: values, parameters: parameters)
    if let unused = values.map(\.0).first(where: { !expression.usedNames.contains($0) }) {
      throw CommandError("--set: '\(unused)' is not used by the expression")
    }
    guard expression.output.requiresGrad else {
      throw CommandError("the expression does not depend on any name that requires grad, so it has no backward pass")
    }
    return (expression.output, expression.names)
  }

  /// The saved model's forward pass on one digit, with the cross-entropy loss of its label.
  private func checkpointGraph(_ path: String) throws -> (output: Tensor, names: [String: Tensor], model: Module?) {
    let (network, _) = try DigitsClassifier.loadModel(URL(fileURLWithPath: path))
    let (features, labels) = try DigitsClassifier.load(DigitsClassifier.defaultDataURL)
    guard (0..<features.shape[0]).contains(sample) else {
      throw CommandError("--sample must be in 0..<\(features.shape[0]), got \(sample)")
    }
    let (loss, names) = DigitsClassifier.lossOnOneDigit(network, features: features, labels: labels, sample: sample)
    return (loss, names, network)
  }
}
