/// Records a user-defined differentiable function: `forward` computes the result (unrecorded),
/// and `backward` maps d(loss)/d(result) to d(loss)/d(input) for each input (`nil` for none).
///
/// The result takes part in the graph like a built-in op; its `grad_fn` is `<name>Backward`.
/// `backward` receives the tensors listed in `saving`, which are released after backward (unless
/// the graph is retained) and checked for in-place changes. It should not capture tensors
/// itself: pass them through `saving`. Write `backward` with Tensor ops to allow gradients of
/// gradients.
///
/// ```swift
/// let y = customFunction("Cube", inputs: [x], saving: [x],
///                        forward: { $0[0] * $0[0] * $0[0] },
///                        backward: { grad, saved in [3 * saved[0] * saved[0] * grad] })
/// ```
public func customFunction(
  _ name: String, inputs: [Tensor], saving: [Tensor] = [],
  forward: ([Tensor]) -> Tensor,
  backward: @escaping (_ grad: Tensor, _ saved: [Tensor]) -> [Tensor?]
) -> Tensor {
  let detachedInputs = inputs.map { $0.detached() }
  let value = withNoGrad { forward(detachedInputs) }
  // A result that is one of the inputs (or a view of nothing new) gets its own tensor object,
  // so that linking it to a node never rewires the caller's tensor.
  let output = value.detached()
  let recorded = output.recorded("CustomFunctionBackward", inputs: TensorList(inputs), saving: TensorList(saving)) {
    [inputShapes = inputs.map(\.shape)] g, s, _ in
    let grads = backward(g, Array(s))
    trapUnless(
      grads.count == inputShapes.count,
      "\(name): backward returned \(grads.count) gradients for \(inputShapes.count) inputs")
    for (i, (grad, shape)) in zip(grads, inputShapes).enumerated() {
      if let grad {
        trapUnless(
          grad.shape == shape, "\(name): backward returned shape \(grad.shape) for input \(i) of shape \(shape)")
      }
    }
    return GradientList(grads)
  }
  recorded.gradFn?.customName = name
  return recorded
}

/// Runs `f` without storing its intermediate values, and runs it again during backward to get
/// them: memory for time, as PyTorch's `torch.utils.checkpoint`.
///
/// `f` must compute the same values when run again (pass an explicitly seeded generator to any
/// random op inside it).
public func checkpoint(_ inputs: [Tensor], _ f: @escaping ([Tensor]) -> Tensor) -> Tensor {
  let output = withNoGrad { f(inputs.map { $0.detached() }) }.detached()
  return output.recorded("CheckpointBackward", inputs: TensorList(inputs), saving: TensorList(inputs)) {
    g, saved, needs in
    gradientsByRecomputing(f, inputs: Array(saved), outputGradient: g, needs: needs)
  }
}

/// A backward rule's gradients found by running `f` again on its inputs with the graph recorded
/// and back-propagating `outputGradient` through it. Under `createGraph` (grad mode on during
/// backward) the recomputed graph hangs from the inputs' own, so gradients of these gradients flow.
func gradientsByRecomputing(
  _ f: ([Tensor]) -> Tensor, inputs: [Tensor], outputGradient g: Tensor, needs: RuleContext
) -> GradientList {
  let createGraph = GradMode.isEnabled
  let xs = inputs.map { x -> Tensor in
    if createGraph && x.requiresGrad { return x }
    let leaf = x.detached()
    leaf.requiresGrad = x.dtype.isFloatingPoint
    return leaf
  }
  let y = withGrad { f(xs) }
  guard y.requiresGrad else { return GradientList(xs.lazy.map { _ in nil }) }
  let grads = grad(of: y, withRespectTo: xs, outputGradient: g, createGraph: createGraph)
  return GradientList(grads.enumerated().lazy.map { needs[$0.offset] ? $0.element : nil })
}
