import Foundation

/// A description of the graph behind a tensor: one node per tensor, with its forward value and
/// d(output)/d(tensor), and one edge per input of each op, with the op's local gradient.
///
/// It is what graph pictures (`dot()`, `svg()`) and step-by-step explanations (`explanation()`)
/// are drawn from. Building it runs a backward pass of its own (with the graph retained), so it
/// neither needs nor touches any tensor's `grad`.
///
/// Compute the output inside `ComputationGraph.recording { }`: backward needs only the edges
/// between ops, so outside it the graph keeps no intermediate value for a picture to show.
///
/// ```swift
/// let loss = ComputationGraph.recording { ((x * w - y) ** 2).sum() }
/// print(ComputationGraph(of: loss, names: ["x": x, "w": w, "y": y]).dot())
/// ```
public struct ComputationGraph {
  /// What role a tensor plays, which pictures show with distinct styles.
  public enum Role: String, Sendable {
    /// A leaf that does not require grad: data or a constant.
    case input
    /// A leaf that requires grad: what training updates.
    case parameter
    /// An intermediate result.
    case operation
    /// The tensor the graph was built from (the loss).
    case output
  }

  /// How much of the recording a picture shows.
  public enum Level: Sendable {
    /// Each function the program called as one node: a composite op (`conv2d`, `linear`,
    /// `crossEntropy`, which record several ops) is drawn with the inputs it was given, and the
    /// gradient it sends each of them.
    case calls
    /// Every op the engine recorded: the views, products and reductions a composite op is made of.
    case recordedOps
  }

  public struct Node {
    /// Position in `nodes`; inputs always come before the ops that read them.
    public var id: Int
    /// The name given when building the graph, or a generated one (`t3`, or a constant's value).
    public var name: String
    public var role: Role
    /// The op that computed the tensor (`Mul`), `nil` for leaves.
    public var op: String?
    /// What the op name leaves out (`2.0` for `pow(2)`, the axes of a sum).
    public var detail: String?
    /// The op written with its inputs' names (`x * w`), `nil` for leaves.
    public var formula: String?
    /// Whether some backward rule saved this tensor's values (they stay in memory until backward).
    public var isSaved: Bool
    /// The forward value (detached).
    public var value: Tensor
    /// d(output)/d(this tensor), where the output depends on it through tensors that require grad.
    public var gradient: Tensor?
    public var shape: [Int] { value.shape }
    public var dtype: DType { value.dtype }
    /// Whether `name` was made up (`t3`): such names are numbered once the nodes are final.
    var isNameGenerated = false
    /// The dotted name of the innermost module whose computation made this tensor, or that owns
    /// this parameter (`layers.0.attention`), when the graph was described with its model; `nil`
    /// outside any.
    public var module: String?
  }

  /// The modules of a model, for grouping its graph (see AutogradNN's `ComputationGraph(of:model:)`).
  package struct Modules {
    /// Each module's dotted name and type name, by identity (the root left out).
    package var names: [ObjectIdentifier: (path: String, type: String)] = [:]
    /// The module that owns each parameter and buffer.
    package var owners: [ObjectIdentifier: String] = [:]
    package init() {}
  }

  /// The type of each module that appears in `nodes`' `module` paths, by dotted name (`2`: `Conv2d`).
  public private(set) var moduleTypes: [String: String] = [:]

  public struct Edge {
    /// The input tensor's node.
    public var from: Int
    /// The op's output tensor's node.
    public var to: Int
    /// Which input of the op this is.
    public var slot: Int
    /// The op's local gradient toward this input: what its backward rule sends for an upstream
    /// gradient of ones (for scalars, exactly the partial derivative).
    public var localGradient: Tensor?
    /// What the backward rule sends to this input for the real upstream gradient.
    public var sentGradient: Tensor?
  }

  public internal(set) var nodes: [Node] = []
  public internal(set) var edges: [Edge] = []
  /// For each node, the indices in `edges` of its inputs' edges, in slot order.
  public internal(set) var inputEdges: [[Int]] = []
  /// Whether gradients could be computed (not when an earlier backward already freed the graph).
  public private(set) var hasGradients = false
  /// The ops (ids in `nodes`) in the order the engine ran their backward rules, output first.
  public internal(set) var backwardOrder: [Int] = []

  /// Runs `body` with every op it records keeping its input tensors, so that a `ComputationGraph`
  /// of a result can show every value. Costs the memory of those values until the graph is freed.
  public static func recording<R>(_ body: () throws -> R) rethrows -> R {
    try InputRecording.enabled(body)
  }

