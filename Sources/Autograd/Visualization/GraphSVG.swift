import Foundation

extension ComputationGraph {
  /// The graph drawn as a self-contained SVG: layers from the inputs (left) to the output (right),
  /// boxes styled by role (see the legend), arrows from inputs to ops labelled with local gradients.
  ///
  /// Graphs with more than `maxNodes` nodes have their long linear runs of ops collapsed into one
  /// box each, so that the picture stays readable.
  public func svg(maxNodes: Int = 300) -> String {
    GraphPicture(graph: self, collapse: nodes.count > maxNodes).svg()
  }
}

/// The boxes and arrows of a picture, placed on a layered layout. Without collapsing, box `i` is
/// node `i` and arrow `k` is edge `k` (the HTML explorer relies on that).
struct GraphPicture {
  struct Box {
    var lines: [String]
    /// The lines a compact box leaves out, shown as its tooltip.
    var details: [String] = []
    var style: GraphStyle
    /// The modules the box lies in, outermost first (dotted names).
    var modules: [String] = []
    var layer = 0
    var width = 0.0, height = 0.0, x = 0.0, y = 0.0
  }
  struct Arrow { var from: Int, to: Int, slot: Int, label: String }

  var boxes: [Box] = []
  var arrows: [Arrow] = []
  /// The frames drawn around each module's boxes (`ModuleFrames.swift`).
  var frames: [Frame] = []
  /// Each module's type name, by dotted name.
  let moduleTypes: [String: String]
  /// How many input slots each box has: its arrows' ports are spread along one side.
  private var slotCount: [Int] = []

  static let charWidth = 7.2, lineHeight = 16.0, padding = 8.0, columnGap = 110.0, rowGap = 22.0
  /// Above this many boxes a picture is a model's: each box is one line (its formula and shape),
  /// the rest in its tooltip, so that the whole graph fits a screen.
  static let compactAbove = 20
  /// Whether boxes are one line each.
  private(set) var compact = false

  init(graph: ComputationGraph, collapse: Bool) {
    moduleTypes = graph.moduleTypes
    let count = graph.nodes.count
    var consumers = [[Int]](repeating: [], count: count)
    for edge in graph.edges { consumers[edge.from].append(edge.to) }
    // Runs: an op continues the run of the single op it reads when that op has no other consumer.
    var head = Array(0..<count)
    var last = Array(0..<count)
    var length = [Int](repeating: 1, count: count)
    if collapse {
      for node in graph.nodes where node.op != nil && node.role != .output {
        let opInputs = graph.inputEdges[node.id].map { graph.edges[$0].from }.filter { graph.nodes[$0].op != nil }
        guard opInputs.count == 1, consumers[opInputs[0]].count == 1 else { continue }
        let h = head[opInputs[0]]
        head[node.id] = h
        last[h] = node.id
        length[h] += 1
      }
      // A leaf read only inside one run (a constant of the chain) is drawn as part of it.
      for node in graph.nodes where node.op == nil {
        let heads = Set(consumers[node.id].map { head[$0] })
        if heads.count == 1, let h = heads.first, length[h] > 1 { head[node.id] = h }
      }
    }
    var boxOf = [Int](repeating: -1, count: count)
    compact = graph.nodes.indices.filter { head[$0] == $0 }.count > Self.compactAbove
    for node in graph.nodes where head[node.id] == node.id {
      boxOf[node.id] = boxes.count
      let lines =
        length[node.id] > 1
        ? Self.runLines(first: node, last: graph.nodes[last[node.id]], count: length[node.id])
        : graph.labelLines(node)
      var box = Box(lines: lines, style: GraphStyle(node), modules: Self.chain(node.module, graph.moduleTypes))
      if compact {
        let value = node.value
        let summary = value.count == 1 ? "= \(ComputationGraph.summary(value))" : "\(value.shape)"
        // A constant named by its value says it once.
        let isNamedByValue = value.count == 1 && node.name == ComputationGraph.summary(value)
        box.lines = length[node.id] > 1 || isNamedByValue ? [lines[0]] : ["\(lines[0])  \(summary)"]
        box.details = lines
      }
      boxes.append(box)
    }
    for i in 0..<count { boxOf[i] = boxOf[head[i]] }
    var seen = Set<[Int]>()
    for edge in graph.edges {
      let from = boxOf[edge.from]
      let to = boxOf[edge.to]
      guard from != to, seen.insert([from, to, edge.slot]).inserted else { continue }
      // A scalar's local gradient is a number; a tensor's is too long for an arrow, so show its shape.
      let label = edge.localGradient.map { $0.count == 1 ? ComputationGraph.summary($0) : "\($0.shape)" } ?? ""
      arrows.append(Arrow(from: from, to: to, slot: edge.slot, label: label))
    }
    slotCount = [Int](repeating: 1, count: boxes.count)
    for arrow in arrows { slotCount[arrow.to] = Swift.max(slotCount[arrow.to], arrow.slot + 1) }
    layout()
  }

