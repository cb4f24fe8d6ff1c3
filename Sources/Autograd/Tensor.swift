import Foundation
import Synchronization

/// An n-dimensional array of numbers that can record the operations made on it, so that
/// `backward()` can compute gradients by the chain rule.
///
/// A tensor is a *view*: a shape, strides (in elements) and an offset into a `Storage` that
/// other tensors may share. `reshaped`, `transposed`, `expanded`, slicing and the like return
/// views without copying. Identity matters, as in PyTorch: a leaf's `grad` accumulates on that
/// very object, and an optimizer updates that object in place.
public final class Tensor {
  // The fields every op touches skip Swift's run-time exclusivity checks, which cost 6% of a small
  // op's time; none of them is ever passed inout while also read.
  @exclusivity(unchecked) private var heldStorage: Storage?
  /// Whether no other tensor or holder shares this tensor's storage.
  var hasPrivateStorage: Bool { isKnownUniquelyReferenced(&heldStorage) }
  /// The buffer this tensor views. Held as an optional only so that `deinit` can move it out
  /// (`StoragePool.recycle`): a tensor always has one.
  var storage: Storage {
    @inline(__always) get { heldStorage.unsafelyUnwrapped }
  }
  /// The size of each axis, held inline (see `Dims`); `shape` is the same as an array.
  @exclusivity(unchecked) private(set) var shapeDims: Dims
  /// The distance, in elements, between neighbours along each axis, held inline.
  @exclusivity(unchecked) private(set) var strideDims: Dims
  /// The position of the first element in the storage.
  @exclusivity(unchecked) public private(set) var offset: Int
  /// The node that computed this tensor, or `nil` for a leaf.
  @exclusivity(unchecked) var gradFn: Node?

  /// What only tensors that take part in gradients as leaves (or keep their gradient) have, kept
  /// apart: most tensors are intermediate values, and these fields made each of them larger and
  /// slower to free.
  private final class GradientState {
    var requiresGrad = false
    var grad: Tensor?
    var hooks: [GradientHook] = []
    var postAccumulateHooks: [(Tensor) -> Void] = []
  }
  @exclusivity(unchecked) private var gradientState: GradientState?
  private var ensuredGradientState: GradientState {
    if let gradientState { return gradientState }
    let made = GradientState()
    gradientState = made
    return made
  }
  private var isGradLeaf: Bool { gradientState?.requiresGrad ?? false }

  /// The accumulated gradient of a leaf after `backward()`, or `nil` before the first one.
  /// Computed tensors get one too after `retainGrad()`; reading it on one without prints a
  /// warning once per process, as PyTorch warns, since backward never fills it.
  public var grad: Tensor? {
    get {
      let value = gradientState?.grad
      if value == nil, let gradFn, gradFn.retainedOutput !== self { Self.warnOfNonLeafGrad(gradFn.displayName) }
      return value
    }
    set {
      if newValue == nil && gradientState == nil { return }
      ensuredGradientState.grad = newValue
    }
  }
  /// The gradient that backward accumulated here, read without the non-leaf warning.
  var accumulatedGrad: Tensor? { gradientState?.grad }

  private static let hasWarnedOfNonLeafGrad = Atomic<Bool>(false)

  private static func warnOfNonLeafGrad(_ op: String) {
    guard !hasWarnedOfNonLeafGrad.exchange(true, ordering: .relaxed) else { return }
    let text = """
      warning: grad: this tensor is not a leaf (\(op) computed it), so backward() does not fill its \
      grad and it stays nil. Call retainGrad() on it before backward() to keep its gradient, or \
      use grad(of:withRespectTo:). This warning is printed once.

      """
    FileHandle.standardError.write(Data(text.utf8))
  }

  /// Hooks on this leaf's gradient (a computed tensor keeps its hooks on its node).
  var leafHooks: [GradientHook] {
    get { gradientState?.hooks ?? [] }
    set { ensuredGradientState.hooks = newValue }
  }

  /// Hooks that run after backward has accumulated this leaf's gradient into `grad`.
  var postAccumulateHooks: [(Tensor) -> Void] {
    get { gradientState?.postAccumulateHooks ?? [] }
    set { ensuredGradientState.postAccumulateHooks = newValue }
  }

  /// A small storage that only this tensor held goes to its thread's pool for the next tensor.
  deinit {
    // Moved out, so that a storage the pool takes changes hands without a count up and down.
    if let storage = heldStorage.take() { StoragePool.recycle(storage) }
  }

  init(storage: Storage, shapeDims: Dims, strideDims: Dims, offset: Int) {
    self.heldStorage = storage
    self.shapeDims = shapeDims
    self.strideDims = strideDims
    self.offset = offset
  }

  convenience init(storage: Storage, shape: [Int], strides: [Int], offset: Int) {
    self.init(storage: storage, shapeDims: Dims(shape), strideDims: Dims(strides), offset: offset)
  }

