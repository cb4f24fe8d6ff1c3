extension Tensor {
  /// Checks that an in-place write cannot corrupt the graph, as PyTorch does.
  private func requireInPlaceAllowed(_ op: StaticString, _ other: Tensor?) {
    guard GradMode.isEnabled else { return }
    trapUnless(
      !(isLeaf && requiresGrad),
      """
      \(op): a leaf tensor that requires grad is updated in place; \
      do the update inside withNoGrad { } (as an optimizer step does)
      """)
    trapUnless(
      !requiresGrad && !(other?.requiresGrad ?? false),
      """
      \(op): in-place updates of tensors in a recorded graph are not supported; \
      use the out-of-place op, or withNoGrad { }
      """)
  }

  private func updateInPlace(_ rhs: Tensor, _ op: BinaryOp, _ name: StaticString) {
    requireInPlaceAllowed(name, rhs)
    // As PyTorch: `ints += floats` and `ints /= 2` would have to truncate the result; they trap.
    let result = DType.promoted(dtype, rhs.dtype, floating: op == .div)
    trapUnless(
      result.canBeStored(in: dtype), "\(name): the result type \(result) can't be cast to the tensor's dtype \(dtype)")
    trapUnless(
      Shape.broadcast(shape, rhs.shape, op: name) == shape,
      "\(name): the result of shape \(Shape.broadcast(shape, rhs.shape, op: name)) does not fit the tensor of shape \(shape)"
    )
    Kernels.zipInPlace(self, rhs.dtype == dtype ? rhs : rhs.cast(to: dtype), op)
    bumpVersion()
  }

  public static func += (lhs: Tensor, rhs: Tensor) { lhs.updateInPlace(rhs, .add, "add_") }
  public static func -= (lhs: Tensor, rhs: Tensor) { lhs.updateInPlace(rhs, .sub, "sub_") }
  public static func *= (lhs: Tensor, rhs: Tensor) { lhs.updateInPlace(rhs, .mul, "mul_") }
  public static func /= (lhs: Tensor, rhs: Tensor) { lhs.updateInPlace(rhs, .div, "div_") }
  public static func += (lhs: Tensor, rhs: Double) { lhs += scalar(rhs, like: lhs) }
  public static func -= (lhs: Tensor, rhs: Double) { lhs -= scalar(rhs, like: lhs) }
  public static func *= (lhs: Tensor, rhs: Double) { lhs *= scalar(rhs, like: lhs) }
  public static func /= (lhs: Tensor, rhs: Double) { lhs /= scalar(rhs, like: lhs) }

  /// Limits every element to `[min, max]`, in place (as `clamp_`).
  public func clamp(min: Double? = nil, max: Double? = nil) {
    requireInPlaceAllowed("clamp_", nil)
    Kernels.copy(Kernels.map(self, .clamp(min: min, max: max)), into: self)
    bumpVersion()
  }

  /// Sets every element to zero, in place (as `grad.zero_()`).
  public func zero() { fill(0) }

  /// Sets every element to `value`, in place.
  public func fill(_ value: Double) {
    requireInPlaceAllowed("fill_", nil)
    Kernels.fill(self, value)
    bumpVersion()
  }

  /// Writes `source` (broadcast to this shape) into this tensor's elements, in place.
  public func copy(from source: Tensor) {
    requireInPlaceAllowed("copy_", source)
    trapUnless(
      Shape.broadcast(shape, source.shape, op: "copy_") == shape,
      "copy_: a tensor of shape \(source.shape) cannot be written into one of shape \(shape)")
    Kernels.copy(source, into: self)
    bumpVersion()
  }
}

extension Kernels {
  /// `dst = op(dst, src)` in place, with `src` broadcast to `dst`'s shape. Computed out of place
  /// first, so overlapping operands and non-contiguous destinations are handled alike.
  static func zipInPlace(_ dst: Tensor, _ src: Tensor, _ op: BinaryOp) {
    // The common case (an optimizer step, a gradient accumulation): a contiguous destination and a
    // same-shaped contiguous or single-value source in another buffer, updated directly.
    let direct =
      dst.isContiguous && src.dtype == dst.dtype && dst.dtype.isFloatingPoint && src.storage !== dst.storage
      && (src.count == 1 || (src.shape == dst.shape && src.isContiguous))
    guard direct else { return copy(zip(dst, src, op, name: "in-place op"), into: dst) }
    let step = src.count == 1 ? 0 : 1
    func run<T: FloatingElement>(_: T.Type) {
      let d = dst.basePointer(T.self) + dst.offset
      let s = UnsafePointer(src.basePointer(T.self) + src.offset)
      Threading.forEachRange(dst.count, minimumPerThread: op.elementsPerThread) { r in
        op.run(UnsafePointer(d + r.lowerBound), 1, s + r.lowerBound * step, step, d + r.lowerBound, r.count)
      }
    }
    if dst.dtype == .float32 { run(Float.self) } else { run(Double.self) }
  }
}