  /// Describes the graph that computed `output`, which must have been computed inside
  /// `ComputationGraph.recording { }`.
  ///
  /// - Parameters:
  ///   - output: The tensor whose graph to describe, computed inside `recording`.
  ///   - names: Names for tensors of the graph, shown in pictures and explanations.
  ///   - computeGradients: Compute each tensor's gradient and each edge's local gradient. A non-scalar
  ///     output is seeded with ones.
  ///   - data: Leaves to draw as data inputs although they require grad (an input whose gradient
  ///     is wanted: which pixels of an image mattered).
  ///   - level: Composite ops as one node each (the default), or every recorded op.
  public init(
    of output: Tensor, names: [String: Tensor] = [:], gradients computeGradients: Bool = true, data: [Tensor] = [],
    level: Level = .calls
  ) {
    self.init(of: output, names: names, gradients: computeGradients, data: data, level: level, modules: Modules())
  }

  /// The description, with each node's `module` from `modules`.
  package init(
    of output: Tensor, names: [String: Tensor], gradients computeGradients: Bool, data: [Tensor], level: Level,
    modules: Modules
  ) {
    let dataLeaves = Set(data.map(ObjectIdentifier.init))
    var nameOf: [ObjectIdentifier: String] = [:]
    for (name, tensor) in names { nameOf[ObjectIdentifier(tensor)] = name }
    let order = Self.topologicalOrder(from: output)
    var index: [ObjectIdentifier: Int] = [:]
    var savedStorages = Set<ObjectIdentifier>()
    for tensor in order {
      for saved in tensor.gradFn?.saved ?? [] { savedStorages.insert(ObjectIdentifier(saved.storage)) }
    }
    for tensor in order {
      let id = nodes.count
      index[ObjectIdentifier(tensor)] = id
      let role: Role =
        tensor === output
        ? .output
        : tensor.gradFn != nil
          ? .operation : tensor.requiresGrad && !dataLeaves.contains(ObjectIdentifier(tensor)) ? .parameter : .input
      let name = tensor === output ? nameOf[ObjectIdentifier(tensor)] ?? "output" : Self.name(of: tensor, nameOf)
      let op = tensor.gradFn.map { String(describing: $0.name).replacingOccurrences(of: "Backward", with: "") }
      nodes.append(
        Node(
          id: id, name: name ?? "", role: role, op: op, detail: tensor.gradFn?.detail, formula: nil,
          isSaved: savedStorages.contains(ObjectIdentifier(tensor.storage)),
          value: tensor.detached(), gradient: nil, isNameGenerated: name == nil))
      inputEdges.append([])
      for (slot, input) in (tensor.gradFn?.recordedInputs ?? []).enumerated() {
        inputEdges[id].append(edges.count)
        edges.append(Edge(from: index[ObjectIdentifier(input)]!, to: id, slot: slot))
      }
    }
    if computeGradients && output.requiresGrad && Self.isIntact(order) {
      addGradients(order: order, output: output)
    }
    for (id, tensor) in order.enumerated() { nodes[id].module = Self.module(of: tensor, modules) }
    if level == .calls {
      collapseCompositeCalls(order: order, nameOf: nameOf, modules: modules) { tensor in
        tensor.requiresGrad && !dataLeaves.contains(ObjectIdentifier(tensor)) ? .parameter : .input
      }
    }
    for (_, (path, type)) in modules.names
    where nodes.contains(where: { $0.module.map { $0 == path || $0.hasPrefix(path + ".") } ?? false }) {
      moduleTypes[path] = type
    }
    // Made-up names numbered in order, then each op written with its inputs' names.
    var generated = 0
    for id in nodes.indices where nodes[id].isNameGenerated {
      generated += 1
      nodes[id].name = "t\(generated)"
    }
    for id in nodes.indices {
      guard let op = nodes[id].op else { continue }
      let inputNames = inputEdges[id].map { nodes[edges[$0].from].name }
      nodes[id].formula = Self.formula(op: op, detail: nodes[id].detail, inputs: inputNames)
    }
  }

  /// The innermost named module that recorded `tensor`, or that owns it.
  static func module(of tensor: Tensor, _ modules: Modules) -> String? {
    if let node = tensor.gradFn {
      return node.modules.last { modules.names[$0] != nil }.map { modules.names[$0]!.path }
    }
    return modules.owners[ObjectIdentifier(tensor)]
  }

  /// The name given to `tensor`, a constant's value, or `nil` for one to be made up.
  static func name(of tensor: Tensor, _ nameOf: [ObjectIdentifier: String]) -> String? {
    if let given = nameOf[ObjectIdentifier(tensor)] { return given }
    guard tensor.gradFn == nil && tensor.count == 1 && !tensor.requiresGrad else { return nil }
    // As Python writes the value: 0.5, 2 (an int64 label), True.
    switch tensor.dtype {
    case .bool: return tensor.item() != 0 ? "True" : "False"
    case let dtype where !dtype.isFloatingPoint: return String(Int64(tensor.item()))
    default: return pythonRepr(tensor.item())
    }
  }