  static func runLines(first: ComputationGraph.Node, last: ComputationGraph.Node, count: Int) -> [String] {
    [
      "\(first.name) … \(last.name): \(count) ops in a chain", "first \(first.formula ?? ""), last \(last.op ?? "")",
      "value \(ComputationGraph.summary(last.value))",
    ]
      + (first.gradient.map { ["grad at \(first.name) \(ComputationGraph.summary($0))"] } ?? [])
  }

  /// Whether layers run top to bottom (deep graphs) rather than left to right.
  private(set) var vertical = false

  private mutating func layout() {
    var inputsOf = [[Int]](repeating: [], count: boxes.count)
    var outputsOf = inputsOf
    for a in arrows {
      inputsOf[a.to].append(a.from)
      outputsOf[a.from].append(a.to)
    }
    // Layers as late as possible: each box sits just before its earliest consumer, so a
    // parameter's branch (weight, transpose) stays next to the op that uses it. Boxes are in
    // topological order, so one pass from the end suffices.
    for i in boxes.indices.reversed() {
      boxes[i].layer = outputsOf[i].map { boxes[$0].layer - 1 }.min() ?? 0
    }
    let shift = -(boxes.map(\.layer).min() ?? 0)
    for i in boxes.indices { boxes[i].layer += shift }
    let layerCount = (boxes.map(\.layer).max() ?? 0) + 1
    var layers = [[Int]](repeating: [], count: layerCount)
    for i in boxes.indices { layers[boxes[i].layer].append(i) }
    // Order each layer by the mean position of its neighbours, sweeping both ways (fewer crossings).
    var position = [Double](repeating: 0, count: boxes.count)
    func number() { for layer in layers { for (k, i) in layer.enumerated() { position[i] = Double(k) } } }
    number()
    for _ in 0..<4 {
      for l in 1..<Swift.max(layerCount, 1) {
        reorder(&layers[l], by: inputsOf, position: position)
        number()
      }
      for l in stride(from: layerCount - 2, through: 0, by: -1) {
        reorder(&layers[l], by: outputsOf, position: position)
        number()
      }
    }
    // Each module's boxes side by side in every layer, so that a frame can go around them.
    for l in layers.indices { keepModulesTogether(&layers[l], position: position) }
    for i in boxes.indices {
      boxes[i].width = Double(boxes[i].lines.map(\.count).max() ?? 1) * Self.charWidth + 2 * Self.padding
      boxes[i].height = Double(boxes[i].lines.count) * Self.lineHeight + 2 * Self.padding - 4
    }
    // Deep graphs read better downwards: boxes are much wider than tall.
    vertical = layerCount > 8
    // Below the legend, with room for the outermost module frames and their labels.
    let top = moduleTypes.isEmpty ? 70.0 : 70 + 16 + 5 * Double(boxes.map(\.modules.count).max() ?? 0)
    if vertical {
      let widths = layers.map { layer in layer.map { boxes[$0].width + Self.rowGap * 2 }.reduce(0, +) }
      let widest = widths.max() ?? 0
      var y = top
      for (l, layer) in layers.enumerated() {
        let height = layer.map { boxes[$0].height }.max() ?? 0
        var x = 20 + (widest - widths[l]) / 2
        for i in layer {
          boxes[i].x = x
          boxes[i].y = y + (height - boxes[i].height) / 2
          x += boxes[i].width + Self.rowGap * 2
        }
        y += height + (compact ? 36 : Self.columnGap * 0.6)
      }
      frames = moduleFrames(layers: layers)
      return
    }
    let heights = layers.map { layer in layer.map { boxes[$0].height + Self.rowGap }.reduce(0, +) }
    let tallest = heights.max() ?? 0
    var x = 20.0
    for (l, layer) in layers.enumerated() {
      let width = layer.map { boxes[$0].width }.max() ?? 0
      var y = top + (tallest - heights[l]) / 2
      for i in layer {
        boxes[i].x = x + (width - boxes[i].width) / 2
        boxes[i].y = y
        y += boxes[i].height + Self.rowGap
      }
      x += width + Self.columnGap
    }
    frames = moduleFrames(layers: layers)
  }

