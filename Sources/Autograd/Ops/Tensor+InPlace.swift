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
    Kernels.copy(Kernels.map(self, Clamp(min: min, max: max)), into: self)
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
