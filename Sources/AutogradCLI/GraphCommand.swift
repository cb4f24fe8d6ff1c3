import ArgumentParser
import Autograd
import Foundation

struct GraphCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "graph",
    abstract:
      "Draw a computation graph, with forward values, gradients and local gradients, as SVG and DOT, or as a page.",
    discussion:
      "Writes the SVG to --out and the Graphviz DOT beside it (same name, .dot); with --html, one self-contained page that steps through back-propagation (open it from disk; #step=N in its address opens step N)."
  )

  @OptionGroup var source: GraphSource

  @Option(help: "Where to write the SVG.")
  var out = "graph.svg"

  @Option(
    help: ArgumentHelp(
      "Write an interactive page instead: one self-contained HTML file that steps through the forward and backward passes.",
      valueName: "page.html"))
  var html: String?

  func run() throws {
    let (graph, everyOp) = try source.graphs(withEveryOp: html != nil)
    if let html {
      let url = URL(fileURLWithPath: html)
      try write(graph.html(everyOp: everyOp), to: url)
      print("wrote \(url.path): \(graph.nodes.count) nodes, \(graph.backwardOrder.count) backward steps")
      return
    }
    let svgURL = URL(fileURLWithPath: out)
    let dotURL = svgURL.pathExtension == "dot" ? svgURL : svgURL.deletingPathExtension().appendingPathExtension("dot")
    if svgURL.pathExtension != "dot" {
      try write(graph.svg(), to: svgURL)
    }
    try write(graph.dot(), to: dotURL)
    let written = svgURL == dotURL ? dotURL.path : "\(svgURL.path) and \(dotURL.path)"
    print("wrote \(written): \(graph.nodes.count) nodes, \(graph.edges.count) edges")
  }

  private func write(_ text: String, to url: URL) throws {
    do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
      throw CommandError("cannot write \(url.path): \(error.localizedDescription)")
    }
  }
}

struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Print the forward pass value by value and the backward pass gate by gate, as the lecture does."
  )

  @OptionGroup var source: GraphSource

  @Option(help: "Significant digits of the numbers printed, or 'full' for every digit (as Python prints a float).")
  var precision = "6"

  func validate() throws {
    guard precision == "full" || (Int(precision).map { (1...17).contains($0) } ?? false) else {
      throw ValidationError("--precision must be a number of digits from 1 to 17, or 'full', got '\(precision)'")
    }
  }

  func run() throws {
    let digits = precision == "full" ? nil : Int(precision)
    print(try source.graph().explanation(significantDigits: digits), terminator: "")
  }
}