  private func reorder(_ layer: inout [Int], by neighbours: [[Int]], position: [Double]) {
    let key = Dictionary(
      uniqueKeysWithValues: layer.map { i in
        (
          i,
          neighbours[i].isEmpty
            ? position[i] : neighbours[i].map { position[$0] }.reduce(0, +) / Double(neighbours[i].count)
        )
      })
    layer.sort { key[$0]! < key[$1]! || key[$0]! == key[$1]! && position[$0] < position[$1] }
  }

  /// The picture as SVG; each box's and arrow's element id (`n3`, `e5`) starts with `idPrefix`.
  func svg(idPrefix: String = "") -> String {
    let legendWidth = GraphStyle.legend.map { 48 + Double($0.0.count) * Self.charWidth }.reduce(20, +)
    let drawn = boxRects + frames.flatMap { $0.rects + ($0.label.map { [$0.rect] } ?? []) }
    let arrowsNote =
      "arrows: input → op, labelled with the op's local gradient (its shape, for a tensor); inputs \(vertical ? "at the top" : "on the left"), the output \(vertical ? "at the bottom" : "on the right")"
    let noteWidth = 40 + Double(arrowsNote.count) * Self.charWidth
    let width = Swift.max((drawn.map { $0.x + $0.width }.max() ?? 0) + 20, legendWidth, noteWidth)
    let height = Swift.max((drawn.map { $0.y + $0.height }.max() ?? 0) + 20, 90)
    var out = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(height))" \
      viewBox="0 0 \(Self.number(width)) \(Self.number(height))">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">\
      <path d="M0,0 L10,5 L0,10 z" fill="#444444"/></marker></defs>
      <style>text { font-family: Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 12px; }</style>
      <rect width="100%" height="100%" fill="#ffffff"/>

