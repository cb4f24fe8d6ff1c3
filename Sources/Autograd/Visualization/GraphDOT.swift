extension ComputationGraph {
  /// The graph in Graphviz's DOT language, inputs on the left and the output on the right: each
  /// node shows its name, op, shape, value and gradient; each edge its local gradient. A model's
  /// modules (`moduleTypes`) are clusters, nested as the modules are.
  public func dot() -> String {
    func quoted(_ s: String) -> String {
      "\""
        + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
    var out = "digraph computation {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\", fontsize=11];\n"
    var nodesIn: [String: [Int]] = [:]  // by innermost module ("" outside any)
    for node in nodes { nodesIn[GraphPicture.chain(node.module, moduleTypes).last ?? "", default: []].append(node.id) }
    func emit(_ module: String, indent: String) {
      for id in nodesIn[module] ?? [] {
        let node = nodes[id]
        let style = GraphStyle(node)
        var attributes =
          "label=\(quoted(labelLines(node).joined(separator: "\n"))), style=\"\(style.dotStyle)\", "
          + "fillcolor=\"\(style.fill)\", color=\"\(style.stroke)\""
        if node.role == .output { attributes += ", penwidth=2" }
        out += "\(indent)n\(node.id) [\(attributes)];\n"
      }
      // The modules directly inside this one, as clusters.
      let children = moduleTypes.keys.filter { child in
        GraphPicture.chain(child, moduleTypes).dropLast().last ?? "" == module && child != module
      }
      func first(_ module: String) -> Int {
        nodes.firstIndex { $0.module.map { $0 == module || $0.hasPrefix(module + ".") } ?? false } ?? nodes.count
      }
      for child in children.sorted(by: { first($0) < first($1) }) {
        out += "\(indent)subgraph \(quoted("cluster_" + child)) {\n"
        out +=
          "\(indent)  label=\(quoted("\(child) · \(moduleTypes[child]!)")); style=\"rounded\"; color=\"#6a5acd\";\n"
        emit(child, indent: indent + "  ")
        out += "\(indent)}\n"
      }
    }
    emit("", indent: "  ")
    for edge in edges {
      let label = edge.localGradient.map { "local \(Self.summary($0))" } ?? ""
      out += "  n\(edge.from) -> n\(edge.to) [label=\(quoted(label))];\n"
    }
    return out + "}\n"
  }

  /// The text lines a picture shows for a node.
  func labelLines(_ node: Node) -> [String] {
    var lines = [node.formula.map { "\(node.name) = \($0)" } ?? node.name]
    let isScalar = node.value.count == 1
    if !isScalar { lines.append("\(node.shape) \(node.dtype)") }
    lines.append("value \(Self.summary(node.value, showingShape: isScalar))")
    if let gradient = node.gradient { lines.append("grad \(Self.summary(gradient, showingShape: isScalar))") }
    return lines
  }
}

/// How each role looks, shared by the DOT and SVG pictures.
struct GraphStyle {
  var fill: String, stroke: String, dashed: Bool

  init(_ node: ComputationGraph.Node) {
    switch node.role {
    case .input: (fill, stroke) = ("#eeeeee", "#777777")
    case .parameter: (fill, stroke) = ("#d9f2d9", "#2e7d32")
    case .operation: (fill, stroke) = ("#e3ecfa", "#3465a4")
    case .output: (fill, stroke) = ("#ffe0b2", "#e65100")
    }
    dashed = node.isSaved
  }

  var dotStyle: String { dashed ? "filled,dashed" : "filled" }

  static let legend: [(String, GraphStyle)] = [
    ("input / constant", GraphStyle(fill: "#eeeeee", stroke: "#777777", dashed: false)),
    ("parameter (requires grad)", GraphStyle(fill: "#d9f2d9", stroke: "#2e7d32", dashed: false)),
    ("operation", GraphStyle(fill: "#e3ecfa", stroke: "#3465a4", dashed: false)),
    ("saved for backward", GraphStyle(fill: "#ffffff", stroke: "#555555", dashed: true)),
    ("output (loss)", GraphStyle(fill: "#ffe0b2", stroke: "#e65100", dashed: false)),
  ]

  private init(fill: String, stroke: String, dashed: Bool) {
    self.fill = fill
    self.stroke = stroke
    self.dashed = dashed
  }
}