  /// A contiguous tensor that owns a fresh storage of `shape` (uninitialized unless `zeroed`).
  convenience init(empty shape: [Int], dtype: DType, zeroed: Bool = false) {
    self.init(empty: Dims(shape), dtype: dtype, zeroed: zeroed)
  }

  /// A contiguous tensor that owns a fresh storage of these sizes (uninitialized unless `zeroed`).
  init(empty dims: Dims, dtype: DType, zeroed: Bool = false) {
    guard let layout = dims.contiguousLayout(elementSize: dtype.byteSize) else {
      trap(
        "tensor: cannot make a tensor of shape \(dims) and dtype \(dtype): a negative size, or more bytes than Int can count"
      )
    }
    heldStorage = Storage.make(dtype: dtype, count: layout.count, zeroed: zeroed)
    shapeDims = dims
    strideDims = layout.strides
    offset = 0
  }

  /// The size of each axis; `[]` for a scalar.
  public var shape: [Int] { shapeDims.array }
  /// The strides that read this tensor as if expanded to `target` (0 along the axes it repeats).
  func strideDims(broadcastTo target: Dims) -> Dims { Shape.broadcastStrides(shapeDims, strideDims, to: target) }
  /// The distance, in elements, between neighbours along each axis.
  public var strides: [Int] { strideDims.array }
  /// The element type.
  public var dtype: DType { storage.dtype }
  /// The number of axes.
  public var rank: Int { shapeDims.count }
  /// The number of elements.
  public var count: Int { shapeDims.product }
  /// Whether the elements lie in row-major order without gaps, starting at `offset`.
  public var isContiguous: Bool {
    // Scalars and vectors, most of the tensors of small ops, without the general loop, and inlined:
    // a small op asks several times, and a call cost more than the answer.
    @inline(__always) get {
      switch rank {
      case 0: return true
      case 1: return shapeDims[0] == 1 || strideDims[0] == 1
      default: return Shape.isContiguous(shapeDims, strideDims)
      }
    }
  }
  /// Whether every element is the same stored value: one element, or one expanded to a shape.
  var isSingleValue: Bool { count == 1 || strideDims.allZero }
  /// Whether this tensor was made by the user rather than computed by a recorded op.
  public var isLeaf: Bool { gradFn == nil }
  /// The name of the backward rule of the op that made this tensor (`MulBackward`), if any.
  public var gradFnName: String? { gradFn?.displayName }

  /// Whether gradients flow to this tensor.
  ///
  /// Set it on leaves: gradients of a loss with respect to them are accumulated in `grad`.
  /// Computed tensors require grad when some input did.
  public var requiresGrad: Bool {
    get { isGradLeaf || gradFn != nil }
    set {
      trapUnless(
        gradFn == nil,
        "requiresGrad: can only be set on leaf tensors; use detached() to cut a computed tensor from its graph")
      trapUnless(
        !newValue || dtype.isFloatingPoint,
        "requiresGrad: only floating-point tensors can require gradients, not \(dtype)")
      if !newValue && gradientState == nil { return }
      ensuredGradientState.requiresGrad = newValue
    }
  }

  /// The same values with no history: a leaf view of the same storage, as PyTorch's `.data`.
  ///
  /// Assigning replaces this tensor's values (storage, shape and strides) while keeping its
  /// identity and `grad`, as the lecture's `w.data = w.data - 0.01 * w.grad` does.
  public var data: Tensor {
    get { detached() }
    set {
      trapUnless(
        newValue.dtype == dtype || !requiresGrad,
        "data: cannot assign \(newValue.dtype) values to a \(dtype) tensor that requires grad")
      // The values replaced go to the pool when nothing else reads them.
      if let replaced = heldStorage.take() { StoragePool.recycle(replaced) }
      heldStorage = newValue.storage
      shapeDims = newValue.shapeDims
      strideDims = newValue.strideDims
      offset = newValue.offset
    }
  }

  /// A view of the same storage that is cut from the graph: a leaf that does not require grad.
  public func detached() -> Tensor {
    Tensor(storage: storage, shapeDims: shapeDims, strideDims: strideDims, offset: offset)
  }

  /// A contiguous tensor seen with another shape of the same count: a view that records nothing,
  /// for kernels.
  func viewed(as newShape: [Int]) -> Tensor {
    let dims = Dims(newShape)
    return Tensor(storage: storage, shapeDims: dims, strideDims: dims.contiguousStrides, offset: offset)
  }

  /// The transpose of a 2-D tensor, as a view that records nothing, for kernels.
  var matrixTransposed: Tensor {
    Tensor(
      storage: storage, shape: [shapeDims[1], shapeDims[0]], strides: [strideDims[1], strideDims[0]], offset: offset)
  }

  /// Makes this view look at a different part of its storage (used by view ops on fresh tensors).
  func setView(shape: [Int], strides: [Int], offset: Int) {
    shapeDims = Dims(shape)
    strideDims = Dims(strides)
    self.offset = offset
  }

  /// Records that this storage was written in place.
  func bumpVersion() { storage.version &+= 1 }
}
