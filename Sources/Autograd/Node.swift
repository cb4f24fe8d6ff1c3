import CAutogradKernels

/// What a backward rule gets besides the gradient and the saved values: which inputs need a
/// gradient (`context[i]`, so that it can skip work for the others), and the op's scalar operand
/// (the 2 of `x * 2`), kept here so that the rule need not capture it: a capturing closure is a
/// heap allocation per recorded op. Rules that only ask which inputs need a gradient name it `needs`.
struct RuleContext {
  let bits: UInt64
  let scalar: Double
  /// Whether the rule may write its result into the gradient's buffer and return it: set when
  /// nothing else holds the gradient (no hook, target or other edge kept it) and no graph of the
  /// backward pass is recorded. A graph of small ops spares an allocation per pointwise rule.
  var ownsGradient = false
  subscript(_ input: Int) -> Bool { bits & (1 << UInt64(input)) != 0 }
}

/// The storage versions of a node's saved tensors when they were saved: two inline, more in an
/// array (16 bytes, against 48 for a `SmallList<Int>`; the saved list has the length).
///
/// The two inline ones keep the low 32 bits: a change goes unseen only if a value is written in
/// place a multiple of 2^32 times between forward and backward.
struct SavedVersions {
  private var first: UInt32 = 0, second: UInt32 = 0
  private var rest: [Int] = []

  init() {}

  init(of saved: borrowing TensorList) {
    for i in 0..<saved.count {
      let version = saved[i].storage.version
      switch i {
      case 0: first = UInt32(truncatingIfNeeded: version)
      case 1: second = UInt32(truncatingIfNeeded: version)
      default: rest.append(version)
      }
    }
  }

  /// Whether `version` is the one saved at position `i`.
  func matches(_ version: Int, at i: Int) -> Bool {
    switch i {
    case 0: return first == UInt32(truncatingIfNeeded: version)
    case 1: return second == UInt32(truncatingIfNeeded: version)
    default: return rest[i - 2] == version
    }
  }

  subscript(_ i: Int) -> Int { i == 0 ? Int(first) : (i == 1 ? Int(second) : rest[i - 2]) }

  /// Frees the versions beyond the second, if there are any.
  mutating func removeAll() {
    if !rest.isEmpty { rest = [] }
  }
}

/// A node's inputs or saved values: one or two inline, more in an array.
typealias TensorList = SmallList<Tensor>

/// What a backward rule returns: one gradient per input, `nil` where none is needed.
typealias GradientList = SmallList<Tensor?>

/// A backward rule: given d(loss)/d(output) and the values the forward op saved, returns
/// d(loss)/d(input) for each input (`nil` where none is needed), each with its input's shape.
///
/// Rules are written with Tensor ops, so that with `createGraph` they record a graph of their own
/// (gradients of gradients). A rule must not capture tensors: it gets what it needs from `saved`,
/// which the node releases after backward and which teardown frees without deep recursion.
///
/// The rule owns its `grad` (`__owned`): a rule that returns it, written into in place
/// (`consume g`), hands it on without the retain and release a borrowed gradient cost.
typealias BackwardRule = (_ grad: __owned Tensor, _ saved: TensorList, _ context: RuleContext) -> GradientList

/// A function that sees the gradient of a tensor during backward and may return a replacement.
public typealias GradientHook = (Tensor) -> Tensor?

/// One recorded op in the graph: the edges to its inputs, the values its rule saved, and the rule.
///
/// A node never owns its output tensor (that would be a reference cycle under ARC), and holds its
/// input tensors only while pictures are recorded (`recordedInputs`).
final class Node {
  // The fields are ordered so that the flags and the count fill the name's padding: a graph keeps every node
  // alive until backward, and a long one is bound by the memory it walks.
  @exclusivity(unchecked) private(set) var name: StaticString
  /// Set when backward has released the saved values (no `retainGraph`).
  @exclusivity(unchecked) var isReleased = false
  /// Scratch space of one backward pass (with `pendingDependencies` and `pendingGrad`).
  @exclusivity(unchecked) var isVisited = false
  @exclusivity(unchecked) private var hasScalar: Bool
  /// Scratch space of one backward pass: how many edges into this node have yet to deliver.
  @exclusivity(unchecked) var pendingDependencies: Int32 = 0
  /// One edge per input, in the inputs' order: where each input's gradient goes. The node owns
  /// the references its edges hold (see `Edge`): whoever takes an edge out takes its reference.
  // Hot fields skip the run-time exclusivity checks, as Tensor's do.
  @exclusivity(unchecked) var edges: SmallList<Edge>
  /// Which inputs need a gradient, and the scalar operand: what the rule gets besides the gradient
  /// (`context`). Two fields rather than a `RuleContext`, whose flag would make every node larger.
  @exclusivity(unchecked) private var needs: UInt64
  @exclusivity(unchecked) private var scalar: Double
  @exclusivity(unchecked) var saved: TensorList
  /// Each saved tensor's storage version when it was saved.
  @exclusivity(unchecked) var savedVersions: SavedVersions
  @exclusivity(unchecked) var rule: BackwardRule?
  @exclusivity(unchecked) var pendingGrad: Tensor?

