/// What a backward rule gets besides the gradient and the saved values: which inputs need a
/// gradient (`needs[i]`), so that it can skip work for the others, and the op's scalar operand
/// (the 2 of `x * 2`), kept here so that the rule need not capture it: a capturing closure is a
/// heap allocation per recorded op.
struct NeedsGrad {
  let bits: UInt64
  let scalar: Double
  subscript(_ input: Int) -> Bool { bits & (1 << UInt64(input)) != 0 }
}

/// The storage versions of a node's saved tensors when they were saved.
typealias SavedVersions = SmallList<Int>

/// A node's inputs or saved values: one or two inline, more in an array.
typealias TensorList = SmallList<Tensor>

/// What a backward rule returns: one gradient per input, `nil` where none is needed.
typealias GradientList = SmallList<Tensor?>

/// A backward rule: given d(loss)/d(output) and the values the forward op saved, returns
/// d(loss)/d(input) for each input (`nil` where none is needed), each with its input's shape.
///
/// Rules are written with Tensor ops, so that with `createGraph` they record a graph of their own
/// (gradients of gradients). A rule must not capture tensors: it gets what it needs from `saved`,
/// which the node releases after backward and which teardown walks without recursion.
typealias BackwardRule = (_ grad: Tensor, _ saved: TensorList, _ needs: NeedsGrad) -> GradientList

/// A function that sees the gradient of a tensor during backward and may return a replacement.
public typealias GradientHook = (Tensor) -> Tensor?

/// One recorded op in the graph: its inputs, the values its rule saved, and the rule.
///
/// A node never owns its output tensor (that would be a reference cycle under ARC).
final class Node {
  let name: StaticString
  private let explicitDetail: String?
  /// What the name leaves out, for pictures and explanations: a scalar operand, the axes of a sum.
  /// A scalar operand is only formatted when asked for: formatting it on every op cost time.
  var detail: String? { explicitDetail ?? (hasScalar ? needs.scalar.compactDescription : nil) }
  private let hasScalar: Bool
  /// The op's inputs, all of them (so the graph can be drawn), and which of them need a gradient.
  // Hot fields skip the run-time exclusivity checks, as Tensor's do.
  @exclusivity(unchecked) var inputs: TensorList
  let needs: NeedsGrad
  @exclusivity(unchecked) var saved: TensorList
  /// Each saved tensor's storage version when it was saved.
  @exclusivity(unchecked) var savedVersions: SavedVersions
  @exclusivity(unchecked) var rule: BackwardRule?
  /// Set when backward has released the saved values (no `retainGraph`).
  @exclusivity(unchecked) var isReleased = false

  /// Hooks on the output tensor's gradient (see `Tensor.registerHook`), run in order.
  @exclusivity(unchecked) var hooks: [GradientHook] = []
  /// The output tensor, when `retainGrad()` asked for its gradient to be kept.
  weak var retainedOutput: Tensor?
  /// The name of a user-defined function (`customFunction`), shown instead of `name`.
  var customName: String?
  /// Where the op was recorded, captured in anomaly mode only.
  var creationTrace: CreationTrace?

  /// The name shown in printing, errors and graphs: `MulBackward`, or a custom function's.
  var displayName: String { customName.map { "\($0)Backward" } ?? "\(name)" }

  // Scratch space of one backward pass.
  @exclusivity(unchecked) var pendingDependencies = 0
  @exclusivity(unchecked) var isVisited = false
  @exclusivity(unchecked) var pendingGrad: Tensor?

  init(name: StaticString, detail: String?, scalar: Double?, inputs: TensorList, saved: TensorList,
       rule: @escaping BackwardRule) {
    self.name = name
    self.explicitDetail = detail
    self.hasScalar = scalar != nil
    self.inputs = inputs
    var bits: UInt64 = 0
    for (i, input) in inputs.enumerated() where input.requiresGrad { bits |= 1 << UInt64(i) }
    needs = NeedsGrad(bits: bits, scalar: scalar ?? 0)
    self.saved = saved
    self.savedVersions = SavedVersions(saved.lazy.map(\.storage.version))
    self.rule = rule
  }

  /// Frees the graph behind this node with an explicit work list. Letting ARC free a long chain
  /// would nest one `deinit` per node and overflow the stack near 10^5 nodes.
  deinit {
    if inputs.isEmpty && saved.isEmpty { return }
    var work = Array(saved) + Array(inputs)
    saved.removeAll()
    inputs.removeAll()
    rule = nil
    while var tensor = work.popLast() {
      // Only dismantle what nobody else holds; anything shared stays intact for its other owners.
      guard isKnownUniquelyReferenced(&tensor), var node = tensor.gradFn else { continue }
      tensor.gradFn = nil
      guard isKnownUniquelyReferenced(&node) else { continue }
      work.append(contentsOf: node.saved)
      work.append(contentsOf: node.inputs)
      node.saved.removeAll()
      node.inputs.removeAll()
      node.rule = nil
    }
  }
}

extension Tensor {
  /// Links `self`, the result of an op, to a new node when grad mode is on and some input requires
  /// grad; otherwise records nothing. Returns `self`.
  ///
  /// `scalar` is the op's number operand, if it has one: the rule reads it as `needs.scalar`, and
  /// pictures of the graph show it when there is no `detail`.
  @discardableResult
  @inline(__always)
  func recorded(_ name: StaticString, detail: @autoclosure () -> String? = nil, scalar: Double? = nil,
                inputs: TensorList, saving saved: TensorList = TensorList(), rule: @escaping BackwardRule) -> Tensor {
    guard GradMode.isRecording, inputs.contains(where: { $0.requiresGrad }) else { return self }
    precondition(inputs.count <= 64, "\(name): at most 64 inputs can be recorded, got \(inputs.count)")
    gradFn = Node(name: name, detail: detail(), scalar: scalar, inputs: inputs, saved: saved, rule: rule)
    if AnomalyMode.isEnabled { gradFn!.creationTrace = CreationTrace() }
    return self
  }
}