  /// Every tensor the output depends on, inputs before the ops that read them (no recursion).
  private static func topologicalOrder(from output: Tensor) -> [Tensor] {
    var order: [Tensor] = []
    var seen = Set<ObjectIdentifier>([ObjectIdentifier(output)])
    var stack: [(Tensor, Int)] = [(output, 0)]
    while let (tensor, next) = stack.popLast() {
      let inputs = tensor.gradFn?.recordedInputs ?? []
      if let node = tensor.gradFn {
        trapUnless(
          node.hasRecordedInputs,
          """
          ComputationGraph: \(node.displayName) was recorded without its inputs; compute the output \
          inside ComputationGraph.recording { } to draw or explain its graph
          """)
      }
      if next < inputs.count {
        stack.append((tensor, next + 1))
        let input = inputs[next]
        if seen.insert(ObjectIdentifier(input)).inserted { stack.append((input, 0)) }
      } else {
        order.append(tensor)
      }
    }
    return order
  }

  private static func isIntact(_ order: [Tensor]) -> Bool {
    order.allSatisfy { $0.gradFn.map { !$0.isReleased } ?? true }
  }

  private mutating func addGradients(order: [Tensor], output: Tensor) {
    hasGradients = true
    let seed = Tensor.ones(output.shape, dtype: output.dtype)
    let needing = order.filter(\.requiresGrad)
    var idOfNode: [ObjectIdentifier: Int] = [:]
    for (id, tensor) in order.enumerated() { if let node = tensor.gradFn { idOfNode[ObjectIdentifier(node)] = id } }
    var ran: [Int] = []
    let grads = Engine.run(
      from: output, seed: seed, retainGraph: true, createGraph: false, targets: needing,
      observe: { node in if let id = idOfNode[ObjectIdentifier(node)] { ran.append(id) } })
    backwardOrder = ran
    var gradientOf: [ObjectIdentifier: Tensor] = [:]
    for (tensor, grad) in zip(needing, grads) {
      if let grad { gradientOf[ObjectIdentifier(tensor)] = grad }
    }
    for (id, tensor) in order.enumerated() { nodes[id].gradient = gradientOf[ObjectIdentifier(tensor)] }
    // Each op's rule, applied once to ones and once to the real upstream gradient, gives the
    // local gradient and the product sent down each edge.
    withNoGrad {
      for (id, tensor) in order.enumerated() {
        guard let node = tensor.gradFn, let rule = node.rule else { continue }
        let local = rule(Tensor.ones(tensor.shape, dtype: tensor.dtype), node.saved, node.context)
        let sent = gradientOf[ObjectIdentifier(tensor)].map { rule($0, node.saved, node.context) }
        for e in inputEdges[id] {
          edges[e].localGradient = local[edges[e].slot]
          edges[e].sentGradient = sent?[edges[e].slot]
        }
      }
    }
  }

  /// The op written out with its inputs, as a reader would: `x * w`, `t1 ^ 2`, `tanh(t2)`.
  static func formula(op: String, detail: String?, inputs: [String]) -> String {
    let infix = ["Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "^", "Mm": "@"]
    if let symbol = infix[op] {
      if inputs.count == 2 { return "\(inputs[0]) \(symbol) \(inputs[1])" }
      if let detail, inputs.count == 1 { return "\(inputs[0]) \(symbol) \(detail)" }
    }
    if op == "Neg", inputs.count == 1 { return "-\(inputs[0])" }
    if op == "Rsub", let detail, inputs.count == 1 { return "\(detail) - \(inputs[0])" }
    let arguments = inputs + (detail.map { [$0] } ?? [])
    return "\(op.prefix(1).lowercased() + op.dropFirst())(\(arguments.joined(separator: ", ")))"
  }

  /// A short text for a value: the number itself for one element, else (the shape and) its first
  /// four values. Numbers have `significantDigits` (all of them when `nil`; whole numbers are
  /// always written in full, as Python writes them: `2.0`).
  public static func summary(_ t: Tensor, showingShape: Bool = true, significantDigits: Int? = 4) -> String {
    let values = t.scalars(as: Double.self)
    // Integers and bools as Python prints them (a class label is 3, not 3.0).
    func text(_ v: Double) -> String {
      switch t.dtype {
      case .bool: v != 0 ? "True" : "False"
      case let dtype where !dtype.isFloatingPoint: String(Int64(v))
      default: number(v, significantDigits: values.count == 1 ? significantDigits : significantDigits ?? 17)
      }
    }
    if values.count == 1 { return text(values[0]) }
    let shown = values.prefix(4).map(text)
    let list = "[\(shown.joined(separator: ", "))\(values.count > 4 ? ", …" : "")]"
    return showingShape ? "\(t.shape) \(list)" : list
  }

  /// One number with `significantDigits` (all of them, as Python prints a float, when `nil`).
  public static func number(_ v: Double, significantDigits: Int?) -> String {
    guard let digits = significantDigits, v.isFinite, v != v.rounded() || Swift.abs(v) >= 1e15 else {
      return pythonRepr(v)
    }
    let text = String(format: "%.\(digits)g", v)
    return Double(text) == v ? pythonRepr(v) : text
  }
}