  /// What few nodes have, kept apart so that the others stay small and free fast.
  private final class Extras {
    var detail: String?
    var hooks: [GradientHook] = []
    weak var retainedOutput: Tensor?
    var customName: String?
    var creationTrace: CreationTrace?
    var recordedInputs = TensorList()
    var compositeCall: CompositeCall?
    var modules: [ObjectIdentifier] = []
  }
  @exclusivity(unchecked) private var extras: Extras?
  private var ensuredExtras: Extras {
    if let extras { return extras }
    let made = Extras()
    extras = made
    return made
  }

  /// What the name leaves out, for pictures and explanations: a scalar operand, the axes of a sum.
  /// A scalar operand is only formatted when asked for: formatting it on every op cost time.
  var detail: String? { extras?.detail ?? (hasScalar ? scalar.compactDescription : nil) }

  /// What the rule gets besides the gradient and the saved values.
  var context: RuleContext { RuleContext(bits: needs, scalar: scalar) }
  /// Hooks on the output tensor's gradient (see `Tensor.registerHook`), run in order.
  var hooks: [GradientHook] {
    get { extras?.hooks ?? [] }
    set { ensuredExtras.hooks = newValue }
  }
  /// Whether `hooks` has any, answered without making an array.
  var hasHooks: Bool { !(extras?.hooks.isEmpty ?? true) }
  /// Whether the node has any of the rarer fields (hooks, recorded inputs, a composite call, ...).
  var hasExtras: Bool { extras != nil }
  /// Releases what the edges hold and empties them. Releasing a node may free it, and the graph
  /// behind it: callers bound the depth (`tearDownGraphBehind`).
  func releaseEdges() {
    for i in 0..<edges.count { edges.exchange(at: i, with: .none).release() }
    edges.removeAll()
  }
  /// Drops the saved values and the rule, touching only a field that holds something: backward
  /// has usually taken both (`Engine.apply`), and assigning an empty value still calls the runtime.
  func dropSavedValuesAndRule() {
    if !saved.isEmpty { saved.removeAll() }
    if rule != nil { rule = nil }
  }
  /// The output tensor, when `retainGrad()` asked for its gradient to be kept.
  var retainedOutput: Tensor? {
    get { extras?.retainedOutput }
    set { ensuredExtras.retainedOutput = newValue }
  }
  /// The name of a user-defined function (`customFunction`), shown instead of `name`.
  var customName: String? {
    get { extras?.customName }
    set { ensuredExtras.customName = newValue }
  }
  /// Where the op was recorded, captured in anomaly mode only.
  var creationTrace: CreationTrace? {
    get { extras?.creationTrace }
    set { ensuredExtras.creationTrace = newValue }
  }

  /// The input tensors themselves, kept only for ops recorded inside `ComputationGraph.recording`
  /// (pictures show every value); empty otherwise.
  var recordedInputs: TensorList {
    get { extras?.recordedInputs ?? TensorList() }
    set { ensuredExtras.recordedInputs = newValue }
  }
  /// The composite op call that recorded this op (pictures only), or `nil`.
  var compositeCall: CompositeCall? {
    get { extras?.compositeCall }
    set { ensuredExtras.compositeCall = newValue }
  }
  /// The modules whose computation recorded this op, outermost first (pictures only).
  var modules: [ObjectIdentifier] {
    get { extras?.modules ?? [] }
    set { ensuredExtras.modules = newValue }
  }
  /// Moves the composite call out (for teardown).
  func takeCompositeCall() -> CompositeCall? {
    defer { extras?.compositeCall = nil }
    return extras?.compositeCall
  }
  /// Moves the recorded inputs out (for teardown), without making extras where there are none.
  func takeRecordedInputs() -> TensorList { extras?.recordedInputs.take() ?? TensorList() }
  /// Whether the node was recorded with its input tensors (trivially, when it has none). Asked of
  /// `needs`, not of the edges, which a backward pass that frees the graph empties.
  var hasRecordedInputs: Bool { !(extras?.recordedInputs.isEmpty ?? true) || needs == 0 }

  /// The name shown in printing, errors and graphs: `MulBackward`, or a custom function's.
  var displayName: String { customName.map { "\($0)Backward" } ?? "\(name)" }

