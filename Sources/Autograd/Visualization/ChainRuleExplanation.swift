extension ComputationGraph {
  /// The computation told as the lecture tells it: the forward pass value by value, then the
  /// backward pass gate by gate (the gradient arriving from above, each local gradient, and their
  /// product sent to each input), then d(output)/d(each leaf).
  ///
  /// The numbers are the engine's own: the same backward rules that `backward()` runs, in the
  /// order it ran them. They are written with `significantDigits` (6 unless given; `nil` for all).
  public func explanation(significantDigits: Int? = 6) -> String {
    var lines: [String] = []
    let outputName = nodes.last?.name ?? "output"
    func show(_ t: Tensor?) -> String { t.map { Self.summary($0, significantDigits: significantDigits) } ?? "none" }
    func pad(_ s: String, _ width: Int) -> String {
      s.count >= width ? s + "  " : s + String(repeating: " ", count: width - s.count)
    }

    lines.append("Forward pass: each value computed from its inputs, inputs first")
    let width = (nodes.map { ($0.formula.map { "\($0) = " } ?? "").count + $0.name.count }.max() ?? 0) + 20
    for node in nodes {
      // A constant named by its value (the label 0) says it once.
      let value = show(node.value)
      let text =
        node.formula.map { "\(node.name) = \($0) = \(value)" }
        ?? (node.name == value ? value : "\(node.name) = \(value)")
      let role =
        switch node.role {
        case .input: "input"
        case .parameter: "parameter, requires grad"
        case .operation: node.isSaved ? "saved for backward" : ""
        case .output: "output"
        }
      lines.append("  " + (role.isEmpty ? text : pad(text, width) + "(\(role))"))
    }
    guard hasGradients else {
      lines.append("")
      lines.append("No backward pass: the output does not require grad, or its graph was freed by an earlier backward.")
      return lines.joined(separator: "\n") + "\n"
    }

    lines.append("")
    lines.append("Backward pass: each gate multiplies the gradient from above by its local gradient")
    lines.append("  start: d(\(outputName))/d(\(outputName)) = \(show(nodes.last?.gradient))")
    var uses = [Int](repeating: 0, count: nodes.count)
    for edge in edges { uses[edge.from] += 1 }
    for id in backwardOrder {
      let node = nodes[id]
      guard let op = node.op, let formula = node.formula, let upstream = node.gradient else { continue }
      lines.append("  \(node.name) = \(formula)   [\(op)Backward]")
      lines.append(
        "    from above: d(\(outputName))/d(\(node.name)) = \(show(upstream))"
          + (uses[node.id] > 1 ? "  (the sum over its \(uses[node.id]) uses)" : ""))
      for e in inputEdges[node.id] {
        let edge = edges[e]
        let input = nodes[edge.from]
        guard let local = edge.localGradient else {
          lines.append("    to \(input.name): no gradient (it does not require grad)")
          continue
        }
        let sent = show(edge.sentGradient)
        let product = upstream.count == 1 && local.count == 1 ? "\(show(upstream)) × \(show(local)) = \(sent)" : sent
        lines.append("    to \(input.name): local d(\(node.name))/d(\(input.name)) = \(show(local)); sends \(product)")
      }
    }

    lines.append("")
    lines.append("Gradients of \(outputName) with respect to the leaves")
    for node in nodes where node.op == nil && node.gradient != nil {
      lines.append("  d(\(outputName))/d(\(node.name)) = \(show(node.gradient))")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
