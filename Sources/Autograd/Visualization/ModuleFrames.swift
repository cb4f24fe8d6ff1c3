/// A model's graph read as a model: a shaded frame around the boxes of each module (`layers.0`,
/// `conv1`), labelled with its name and type, nested as the modules are.
///
/// The layered layout puts each box in a layer (a row downwards, a column across) and orders each
/// layer to keep arrows short; a module's boxes are then made neighbours in every layer, so its
/// frame is one rectangle per layer (its boxes with a margin) joined across the gaps between
/// layers, where only arrows run. A module whose boxes skip a layer, or lie apart in one, gets no
/// frame rather than one that takes in another module's box.
extension GraphPicture {
  /// The frame of one module: a rectangle per layer it spans, the bridges between them, and its
  /// label (`nil` where no free place was found for it).
  struct Frame {
    var path: String
    var rects: [Rect] = [], bridges: [Rect] = []
    var label: LabelPlacement?
  }

  /// The modules named in `types` that `module` lies in, outermost first: `layers.0.attention`
  /// lies in `layers.0` and in itself (`layers`, a list, is no module).
  static func chain(_ module: String?, _ types: [String: String]) -> [String] {
    guard let module else { return [] }
    var chain: [String] = []
    var prefix = ""
    for part in module.split(separator: ".") {
      prefix += prefix.isEmpty ? String(part) : "." + part
      if types[prefix] != nil { chain.append(prefix) }
    }
    return chain
  }

  /// Reorders `layer` so that the boxes of each module are neighbours, nested modules inside
  /// their parents: boxes are sorted by the mean position of their module's boxes at each depth
  /// (the module's name breaking ties, so that two modules centred alike do not interleave), then
  /// by their own, which changes the barycentre order as little as it can.
  func keepModulesTogether(_ layer: inout [Int], position: [Double]) {
    guard layer.contains(where: { !boxes[$0].modules.isEmpty }) else { return }
    let depth = layer.map { boxes[$0].modules.count }.max() ?? 0
    var members: [String: [Int]] = [:]
    for i in layer { for module in boxes[i].modules { members[module, default: []].append(i) } }
    struct Key: Comparable {
      var position: Double, group: String
      static func < (a: Key, b: Key) -> Bool { (a.position, a.group) < (b.position, b.group) }
    }
    func key(_ i: Int) -> [Key] {
      (0..<depth).map { d in
        guard d < boxes[i].modules.count, let group = members[boxes[i].modules[d]] else {
          return Key(position: position[i], group: "")
        }
        return Key(position: group.map { position[$0] }.reduce(0, +) / Double(group.count), group: boxes[i].modules[d])
      } + [Key(position: position[i], group: "")]
    }
    let keys = Dictionary(uniqueKeysWithValues: layer.map { ($0, key($0)) })
    layer.sort { keys[$0]!.lexicographicallyPrecedes(keys[$1]!) }
  }

  /// The frames of the laid-out boxes, outermost modules first; `layers` lists each layer's boxes
  /// in drawing order.
  func moduleFrames(layers: [[Int]]) -> [Frame] {
    let depthOf = Dictionary(
      boxes.flatMap { $0.modules.enumerated().map { ($1, $0) } }, uniquingKeysWith: { a, _ in a })
    let deepest = (depthOf.values.max() ?? -1) + 1
    var frames: [Frame] = []
    for (module, depth) in depthOf.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
      // Outer frames wider than the ones inside them.
      let margin = 5 + 5 * Double(deepest - 1 - depth)
      var frame = Frame(path: module)
      var spanned: [Int] = []
      var apart = false
      for (l, layer) in layers.enumerated() {
        let inside = layer.indices.filter { boxes[layer[$0]].modules.contains(module) }
        guard let first = inside.first, let last = inside.last else { continue }
        if last - first + 1 != inside.count { apart = true }
        spanned.append(l)
        let members = inside.map { boxRect(layer[$0]) }
        let (x0, y0) = (members.map(\.x).min()!, members.map(\.y).min()!)
        let (x1, y1) = (members.map { $0.x + $0.width }.max()!, members.map { $0.y + $0.height }.max()!)
        frame.rects.append(
          Rect(x: x0 - margin, y: y0 - margin, width: x1 - x0 + 2 * margin, height: y1 - y0 + 2 * margin))
      }
      guard !apart, let low = spanned.first, let high = spanned.last, high - low + 1 == spanned.count else { continue }
      for (a, b) in zip(frame.rects, frame.rects.dropFirst()) {
        // Across the gap between two layers, as wide as the narrower of the two.
        let bridge =
          vertical
          ? Rect(
            x: Swift.max(a.x, b.x), y: a.y + a.height,
            width: Swift.min(a.x + a.width, b.x + b.width) - Swift.max(a.x, b.x), height: b.y - a.y - a.height)
          : Rect(
            x: a.x + a.width, y: Swift.max(a.y, b.y),
            width: b.x - a.x - a.width, height: Swift.min(a.y + a.height, b.y + b.height) - Swift.max(a.y, b.y))
        if bridge.width > 0 && bridge.height > 0 { frame.bridges.append(bridge) }
      }
      frames.append(frame)
    }
    // A label at the top left of the frame: above its first rectangle, or, where boxes or labels
    // already placed are in the way, a line or two higher, or above or below another of its
    // rectangles.
    var taken = boxRects
    for f in frames.indices {
      let text = "\(frames[f].path) · \(moduleTypes[frames[f].path] ?? "")"
      let width = Double(text.count) * Self.charWidth
      var candidates: [Double] = []  // baselines, per rectangle
      var lefts: [Double] = []
      for rect in frames[f].rects {
        for line in 0..<3 {
          candidates.append(rect.y - 4 - Double(line) * 14)
          lefts.append(rect.x + 2)
        }
        candidates.append(rect.y + rect.height + 13)
        lefts.append(rect.x + 2)
      }
      for (baseline, left) in zip(candidates, lefts) {
        let rect = Rect(x: left, y: baseline - 10, width: width, height: 13)
        if !taken.contains(where: { $0.overlaps(rect) }) {
          frames[f].label = LabelPlacement(text: text, x: left, baseline: baseline, anchorEnd: false, rect: rect)
          taken.append(rect)
          break
        }
      }
    }
    return frames
  }

  private func boxRect(_ i: Int) -> Rect {
    Rect(x: boxes[i].x, y: boxes[i].y, width: boxes[i].width, height: boxes[i].height)
  }

  /// The frames as SVG, outermost first so that nested ones shade darker.
  func framesSVG() -> String {
    guard !frames.isEmpty else { return "" }
    var out = "<g class=\"modules\">\n"
    for frame in frames {
      out += "  <g class=\"module\" data-module=\"\(Self.escaped(frame.path))\">"
      for r in frame.rects + frame.bridges {
        out +=
          "<rect x=\"\(Self.number(r.x))\" y=\"\(Self.number(r.y))\" width=\"\(Self.number(r.width))\" height=\"\(Self.number(r.height))\" fill=\"#6a5acd\" fill-opacity=\"0.07\"/>"
      }
      if let label = frame.label {
        out +=
          "<text x=\"\(Self.number(label.x))\" y=\"\(Self.number(label.baseline))\" fill=\"#483d8b\">\(Self.escaped(label.text))</text>"
      }
      out += "</g>\n"
    }
    return out + "</g>\n"
  }
}