  /// Makes a node; `needs` has a bit set for each input that requires grad. The lists are
  /// consumed, so that they move into the node without retaining their tensors again.
  init(
    name: StaticString, detail: String?, scalar: Double?, edges: consuming SmallList<Edge>, needs: UInt64,
    saved: consuming TensorList, rule: @escaping BackwardRule
  ) {
    self.name = name
    self.hasScalar = scalar != nil
    (self.needs, self.scalar) = (needs, scalar ?? 0)
    self.savedVersions = SavedVersions(of: saved)
    self.edges = edges
    self.saved = saved
    self.rule = rule
    if let detail { ensuredExtras.detail = detail }
  }

  /// Makes this node, taken from `NodePool`, the node of a new op, as `init` would. A pooled node
  /// holds nothing: no edges, saved values, rule, gradient or extras. Not inlined, so that the ops
  /// that record nodes stay small enough to inline `recorded`.
  @inline(never)
  func reuse(
    name: StaticString, detail: String?, scalar: Double?, edges: consuming SmallList<Edge>, needs: UInt64,
    saved: consuming TensorList, rule: @escaping BackwardRule
  ) {
    self.name = name
    hasScalar = scalar != nil
    (self.needs, self.scalar) = (needs, scalar ?? 0)
    savedVersions = SavedVersions(of: saved)
    // Moved in: a pooled node's lists are empty, and a copy would retain every tensor again.
    self.edges = consume edges
    self.saved = consume saved
    self.rule = rule
    isReleased = false
    if let detail { ensuredExtras.detail = detail }
  }

  /// Frees the graph behind this node (see `GraphTeardown.swift`).
  deinit { tearDownGraphBehind() }
}

extension Tensor {
  /// Links `self`, the result of an op, to a new node when grad mode is on and some input requires
  /// grad; otherwise records nothing. Returns `self`.
  ///
  /// `scalar` is the op's number operand, if it has one: the rule reads it as `needs.scalar`, and
  /// pictures of the graph show it when there is no `detail`.
  @discardableResult
  @inline(__always)
  consuming func recorded(
    _ name: StaticString, detail: @autoclosure () -> String? = nil, scalar: Double? = nil,
    inputs: consuming TensorList, saving saved: consuming TensorList = TensorList(),
    rule: @escaping BackwardRule
  ) -> Tensor {
    // The inputs first: the grad mode is a task-local value, a lookup that costs more than the
    // check, and most ops inside a backward pass have no input that requires grad.
    trapUnless(inputs.count <= 64, "\(name): at most 64 inputs can be recorded, got \(inputs.count)")
    let needs = inputs.bits(where: { $0.requiresGrad })
    guard needs != 0, GradMode.isEnabled else { return self }
    var edges = SmallList<Edge>()
    for i in 0..<inputs.count { edges.append(Edge(to: inputs[i])) }
    let node = Node.make(
      name: name, detail: detail(), scalar: scalar, edges: edges, needs: needs, saved: saved, rule: rule)
    link(node, inputs: inputs)
    return self
  }

  // The one- and two-input forms of `recorded`, for the ops every small graph is made of: they
  // take the inputs themselves rather than a list, which would retain each input to build it and
  // release it again once the edges are made (a list is built only while pictures are recorded).

  /// `recorded` for an op of one input.
  @discardableResult
  @inline(__always)
  consuming func recorded(
    _ name: StaticString, detail: @autoclosure () -> String? = nil, scalar: Double? = nil,
    input: Tensor, saving saved: consuming TensorList = TensorList(), rule: @escaping BackwardRule
  ) -> Tensor {
    guard input.requiresGrad, GradMode.isEnabled else { return self }
    let node = Node.make(
      name: name, detail: detail(), scalar: scalar, edges: SmallList(Edge(to: input)), needs: 1, saved: saved,
      rule: rule)
    link(node, inputs: TensorList(input))
    return self
  }

  /// `recorded` for an op of two inputs.
  @discardableResult
  @inline(__always)
  consuming func recorded(
    _ name: StaticString, detail: @autoclosure () -> String? = nil, scalar: Double? = nil,
    inputs first: Tensor, _ second: Tensor, saving saved: consuming TensorList = TensorList(),
    rule: @escaping BackwardRule
  ) -> Tensor {
    let needs: UInt64 = (first.requiresGrad ? 1 : 0) | (second.requiresGrad ? 2 : 0)
    guard needs != 0, GradMode.isEnabled else { return self }
    let node = Node.make(
      name: name, detail: detail(), scalar: scalar, edges: SmallList(Edge(to: first), Edge(to: second)),
      needs: needs, saved: saved, rule: rule)
    link(node, inputs: TensorList(first, second))
    return self
  }

  /// Makes `node` this tensor's `gradFn`, with what anomaly mode and pictures keep besides.
  @inline(__always)
  private func link(_ node: Node, inputs: @autoclosure () -> TensorList) {
    if AnomalyMode.isEnabled { node.creationTrace = CreationTrace() }
    if InputRecording.isEnabled {
      node.recordedInputs = inputs()
      node.compositeCall = CompositeCall.current
      node.modules = ModuleScope.current
    }
    gradFn = node
  }
}
