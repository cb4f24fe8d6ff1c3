import Foundation
import Testing

@testable import Autograd

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The lecture's model for one sample: y_hat = x * w, loss = (y - y_hat)².
private func lectureGraph(x: Double = 1, y: Double = 2, w: Double = 1) -> (loss: Tensor, names: [String: Tensor]) {
  let xt = Tensor(x, dtype: .float64)
  let yt = Tensor(y, dtype: .float64)
  let wt = Tensor(w, dtype: .float64, requiresGrad: true)
  let (yHat, loss) = ComputationGraph.recording {
    let yHat = xt * wt
    return (yHat, (yt - yHat).pow(2))
  }
  return (loss, ["x": xt, "y": yt, "w": wt, "y_hat": yHat, "loss": loss])
}

/// Counts the elements of an SVG by name and class, failing on malformed XML.
private final class SVGCounter: NSObject, XMLParserDelegate {
  var nodeGroups = 0, edgePaths = 0, nodeTexts = 0, insideNode = false, depthInNode = 0
  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    if insideNode { depthInNode += 1 }
    if name == "g" && attributes["class"] == "node" {
      nodeGroups += 1
      insideNode = true
      depthInNode = 0
    }
    if name == "path" && attributes["class"] == "edge" && attributes["marker-end"] == "url(#arrow)" { edgePaths += 1 }
    if name == "text" && insideNode { nodeTexts += 1 }
  }
  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    if insideNode { if depthInNode == 0 { insideNode = false } else { depthInNode -= 1 } }
  }
  static func count(_ svg: String) -> SVGCounter? {
    let counter = SVGCounter()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = counter
    return parser.parse() ? counter : nil
  }
}

