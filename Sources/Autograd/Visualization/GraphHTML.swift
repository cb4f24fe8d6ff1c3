import Foundation

extension ComputationGraph {
  /// The graph as one self-contained HTML page that steps through back-propagation: inline
  /// script and style, no network, usable opened from disk.
  ///
  /// The picture is `svg()`'s. **Step forward** computes the nodes in order and shows their values;
  /// **step backward** replays the engine's real order, gate by gate: the gradient from above,
  /// each input's local gradient, their product sent to the input, and the sum where two paths
  /// meet. Play and pause, a slider to any step, and the step in the URL (`#step=7`) so that a
  /// link opens a given moment. Clicking a box shows its full value and gradient and the formula
  /// of the op's local gradients (`#step=7&node=3` opens them too). The narration of
  /// `explanation()` runs beside the picture.
  ///
  /// Every number on the page was computed by the forward pass and by the engine's backward rules
  /// (in the order it ran them) when this description was built; the page's script only shows
  /// them.
  ///
  /// With `everyOp` (the same output described at `.recordedOps` level), a button switches to
  /// that picture, where each composite op is expanded into the ops it recorded, and back
  /// (`#view=every` in the address opens it).
  public func html(title: String = "Back-propagation, step by step", everyOp: ComputationGraph? = nil) -> String {
    func view(_ graph: ComputationGraph, id: String, prefix: String, hidden: Bool) -> (section: String, data: String) {
      // A "</" inside the JSON would end the script element.
      let data = HTMLExplorerData(graph: graph).json().replacingOccurrences(of: "</", with: "<\\/")
      let svg = GraphPicture(graph: graph, collapse: false).svg(idPrefix: prefix)
        .replacingOccurrences(of: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", with: "")
      return (
        "  <section id=\"\(id)\" class=\"picture\"\(hidden ? " hidden" : "")>\n\(svg)  </section>\n",
        "<script id=\"\(id)-data\" type=\"application/json\" data-prefix=\"\(prefix)\">\(data)</script>\n"
      )
    }
    let views =
      [view(self, id: "picture", prefix: "", hidden: false)]
      + (everyOp.map { [view($0, id: "picture-every", prefix: "x", hidden: true)] } ?? [])
    let toggle =
      everyOp == nil
      ? "" : "\n    <button id=\"toggle\" title=\"expand composite ops into the ops they recorded\">every op</button>"
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>\(GraphPicture.escaped(title))</title>
      <style>
      \(Self.explorerStyle)
      </style>
      </head>
      <body>
      <header>
        <h1>\(GraphPicture.escaped(title))</h1>
        <div id="controls">
          <button id="first" title="first step">|◀</button>
          <button id="back" title="step back">◀</button>
          <button id="play" title="play or pause">▶ play</button>
          <button id="next" title="step on">▶</button>
          <button id="last" title="last step">▶|</button>
          <input id="slider" type="range" min="0" value="0" aria-label="step">
          <span id="position"></span>\(toggle)
        </div>
      </header>
      <main>
      \(views.map(\.section).joined())
        <aside>
          <h2 id="phase"></h2>
          <pre id="narration"></pre>
          <h2>Details</h2>
          <div id="details">Click a box to see its full value, its gradient and its local gradients.</div>
          <h2>The whole story</h2>
          <ol id="story"></ol>
        </aside>
      </main>
      \(views.map(\.data).joined())
      <script>
      \(Self.explorerScript)
      </script>
      </body>
      </html>

      """
  }

  static let explorerStyle = """
    body { font-family: -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0; color: #222222; }
    header { padding: 8px 16px; border-bottom: 1px solid #dddddd; position: sticky; top: 0; background: #ffffff; z-index: 1; }
    h1 { font-size: 18px; margin: 4px 0; } h2 { font-size: 14px; margin: 12px 0 4px; }
    #controls button { font-size: 14px; margin-right: 4px; } #slider { width: 40%; vertical-align: middle; }
    main { display: flex; gap: 16px; padding: 8px 16px; }
    section.picture { flex: 3; overflow: auto; } section.picture[hidden] { display: none; } aside { flex: 2; min-width: 280px; }
    #narration { background: #f6f8fa; padding: 8px; white-space: pre-wrap; font-size: 13px; min-height: 5em; }
    #details { font-size: 13px; } #details pre { white-space: pre-wrap; max-height: 16em; overflow: auto; background: #f6f8fa; padding: 6px; }
    #story { font-size: 12px; padding-left: 24px; } #story li { cursor: pointer; white-space: pre-wrap; }
    #story li.current { background: #fff3c4; }
    g.node { cursor: pointer; } g.node.pending { opacity: 0.35; }
    g.node.active rect { stroke: #d00000; stroke-width: 3; }
    tspan.value, tspan.grad { visibility: hidden; } g.node.computed tspan.value, g.node.graded tspan.grad { visibility: visible; }
    g.edge.active path { stroke: #d00000; stroke-width: 2.5; } g.edge.active text { fill: #d00000; font-weight: bold; }
    """

  static let explorerScript = """
    // One view per picture: the calls the program made, and (when the page has it) every op.
    const views = Array.from(document.querySelectorAll('script[type="application/json"]')).map(script => ({
      name: script.id === 'picture-every-data' ? 'every' : 'calls',
      data: JSON.parse(script.textContent),
      prefix: script.dataset.prefix,
      section: document.getElementById(script.id.replace(/-data$/, '')),
    }));
    let view = views[0], data = view.data, steps = data.steps;
    const slider = document.getElementById('slider');
    let current = 0, timer = null, selected = null;
    const story = document.getElementById('story');
    function choose(name) {
      view = views.find(v => v.name === name) || views[0];
      data = view.data;
      steps = data.steps;
      views.forEach(v => { v.section.hidden = v !== view; });
      const toggle = document.getElementById('toggle');
      if (toggle) toggle.textContent = view.name === 'every' ? 'calls' : 'every op';
      slider.max = String(steps.length - 1);
      story.innerHTML = '';
      steps.forEach((step, i) => {
        const item = document.createElement('li');
        item.textContent = step.text;
        item.addEventListener('click', () => show(i));
        story.appendChild(item);
      });
    }
    choose('calls');
    function nodeGroup(i) { return document.getElementById(view.prefix + 'n' + i); }
    function show(index) {
      current = Math.max(0, Math.min(steps.length - 1, index));
      const step = steps[current];
      // What is known at this step: values computed so far, gradients arrived so far.
      const gradText = {};
      for (let s = 0; s <= current; s++) {
        for (const arrival of steps[s].arrivals || []) gradText[arrival.node] = arrival.text;
      }
      data.nodes.forEach((node, i) => {
        const group = nodeGroup(i);
        if (!group) return;
        const computed = node.forwardStep <= current;
        group.classList.toggle('computed', computed);
        group.classList.toggle('pending', !computed);
        group.classList.toggle('active', step.node === i);
        const grad = group.querySelector('tspan.grad');
        if (grad) {
          grad.textContent = gradText[i] !== undefined ? 'grad ' + gradText[i] : grad.textContent;
          group.classList.toggle('graded', gradText[i] !== undefined);
        }
      });
      data.edges.forEach((edge, k) => {
        const group = document.getElementById(view.prefix + 'e' + k);
        if (group) group.classList.toggle('active', (step.edges || []).includes(k));
      });
      document.getElementById('phase').textContent = step.phase;
      document.getElementById('narration').textContent = step.text;
      document.getElementById('position').textContent = 'step ' + current + ' (0 to ' + (steps.length - 1) + ')';
      slider.value = String(current);
      Array.from(story.children).forEach((item, i) => item.classList.toggle('current', i === current));
      const hash = '#step=' + current + (selected !== null ? '&node=' + selected : '')
        + (view.name === 'every' ? '&view=every' : '');
      if (location.hash !== hash) history.replaceState(null, '', hash);
    }
    function fromHash() {
      const wanted = /view=every/.test(location.hash) ? 'every' : 'calls';
      if (wanted !== view.name) { selected = null; choose(wanted); }
      const step = /step=(\\d+)/.exec(location.hash);
      const node = /node=(\\d+)/.exec(location.hash);
      if (node && data.nodes[parseInt(node[1], 10)]) details(parseInt(node[1], 10));
      show(step ? parseInt(step[1], 10) : 0);
    }
    function details(i) {
      selected = i;
      const node = data.nodes[i];
      const lines = [];
      const box = document.getElementById('details');
      box.innerHTML = '';
      const add = (tag, text) => { const e = document.createElement(tag); e.textContent = text; box.appendChild(e); };
      add('div', node.name + (node.formula ? ' = ' + node.formula : '') + '  (' + node.role + ')');
      add('div', 'shape [' + node.shape.join(', ') + '], ' + node.dtype);
      add('div', 'value' + (node.valueTruncated ? ' (first values)' : '') + ':');
      add('pre', node.value.join(', '));
      if (node.gradient) {
        add('div', 'gradient d(' + data.outputName + ')/d(' + node.name + ')' + (node.gradientTruncated ? ' (first values)' : '') + ':');
        add('pre', node.gradient.join(', '));
      } else {
        add('div', 'no gradient: it does not require grad');
      }
      if (node.localGradientFormula) add('div', 'local gradients: ' + node.localGradientFormula);
      for (const k of node.inputEdges) {
        const edge = data.edges[k];
        if (edge.localGradient) {
          add('div', 'd(' + node.name + ')/d(' + data.nodes[edge.from].name + '), for an upstream gradient of ones:');
          add('pre', edge.localGradient.join(', '));
        }
      }
    }
    views.forEach(v => v.data.nodes.forEach((node, i) => {
      const group = document.getElementById(v.prefix + 'n' + i);
      if (group) group.addEventListener('click', () => { details(i); show(current); });
    }));
    const toggle = document.getElementById('toggle');
    if (toggle) toggle.onclick = () => {
      pause();
      selected = null;
      document.getElementById('details').textContent = 'Click a box to see its full value, its gradient and its local gradients.';
      choose(view.name === 'every' ? 'calls' : 'every');
      show(0);
    };
    function pause() { if (timer) { clearInterval(timer); timer = null; } document.getElementById('play').textContent = '▶ play'; }
    document.getElementById('first').onclick = () => { pause(); show(0); };
    document.getElementById('back').onclick = () => { pause(); show(current - 1); };
    document.getElementById('next').onclick = () => { pause(); show(current + 1); };
    document.getElementById('last').onclick = () => { pause(); show(steps.length - 1); };
    document.getElementById('play').onclick = () => {
      if (timer) return pause();
      if (current >= steps.length - 1) show(0);
      document.getElementById('play').textContent = '⏸ pause';
      timer = setInterval(() => { if (current >= steps.length - 1) pause(); else show(current + 1); }, 1200);
    };
    slider.addEventListener('input', () => { pause(); show(parseInt(slider.value, 10)); });
    window.addEventListener('hashchange', fromHash);
    fromHash();
    """

  /// The formula of an op's local gradients, for the page's details.
  static func localGradientFormula(op: String) -> String? {
    let formulas = [
      "Add": "d(a + b)/da = 1, d(a + b)/db = 1", "Sub": "d(a - b)/da = 1, d(a - b)/db = -1",
      "Mul": "d(a · b)/da = b, d(a · b)/db = a", "Div": "d(a / b)/da = 1/b, d(a / b)/db = -a/b²",
      "Pow": "d(xᵖ)/dx = p · xᵖ⁻¹", "Neg": "d(-x)/dx = -1", "Rsub": "d(c - x)/dx = -1", "Exp": "d(eˣ)/dx = eˣ",
      "Log": "d(ln x)/dx = 1/x", "Sqrt": "d(√x)/dx = 1/(2√x)", "Tanh": "d(tanh x)/dx = 1 - tanh²x",
      "Sigmoid": "dσ(x)/dx = σ(x)(1 - σ(x))", "Relu": "d relu(x)/dx = 1 where x > 0, else 0",
      "Sum": "d(sum)/dxᵢ = 1 for every element", "Mean": "d(mean)/dxᵢ = 1/n for every element",
      "Mm": "for an upstream gradient G: d/dA = G · Bᵀ, d/dB = Aᵀ · G",
      "Addmm": "for y = x · Wᵀ + b and an upstream gradient G: d/dx = G · W, d/dW = Gᵀ · x, d/db = Σ over rows of G",
      "Clamp": "1 strictly between the bounds, 0 elsewhere",
      "Convolution": "for an upstream gradient G and the windows as columns X: d/dW = G · Xᵀ, d/dx = col2im(Wᵀ · G)",
      "MaxPool2DWithIndices": "1 at each window's maximum, 0 elsewhere",
      "LSTM": "through time: each step's gate gradients from the next step's, then d/dW = Σₜ Gₜᵀ · inputₜ",
      "ScaledDotProductAttention":
        "for P = softmax(s·QKᵀ) and an upstream gradient G: d/dV = Pᵀ · G, dS = s·P ⊙ (G·Vᵀ - rowsum(P ⊙ G·Vᵀ)), d/dQ = dS · K, d/dK = dSᵀ · Q (from one packed projection [Q | K | V], its gradient is [d/dQ | d/dK | d/dV])",
    ]
    return formulas[op]
  }
}

/// What the explorer page shows, step by step, computed from the graph's recorded values. Encoded
/// with `JSONEncoder`, which writes each number so that it reads back exactly.
struct HTMLExplorerData {
  let graph: ComputationGraph
  /// The most numbers of one tensor written into the page.
  static let numberLimit = 4096

  /// A value: a JSON number, or NaN and the infinities as text (JSON has none).
  enum Number: Encodable {
    case finite(Double)
    case special(String)
    init(_ v: Double) { self = v.isFinite ? .finite(v) : .special(pythonRepr(v)) }
    func encode(to encoder: Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .finite(let v): try container.encode(v)
      case .special(let text): try container.encode(text)
      }
    }
  }

  struct NodeEntry: Encodable {
    var name: String, role: String, shape: [Int], dtype: String
    var value: [Number], valueTruncated: Bool
    var gradient: [Number]?, gradientTruncated: Bool?
    var formula: String?, localGradientFormula: String?
    var inputEdges: [Int], forwardStep: Int
  }

  struct EdgeEntry: Encodable {
    var from: Int, to: Int, slot: Int
    var localGradient: [Number]?, sentGradient: [Number]?
  }

  struct Arrival: Encodable {
    var node: Int, text: String
  }

  struct Step: Encodable {
    var phase: String, node: Int, text: String
    var edges: [Int]? = nil, arrivals: [Arrival]? = nil
  }

  struct Page: Encodable {
    var outputName: String, nodes: [NodeEntry], edges: [EdgeEntry], steps: [Step]
  }

  func json() -> String {
    let page = Page(outputName: graph.nodes.last?.name ?? "output", nodes: nodes(), edges: edges(), steps: steps())
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = (try? encoder.encode(page)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  private func numbers(_ t: Tensor) -> [Number] { t.scalars(as: Double.self).prefix(Self.numberLimit).map(Number.init) }

  private func text(_ t: Tensor?) -> String { t.map { ComputationGraph.summary($0, significantDigits: 4) } ?? "none" }

  private func nodes() -> [NodeEntry] {
    graph.nodes.map { node in
      NodeEntry(
        name: node.name, role: node.role.rawValue, shape: node.shape, dtype: "\(node.dtype)",
        value: numbers(node.value),
        valueTruncated: node.value.count > Self.numberLimit, gradient: node.gradient.map(numbers),
        gradientTruncated: node.gradient.map { $0.count > Self.numberLimit }, formula: node.formula,
        localGradientFormula: node.op.flatMap(ComputationGraph.localGradientFormula),
        inputEdges: graph.inputEdges[node.id],
        forwardStep: node.id)
    }
  }

  private func edges() -> [EdgeEntry] {
    graph.edges.map { edge in
      EdgeEntry(
        from: edge.from, to: edge.to, slot: edge.slot, localGradient: edge.localGradient.map(numbers),
        sentGradient: edge.sentGradient.map(numbers))
    }
  }

  /// Forward: one step per node, inputs first. Backward: the seed, then one step per op in the
  /// engine's order, each sending its inputs their share; an input reached twice shows the sum.
  private func steps() -> [Step] {
    var steps: [Step] = []
    for node in graph.nodes {
      let value = text(node.value)
      let text =
        node.formula.map { "\(node.name) = \($0) = \(value)" }
        ?? "\(node.name == value ? value : "\(node.name) = \(value)")   (\(node.role.rawValue))"
      steps.append(Step(phase: "Forward pass", node: node.id, text: text))
    }
    guard graph.hasGradients, let output = graph.nodes.last else { return steps }
    let outputName = output.name
    steps.append(
      Step(
        phase: "Backward pass", node: output.id,
        text: "start: d(\(outputName))/d(\(outputName)) = \(text(output.gradient))",
        arrivals: [Arrival(node: output.id, text: text(output.gradient))]))
    var received: [Int: Tensor] = [:]
    var uses = [Int](repeating: 0, count: graph.nodes.count)
    for edge in graph.edges where edge.sentGradient != nil { uses[edge.from] += 1 }
    var arrived = [Int](repeating: 0, count: graph.nodes.count)
    for id in graph.backwardOrder {
      let node = graph.nodes[id]
      guard let formula = node.formula, let op = node.op, let upstream = node.gradient else { continue }
      var lines = [
        "\(node.name) = \(formula)   [\(op)Backward]",
        "from above: d(\(outputName))/d(\(node.name)) = \(text(upstream))",
      ]
      var arrivals: [Arrival] = []
      var active: [Int] = []
      for e in graph.inputEdges[id] {
        let edge = graph.edges[e]
        let input = graph.nodes[edge.from]
        guard let local = edge.localGradient, let sent = edge.sentGradient else {
          lines.append("to \(input.name): no gradient (it does not require grad)")
          continue
        }
        active.append(e)
        let product =
          upstream.count == 1 && local.count == 1 ? "\(text(upstream)) × \(text(local)) = \(text(sent))" : text(sent)
        lines.append("to \(input.name): local d(\(node.name))/d(\(input.name)) = \(text(local)); sends \(product)")
        arrived[input.id] += 1
        // Where paths meet, the contributions add up: the sum so far is what the input holds.
        let total = withNoGrad { received[input.id].map { $0 + sent } ?? sent }
        if let earlier = received[input.id] {
          lines.append(
            "  \(input.name) now holds \(text(earlier)) + \(text(sent)) = \(text(total))"
              + (arrived[input.id] == uses[input.id] ? ", its whole gradient" : ""))
        }
        received[input.id] = total
        arrivals.append(Arrival(node: input.id, text: text(total)))
      }
      steps.append(
        Step(
          phase: "Backward pass", node: id, text: lines.joined(separator: "\n"), edges: active, arrivals: arrivals))
    }
    let leaves = graph.nodes.filter { $0.op == nil && $0.gradient != nil }
    steps.append(
      Step(
        phase: "Gradients of the leaves", node: -1,
        text: leaves.map { "d(\(outputName))/d(\($0.name)) = \(text($0.gradient))" }.joined(separator: "\n")))
    return steps
  }
}