      """
    out += "<g class=\"legend\">\n"
    var lx = 20.0
    for (name, style) in GraphStyle.legend {
      out +=
        "  \(Self.rect(x: lx, y: 16, width: 18, height: 14, style: style))<text x=\"\(Self.number(lx + 24))\" y=\"27\">\(Self.escaped(name))</text>\n"
      lx += 24 + Double(name.count) * Self.charWidth + 24
    }
    out +=
      "  <text x=\"20\" y=\"50\" fill=\"#555555\">\(Self.escaped(arrowsNote))</text>\n</g>\n"
    out += framesSVG()
    let placements = labelPlacements()
    for (arrowIndex, arrow) in arrows.enumerated() {
      let (x1, y1, x2, y2) = endpoints(arrow)
      let path: String
      if vertical {
        // From the bottom of the input to a port on the top of the op.
        let bend = Swift.max((y2 - y1) / 2, 20)
        path =
          "M\(Self.number(x1)),\(Self.number(y1)) C\(Self.number(x1)),\(Self.number(y1 + bend)) \(Self.number(x2)),\(Self.number(y2 - bend)) \(Self.number(x2)),\(Self.number(y2))"
      } else {
        // From the right of the input to a port on the left of the op.
        let bend = Swift.max((x2 - x1) / 2, 40)
        path =
          "M\(Self.number(x1)),\(Self.number(y1)) C\(Self.number(x1 + bend)),\(Self.number(y1)) \(Self.number(x2 - bend)),\(Self.number(y2)) \(Self.number(x2)),\(Self.number(y2))"
      }
      out +=
        "<g class=\"edge\" id=\"\(idPrefix)e\(arrowIndex)\"><path class=\"edge\" d=\"\(path)\" fill=\"none\" stroke=\"#444444\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"/>"
      if !arrow.label.isEmpty { out += "<title>\(Self.escaped(arrow.label))</title>" }
      if let placed = placements[arrowIndex] {
        out +=
          "<text class=\"label\" x=\"\(Self.number(placed.x))\" y=\"\(Self.number(placed.baseline))\"\(placed.anchorEnd ? " text-anchor=\"end\"" : "") fill=\"#8a2be2\">\(Self.escaped(placed.text))</text>"
      }
      out += "</g>\n"
    }
    for (i, box) in boxes.enumerated() {
      out +=
        "<g class=\"node\" id=\"\(idPrefix)n\(i)\">\(Self.rect(x: box.x, y: box.y, width: box.width, height: box.height, style: box.style))"
      out += "<text x=\"\(Self.number(box.x + Self.padding))\" y=\"\(Self.number(box.y + Self.padding + 8))\">"
      for (k, line) in box.lines.enumerated() {
        let weight = k == 0 ? " font-weight=\"bold\"" : ""
        // The line's kind as its class, so that a page can show values and gradients as they come.
        let kind = line.hasPrefix("value ") ? "value" : line.hasPrefix("grad ") ? "grad" : k == 0 ? "head" : "info"
        out +=
          "<tspan class=\"\(kind)\" x=\"\(Self.number(box.x + Self.padding))\" dy=\"\(k == 0 ? "0" : Self.number(Self.lineHeight))\"\(weight)>\(Self.escaped(line))</tspan>"
      }
      out += "</text>"
      if !box.details.isEmpty { out += "<title>\(Self.escaped(box.details.joined(separator: "\n")))</title>" }
      out += "</g>\n"
    }
    return out + "</svg>\n"
  }

  /// Where an arrow starts and ends: below the input and on the op's top (downwards), or right of
  /// the input and on the op's left side; each input slot has its own port along that side.
  func endpoints(_ arrow: Arrow) -> (x1: Double, y1: Double, x2: Double, y2: Double) {
    let (a, b) = (boxes[arrow.from], boxes[arrow.to])
    let port = Double(arrow.slot + 1) / Double(slotCount[arrow.to] + 1)
    return vertical
      ? (a.x + a.width / 2, a.y + a.height, b.x + b.width * port, b.y)
      : (a.x + a.width, a.y + a.height / 2, b.x, b.y + b.height * port)
  }

  /// A rectangle of the picture, for checking that nothing is drawn over anything else.
  struct Rect {
    var x, y, width, height: Double
    func overlaps(_ o: Rect) -> Bool {
      x < o.x + o.width && o.x < x + width && y < o.y + o.height && o.y < y + height
    }
  }

  /// An arrow's label as placed: its text, where it is anchored, and the rectangle it covers.
  struct LabelPlacement {
    var text: String, x: Double, baseline: Double, anchorEnd: Bool
    var rect: Rect
  }

  var boxRects: [Rect] { boxes.map { Rect(x: $0.x, y: $0.y, width: $0.width, height: $0.height) } }

  /// The labels, placed where they cover no box and no other label: beside the arrow's end, in the
  /// gap before the op (left of it, or above it downwards), cut to what fits that gap (the whole
  /// text is the arrow's tooltip), and moved away along the gap from labels already placed; a
  /// label that finds no free place is left out. `nil` for arrows without a label.
  func labelPlacements() -> [LabelPlacement?] {
    // Text of 12 px: about 10 above the baseline and 3 below.
    let (ascent, descent) = (10.0, 3.0)
    let maxCharacters = Int(((vertical ? 2 * Self.rowGap + 60 : Self.columnGap) - 20) / Self.charWidth)
    let boxes = boxRects
    // A closure, not the key path \.label?.rect: projecting it copies overlapping memory (AddressSanitizer).
    var placed: [Rect] = frames.compactMap { $0.label?.rect }
    return arrows.map { arrow in
      guard !arrow.label.isEmpty else { return nil }
      let text =
        arrow.label.count > maxCharacters ? String(arrow.label.prefix(maxCharacters - 1)) + "…" : arrow.label
      let width = Double(text.count) * Self.charWidth
      let (_, _, x2, y2) = endpoints(arrow)
      // Candidate spots: the usual one first, then a line up or down (only up, into the gap above
      // the op, downwards).
      let lines: [Double] = vertical ? [0, -1, -2, -3, -4] : [0, -1, 1, -2, 2, -3, 3]
      for line in lines {
        let shift = line * (ascent + descent + 1)
        let candidate =
          vertical
          ? LabelPlacement(
            text: text, x: x2 + 6, baseline: y2 - 6 + shift, anchorEnd: false,
            rect: Rect(x: x2 + 6, y: y2 - 6 + shift - ascent, width: width, height: ascent + descent))
          : LabelPlacement(
            text: text, x: x2 - 8, baseline: y2 - 5 + shift, anchorEnd: true,
            rect: Rect(x: x2 - 8 - width, y: y2 - 5 + shift - ascent, width: width, height: ascent + descent))
        let isFree =
          !boxes.contains { $0.overlaps(candidate.rect) } && !placed.contains { $0.overlaps(candidate.rect) }
        if isFree {
          placed.append(candidate.rect)
          return candidate
        }
      }
      return nil
    }
  }

  static func rect(x: Double, y: Double, width: Double, height: Double, style: GraphStyle) -> String {
    "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(width))\" height=\"\(number(height))\" rx=\"5\" "
      + "fill=\"\(style.fill)\" stroke=\"\(style.stroke)\" stroke-width=\"1.5\"\(style.dashed ? " stroke-dasharray=\"5,3\"" : "")/>"
  }

  static func number(_ v: Double) -> String { String(format: "%.1f", v) }

  static func escaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