@Suite("Computation graph descriptions") struct ComputationGraphTests {
  @Test func describesTheLectureModel() {
    let (loss, names) = lectureGraph()
    let graph = ComputationGraph(of: loss, names: names)
    #expect(graph.nodes.map(\.name).sorted() == ["loss", "t1", "w", "x", "y", "y_hat"])
    #expect(graph.edges.count == 5)
    let byName = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.name, $0) })
    #expect(byName["w"]?.role == .parameter)
    #expect(byName["x"]?.role == .input)
    #expect(byName["loss"]?.role == .output)
    #expect(byName["y_hat"]?.formula == "x * w")
    #expect(byName["loss"]?.formula == "t1 ^ 2")
    #expect(byName["y_hat"]?.gradient?.item() == -2)
    #expect(byName["w"]?.gradient?.item() == -2)
    #expect(byName["x"]?.gradient == nil)
    // Inputs come before the ops that read them.
    #expect(graph.edges.allSatisfy { $0.from < $0.to })
  }

  @Test func gradientsMatchBackward() {
    let (loss, names) = TwoLayerNetFixture.make()
    let graph = ComputationGraph(of: loss, names: names)
    loss.backward()
    for name in ["w1", "w2"] {
      let node = graph.nodes.first { $0.name == name }!
      #expect(node.gradient?.scalars(as: Double.self) == names[name]!.grad?.scalars(as: Double.self))
    }
  }

  @Test func describingTouchesNeitherGradNorTheGraph() {
    let (loss, names) = lectureGraph()
    _ = ComputationGraph(of: loss, names: names)
    #expect(names["w"]!.grad == nil)
    loss.backward()
    #expect(names["w"]!.grad?.item() == -2)
  }

  @Test func aFreedGraphIsDescribedWithoutGradients() {
    let (loss, names) = lectureGraph()
    loss.backward()
    let graph = ComputationGraph(of: loss, names: names)
    #expect(!graph.hasGradients)
    #expect(graph.explanation().contains("freed by an earlier backward"))
  }

  @Test func explanationFollowsTheLecture() {
    let (loss, names) = lectureGraph()
    let text = ComputationGraph(of: loss, names: names).explanation()
    #expect(text.contains("loss = t1 ^ 2 = 1.0"))
    #expect(text.contains("from above: d(loss)/d(y_hat) = -2.0"))
    #expect(text.contains("to w: local d(y_hat)/d(w) = 1.0; sends -2.0 × 1.0 = -2.0"))
    #expect(text.contains("d(loss)/d(w) = -2.0"))
    #expect(text.contains("to x: no gradient"))
    // Forward before backward, backward from the loss down.
    let forward = text.range(of: "Forward pass")!.lowerBound
    let backward = text.range(of: "Backward pass")!.lowerBound
    #expect(forward < backward)
    #expect(text.range(of: "[PowBackward]")!.lowerBound < text.range(of: "[MulBackward]")!.lowerBound)
  }

  @Test(arguments: [(1.0, 2.0, 1.0), (2.0, 4.0, 1.0), (3.0, 6.0, 1.5)])
  func explainedNumbersAreThoseOfBackward(x: Double, y: Double, w: Double) {
    let (loss, names) = lectureGraph(x: x, y: y, w: w)
    let text = ComputationGraph(of: loss, names: names).explanation()
    loss.backward()
    #expect(text.contains("d(loss)/d(w) = \(pythonRepr(names["w"]!.grad!.item()))"))
    #expect(text.contains("loss = t1 ^ 2 = \(pythonRepr(loss.item()))"))
  }

  @Test func sharedValuesSayTheirGradientIsASum() {
    let a = Tensor(3.0, dtype: .float64, requiresGrad: true)
    let (b, c) = ComputationGraph.recording {
      let b = a * 2
      return (b, b * b)
    }
    let text = ComputationGraph(of: c, names: ["a": a, "b": b, "c": c]).explanation()
    #expect(text.contains("from above: d(c)/d(b) = 12.0  (the sum over its 2 uses)"))
    #expect(text.contains("d(c)/d(a) = 24.0"))
  }

  @Test func svgIsWellFormedWithOneShapePerNodeAndOneArrowPerEdge() throws {
    for (loss, names) in [lectureGraph(), TwoLayerNetFixture.make()] {
      let graph = ComputationGraph(of: loss, names: names)
      let svg = graph.svg()
      let counts = try #require(SVGCounter.count(svg))
      #expect(counts.nodeGroups == graph.nodes.count)
      #expect(counts.nodeTexts == graph.nodes.count)
      #expect(counts.edgePaths == graph.edges.count)
      for node in graph.nodes { #expect(svg.contains(">\(node.formula.map { "\(node.name) = \($0)" } ?? node.name)<")) }
    }
  }

  @Test func namesWithMarkupAreEscaped() throws {
    let a = Tensor(1.0, requiresGrad: true)
    let graph = ComputationGraph(of: ComputationGraph.recording { a * 2 }, names: ["<a&b>": a])
    #expect(SVGCounter.count(graph.svg()) != nil)
    #expect(graph.svg().contains("&lt;a&amp;b&gt;"))
    #expect(graph.dot().contains("label=\"<a&b>"))
  }

  @Test func dotHasEveryNodeAndEdge() {
    let (loss, names) = lectureGraph()
    let graph = ComputationGraph(of: loss, names: names)
    let dot = graph.dot()
    #expect(dot.hasPrefix("digraph computation {"))
    #expect(dot.components(separatedBy: "->").count - 1 == graph.edges.count)
    #expect(dot.contains("label=\"local -1.0\""))
    #expect(dot.contains("filled,dashed"))
  }

  @Test func deepGraphsAreDrawnTopToBottom() throws {
    let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    let y = ComputationGraph.recording {
      var y = x
      for _ in 0..<12 { y = (y * 0.9).tanh() }
      return y.sum()
    }
    let graph = ComputationGraph(of: y, names: ["x": x])
    let svg = graph.svg()
    let counts = try #require(SVGCounter.count(svg))
    #expect(counts.nodeGroups == graph.nodes.count && counts.edgePaths == graph.edges.count)
    let size = try #require(svg.firstMatch(of: /width="([0-9.]+)" height="([0-9.]+)"/))
    #expect(Double(size.2)! > Double(size.1)!, "a deep graph is taller than wide")
    #expect(svg.contains("inputs at the top"))
  }

  @Test func longChainsAreCollapsedInPictures() throws {
    let x = Tensor(1.0, dtype: .float64, requiresGrad: true)
    let y = ComputationGraph.recording {
      var y = x
      for _ in 0..<2000 { y = (y * 1.0001).tanh() }
      return y
    }
    let graph = ComputationGraph(of: y, names: ["x": x])
    #expect(graph.nodes.count > 4000)
    let counts = try #require(SVGCounter.count(graph.svg()))
    #expect(counts.nodeGroups < 10)
    #expect(graph.svg().contains("ops in a chain"))
  }

  @Test func numbersAreRoundedInPicturesAndExplanationsUnlessAskedForInFull() {
    let w = Tensor(1.0 / 3, dtype: .float64, requiresGrad: true)
    let loss = ComputationGraph.recording { (w * w).sum() }
    let graph = ComputationGraph(of: loss, names: ["w": w])
    // 1/3 and 2/3: 4 significant digits in pictures, 6 in explanations by default, all on request.
    #expect(graph.svg().contains("value 0.3333<") && graph.svg().contains("grad 0.6667<"))
    #expect(graph.dot().contains("value 0.3333"))
    #expect(graph.explanation().contains("w = 0.333333 "))
    #expect(graph.explanation(significantDigits: nil).contains("w = 0.3333333333333333 "))
    #expect(
      ComputationGraph.number(2, significantDigits: 4) == "2.0"
        && ComputationGraph.number(0.5, significantDigits: 4) == "0.5")
    #expect(ComputationGraph.number(4199743416140.123, significantDigits: 4) == "4.2e+12")
  }

  @Test func theExplanationFollowsTheEnginesOrder() {
    let (loss, names) = TwoLayerNetFixture.make()
    let graph = ComputationGraph(of: loss, names: names)
    #expect(graph.backwardOrder.first == graph.nodes.count - 1, "the output's rule runs first")
    #expect(Set(graph.backwardOrder) == Set(graph.nodes.filter { $0.op != nil }.map(\.id)))
    let text = graph.explanation()
    let positions = graph.backwardOrder.map { id in
      let node = graph.nodes[id]
      return text.range(of: "  \(node.name) = \(node.formula!)   [\(node.op!)Backward]")!.lowerBound
    }
    #expect(positions == positions.sorted())
  }

  @Test func theExplorerPageIsSelfContainedAndCarriesTheRecordedNumbers() throws {
    let (loss, names) = TwoLayerNetFixture.make()
    let graph = ComputationGraph(of: loss, names: names)
    let page = graph.html()
    // No network: the only URL is the SVG namespace; one data block, one script.
    let urls = page.matches(of: /https?:\/\/[^"' ]+/).map { String(page[$0.range]) }
    #expect(urls.allSatisfy { $0 == "http://www.w3.org/2000/svg" }, "\(urls)")
    #expect(page.components(separatedBy: "<script").count == 3)
    let start = try #require(page.range(of: "<script id=\"picture-data\" type=\"application/json\" data-prefix=\"\">"))
    let end = try #require(page[start.upperBound...].range(of: "</script>"))
    let json = String(page[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "<\\/", with: "</")
    // JSONDecoder, which reads numbers back exactly (as a browser does).
    struct PageData: Decodable {
      struct Node: Decodable { let value: [Double], gradient: [Double]? }
      struct Step: Decodable { let node: Int }
      let nodes: [Node], steps: [Step]
    }
    let data = try JSONDecoder().decode(PageData.self, from: Data(json.utf8))
    // A step per node forward, the seed, a step per op in the engine's order, and the leaves.
    #expect(data.steps.count == graph.nodes.count + 1 + graph.backwardOrder.count + 1)
    #expect(
      data.steps.dropFirst(graph.nodes.count + 1).prefix(graph.backwardOrder.count).map(\.node) == graph.backwardOrder)
    // Full numbers: each node's value and gradient exactly as the graph recorded them.
    for (entry, node) in zip(data.nodes, graph.nodes) {
      #expect(entry.value == node.value.scalars(as: Double.self), "\(node.name)")
      #expect(entry.gradient == node.gradient?.scalars(as: Double.self), "\(node.name)")
    }
    #expect(page.contains("id=\"n\(graph.nodes.count - 1)\"") && page.contains("id=\"e\(graph.edges.count - 1)\""))
  }

  @Test func labelsCoverNoBoxAndNoOtherLabel() throws {
    var pictures: [(String, GraphPicture)] = []
    let (lecture, lectureNames) = lectureGraph(x: 0.41997434, y: 2, w: 1.3)
    pictures.append(
      ("lecture", GraphPicture(graph: ComputationGraph(of: lecture, names: lectureNames), collapse: false)))
    let (net, netNames) = TwoLayerNetFixture.make()
    pictures.append(("two-layer net", GraphPicture(graph: ComputationGraph(of: net, names: netNames), collapse: false)))
    // Downwards: a chain deep enough to be drawn top to bottom, with a constant read by every op.
    let x = Tensor([0.3, -1.7], dtype: .float64, requiresGrad: true)
    let c = Tensor([1.2345678, -0.87654321], dtype: .float64)
    let deep = ComputationGraph.recording {
      var y = x
      for _ in 0..<10 { y = (y * c).tanh() }
      return y.sum()
    }
    pictures.append(("deep chain", GraphPicture(graph: ComputationGraph(of: deep, names: ["x": x]), collapse: false)))
    // Eight inputs into one op: more ports than its side has room for labels.
    let parts = (0..<8).map { Tensor([Double($0) + 0.123456], dtype: .float64, requiresGrad: true) }
    let joined = ComputationGraph.recording { (Tensor.cat(parts, axis: 0) * 1.5).sum() }
    pictures.append(("eight inputs", GraphPicture(graph: ComputationGraph(of: joined), collapse: false)))
    for (name, picture) in pictures {
      let boxes = picture.boxRects
      for i in boxes.indices {
        for j in boxes.indices where j > i { #expect(!boxes[i].overlaps(boxes[j]), "\(name): boxes \(i) and \(j)") }
      }
      let labels = picture.labelPlacements().compactMap { $0?.rect }
      #expect(!labels.isEmpty, "\(name)")
      for (k, label) in labels.enumerated() {
        #expect(!boxes.contains { $0.overlaps(label) }, "\(name): label \(k) covers a box")
        #expect(!labels[(k + 1)...].contains { $0.overlaps(label) }, "\(name): label \(k) covers another label")
      }
    }
  }

  @Test func compositeOpsAreOneNodeWithTheInputsTheyWereGiven() {
    var g = RandomGenerator(seed: 3)
    func parameter(_ shape: [Int]) -> Tensor {
      let t = Tensor.randn(shape, dtype: .float64, generator: &g)
      t.requiresGrad = true
      return t
    }
    let x = Tensor.randn([2, 1, 6, 6], dtype: .float64, generator: &g)
    let (k, b, w, c) = (parameter([3, 1, 3, 3]), parameter([3]), parameter([4, 12]), parameter([4]))
    let labels = Tensor(integers: [1, 3])
    let loss = ComputationGraph.recording {
      let h = x.conv2d(weight: k, bias: b).relu().maxPool2d(kernelSize: 2).flattened(startAxis: 1)
      return crossEntropy(h.linear(weight: w, bias: c), labels)
    }
    let names = ["x": x, "k": k, "b": b, "w": w, "c": c, "labels": labels]
    let graph = ComputationGraph(of: loss, names: names)
    #expect(graph.nodes.compactMap(\.op) == ["Conv2d", "Relu", "MaxPool2d", "View", "Linear", "CrossEntropy"])
    let everyOp = ComputationGraph(of: loss, names: names, level: .recordedOps)
    // Convolution and max pooling are single ops; cross entropy and linear are made of several.
    let everyOpNames = everyOp.nodes.compactMap(\.op)
    #expect(everyOpNames.filter { $0 == "Convolution" || $0 == "MaxPool2DWithIndices" }.count == 2, "\(everyOpNames)")
    #expect(everyOp.nodes.count > graph.nodes.count + 5 && everyOpNames.contains("LogSoftmax"), "\(everyOpNames)")
    // The data the convolution was given is drawn although no op recorded it, as an input.
    let conv = graph.nodes.first { $0.op == "Conv2d" }!
    #expect(conv.formula == "conv2d(x, k, b)")
    #expect(graph.nodes.first { $0.name == "x" }?.role == .input)
    #expect(graph.nodes.first { $0.op == "CrossEntropy" }?.formula == "crossEntropy(t5, labels)")
    // Integer and bool values as Python prints them.
    #expect(ComputationGraph.summary(labels) == "[2] [1, 3]")
    #expect(ComputationGraph.summary(Tensor(integers: [7], shape: [])) == "7")
    #expect(ComputationGraph.summary(Tensor(bools: [true, false])) == "[2] [True, False]")
    // What each call sends its inputs is what backward gives them, and its local gradient is its
    // product for ones.
    loss.backward()
    func edge(_ from: String, _ op: String) -> ComputationGraph.Edge {
      graph.edges.first { graph.nodes[$0.from].name == from && graph.nodes[$0.to].op == op }!
    }
    for (tensor, name, op) in [(k, "k", "Conv2d"), (b, "b", "Conv2d"), (w, "w", "Linear"), (c, "c", "Linear")] {
      let sent = edge(name, op).sentGradient!
      #expect((sent - tensor.grad!).abs().max().item() < 1e-12, "\(name)")
    }
    #expect(edge("x", "Conv2d").sentGradient == nil && edge("x", "Conv2d").localGradient == nil)
    let linearOutput = graph.nodes.first { $0.op == "Linear" }!
    let local = edge("c", "Linear").localGradient!
    #expect(local.shape == [4] && local.scalars(as: Double.self) == [2, 2, 2, 2])  // Σ over the 2 rows of ones
    #expect(
      graph.backwardOrder.map { graph.nodes[$0].op! } == [
        "CrossEntropy", "Linear", "View", "MaxPool2d", "Relu", "Conv2d",
      ])
    #expect(graph.explanation().contains("t5 = linear(t4, w, c)   [LinearBackward]"), "\(graph.explanation())")
    #expect(linearOutput.gradient != nil)
  }

  /// Two nested modules, known by identity as AutogradNN's are: their ops and parameters lie in
  /// them, and each gets a frame that takes in its boxes and no other.
  @Test(arguments: [2, 12]) func framesGroupEachModulesBoxesAndTakeInNoOtherBox(innerSteps: Int) throws {
    final class Identity {}
    let (outer, inner) = (Identity(), Identity())
    var modules = ComputationGraph.Modules()
    modules.names[ObjectIdentifier(outer)] = ("encoder", "Encoder")
    modules.names[ObjectIdentifier(inner)] = ("encoder.block", "Block")
    let x = Tensor([0.5, -1.5], dtype: .float64)
    let (w1, w2) = (
      Tensor([0.3, 0.7], dtype: .float64, requiresGrad: true), Tensor([1.1, -0.2], dtype: .float64, requiresGrad: true)
    )
    modules.owners[ObjectIdentifier(w1)] = "encoder"
    modules.owners[ObjectIdentifier(w2)] = "encoder.block"
    // Enough steps inside the inner module, with innerSteps = 12, to be drawn top to bottom.
    let loss = ComputationGraph.recording {
      ModuleScope.run(ObjectIdentifier(outer)) {
        let h = (x * w1).tanh()
        return ModuleScope.run(ObjectIdentifier(inner)) {
          var y = h * w2
          for _ in 0..<innerSteps { y = y.sigmoid() }
          return y
        } + h
      }.sum()
    }
    let graph = ComputationGraph(
      of: loss, names: ["x": x, "w1": w1, "w2": w2], gradients: true, data: [], level: .calls, modules: modules)
    func module(_ name: String) -> String? { graph.nodes.first { $0.name == name }!.module }
    #expect(module("w1") == "encoder" && module("w2") == "encoder.block" && module("x") == nil)
    #expect(graph.nodes.first { $0.op == "Tanh" }?.module == "encoder")
    #expect(graph.nodes.filter { $0.op == "Sigmoid" }.allSatisfy { $0.module == "encoder.block" })
    #expect(graph.nodes.first { $0.op == "Add" }?.module == "encoder" && graph.nodes.last?.module == nil)
    #expect(graph.moduleTypes == ["encoder": "Encoder", "encoder.block": "Block"])
    let picture = GraphPicture(graph: graph, collapse: false)
    #expect(picture.frames.map(\.path) == ["encoder", "encoder.block"])
    let boxes = picture.boxRects
    for frame in picture.frames {
      let members = Set(picture.boxes.indices.filter { picture.boxes[$0].modules.contains(frame.path) })
      for (i, box) in boxes.enumerated() {
        let covered = (frame.rects + frame.bridges).contains { $0.overlaps(box) }
        #expect(covered == members.contains(i), "\(frame.path), box \(i) (\(picture.boxes[i].lines[0]))")
      }
      guard let label = frame.label else {
        Issue.record("\(frame.path) has no label")
        continue
      }
      #expect(label.text == "\(frame.path) · \(graph.moduleTypes[frame.path]!)")
      #expect(!boxes.contains { $0.overlaps(label.rect) })
    }
    let frameLabels = picture.frames.compactMap { $0.label?.rect }
    for label in picture.labelPlacements().compactMap({ $0?.rect }) {
      #expect(!frameLabels.contains { $0.overlaps(label) }, "an arrow's label covers a module's")
    }
    // The inner frame lies inside the outer one, layer by layer.
    let (outerFrame, innerFrame) = (picture.frames[0], picture.frames[1])
    for rect in innerFrame.rects {
      #expect(outerFrame.rects.contains { $0.x < rect.x && $0.y < rect.y && $0.x + $0.width > rect.x + rect.width })
    }
    #expect(picture.svg().contains("data-module=\"encoder.block\""))
    // In DOT, nested clusters.
    let dot = graph.dot()
    let outerCluster = try #require(dot.range(of: "subgraph \"cluster_encoder\" {"))
    let innerCluster = try #require(dot.range(of: "subgraph \"cluster_encoder.block\" {"))
    #expect(outerCluster.upperBound < innerCluster.lowerBound)
    #expect(dot.contains("label=\"encoder.block · Block\""))
  }

  @Test func onlyRecordedGraphsKeepTheirIntermediateValues() {
    let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    weak var doubled: Tensor?
    weak var scaled: Tensor?
    func build() -> Tensor {
      let t = x * 2
      // A product by a constant saves the constant alone: its gradient is the constant.
      let u = t * Tensor([3.0, 4.0], dtype: .float64)
      (doubled, scaled) = (t, u)
      return (u + 1).sum()
    }
    let plain = build()
    #expect(doubled == nil && scaled == nil, "backward needs neither value, so the graph does not keep them")
    let recorded = ComputationGraph.recording { build() }
    #expect(doubled != nil && scaled != nil)
    #expect(ComputationGraph(of: recorded, names: ["x": x]).nodes.count == 6, "x, x * 2, the constant, *, + 1 and sum")
    plain.backward()
    #expect(x.grad?.scalars(as: Double.self) == [6, 8])
  }

  @Test func drawingAGraphRecordedWithoutItsValuesTraps() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor(1.0, requiresGrad: true)
      _ = ComputationGraph(of: x * 2)
    }.map { result in
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(message.contains("MulBackward was recorded without its inputs"))
      #expect(message.contains("ComputationGraph.recording"))
    }
  }
}

/// The two-layer network of the tutorial, small enough to check by hand.
enum TwoLayerNetFixture {
  static func make() -> (loss: Tensor, names: [String: Tensor]) {
    var g = RandomGenerator(seed: 4)
    let x = Tensor.randn([4, 5], dtype: .float64, generator: &g)
    let y = Tensor.randn([4, 2], dtype: .float64, generator: &g)
    let w1 = Tensor.randn([5, 3], dtype: .float64, generator: &g)
    let w2 = Tensor.randn([3, 2], dtype: .float64, generator: &g)
    w1.requiresGrad = true
    w2.requiresGrad = true
    let (h, loss) = ComputationGraph.recording {
      let h = x.matmul(w1).relu()
      return (h, (h.matmul(w2) - y).pow(2).sum())
    }
    return (loss, ["x": x, "y": y, "w1": w1, "w2": w2, "h": h, "loss": loss])
  }
}
