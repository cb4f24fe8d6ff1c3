/// Which inputs of a node need a gradient, so that a rule can skip work for the others.
struct NeedsGrad {
  let bits: UInt64
  subscript(_ input: Int) -> Bool { bits & (1 << UInt64(input)) != 0 }
}

/// The storage versions of a node's saved tensors when they were saved. Most ops save one or
/// two, kept inline: an array of them was one allocation more per recorded op.
struct SavedVersions {
  private var first = 0, second = 0
  private var rest: [Int] = []

  init() {}

  init(_ saved: [Tensor]) {
    for (i, tensor) in saved.enumerated() {
      switch i {
      case 0: first = tensor.storage.version
      case 1: second = tensor.storage.version
      default: rest.append(tensor.storage.version)
      }
    }
  }

  subscript(_ i: Int) -> Int { i == 0 ? first : (i == 1 ? second : rest[i - 2]) }
}

/// A backward rule: given d(loss)/d(output) and the values the forward op saved, returns
/// d(loss)/d(input) for each input (`nil` where none is needed), each with its input's shape.
///
/// Rules are written with Tensor ops, so that with `createGraph` they record a graph of their own
/// (gradients of gradients). A rule must not capture tensors: it gets what it needs from `saved`,
/// which the node releases after backward and which teardown walks without recursion.
typealias BackwardRule = (_ grad: Tensor, _ saved: [Tensor], _ needs: NeedsGrad) -> [Tensor?]

/// A function that sees the gradient of a tensor during backward and may return a replacement.
public typealias GradientHook = (Tensor) -> Tensor?

/// One recorded op in the graph: its inputs, the values its rule saved, and the rule.
///
/// A node never owns its output tensor (that would be a reference cycle under ARC).
final class Node {
  let name: StaticString
  /// What the name leaves out, for pictures and explanations: a scalar exponent, the axes of a sum.
  let detail: String?
  /// The op's inputs, all of them (so the graph can be drawn), and which of them need a gradient.
  // Hot fields skip the run-time exclusivity checks, as Tensor's do.
  @exclusivity(unchecked) var inputs: [Tensor]
  let needs: NeedsGrad
  @exclusivity(unchecked) var saved: [Tensor]
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

  init(name: StaticString, detail: String?, inputs: [Tensor], saved: [Tensor], rule: @escaping BackwardRule) {
    self.name = name
    self.detail = detail
    self.inputs = inputs
    var bits: UInt64 = 0
    for (i, input) in inputs.enumerated() where input.requiresGrad { bits |= 1 << UInt64(i) }
    needs = NeedsGrad(bits: bits)
    self.saved = saved
    self.savedVersions = SavedVersions(saved)
    self.rule = rule
  }

  /// Frees the graph behind this node with an explicit work list. Letting ARC free a long chain
  /// would nest one `deinit` per node and overflow the stack near 10^5 nodes.
  deinit {
    if inputs.isEmpty && saved.isEmpty { return }
    var work: [Tensor] = saved + inputs
    saved = []
    inputs = []
    rule = nil
    while var tensor = work.popLast() {
      // Only dismantle what nobody else holds; anything shared stays intact for its other owners.
      guard isKnownUniquelyReferenced(&tensor), var node = tensor.gradFn else { continue }
      tensor.gradFn = nil
      guard isKnownUniquelyReferenced(&node) else { continue }
      work.append(contentsOf: node.saved)
      work.append(contentsOf: node.inputs)
      node.saved = []
      node.inputs = []
      node.rule = nil
    }
  }
}

extension Tensor {
  /// Links `self`, the result of an op, to a new node when grad mode is on and some input requires
  /// grad; otherwise records nothing. Returns `self`.
  @discardableResult
  func recorded(_ name: StaticString, detail: @autoclosure () -> String? = nil, inputs: [Tensor],
                saving saved: [Tensor] = [], rule: @escaping BackwardRule) -> Tensor {
    guard GradMode.isRecording, inputs.contains(where: { $0.requiresGrad }) else { return self }
    precondition(inputs.count <= 64, "\(name): at most 64 inputs can be recorded, got \(inputs.count)")
    gradFn = Node(name: name, detail: detail(), inputs: inputs, saved: saved, rule: rule)
    if AnomalyMode.isEnabled { gradFn!.creationTrace = CreationTrace() }
    return self
  }
}
