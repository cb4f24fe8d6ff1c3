/// Derivatives of functions, as PyTorch's `torch.autograd.functional`: vector-Jacobian and
/// Jacobian-vector products, full Jacobians and Hessians, and Hessian-vector products.
///
/// The function is evaluated at leaves made from `inputs` (views of the same values), so the
/// caller's tensors and their `grad` are not touched. With `createGraph`, inputs that require
/// grad are used as they are, so the results can be differentiated with respect to them.
private func leaves(_ inputs: [Tensor], createGraph: Bool) -> [Tensor] {
  inputs.map { x in
    if createGraph && x.requiresGrad { return x }
    trapUnless(x.dtype.isFloatingPoint, "autograd.functional: inputs must be floating point, got \(x.dtype)")
    let leaf = x.detached()
    leaf.requiresGrad = true
    return leaf
  }
}

private func orZeros(_ grads: [Tensor?], like inputs: [Tensor]) -> [Tensor] {
  zip(grads, inputs).map { g, x in g ?? Tensor.zeros(x.shape, dtype: x.dtype) }
}

/// f(inputs) and vᵀ J: the gradient of ⟨f, cotangent⟩ with respect to each input (zeros for
/// inputs f does not depend on). `cotangent` may be omitted when f is a scalar.
public func vjp(
  _ f: ([Tensor]) -> Tensor, at inputs: [Tensor], cotangent: Tensor? = nil,
  createGraph: Bool = false
) -> (value: Tensor, gradients: [Tensor]) {
  let xs = leaves(inputs, createGraph: createGraph)
  let y = withGrad { f(xs) }
  guard y.requiresGrad else { return (y, orZeros(xs.map { _ in nil }, like: xs)) }
  let g = withGrad { grad(of: y, withRespectTo: xs, outputGradient: cotangent, createGraph: createGraph) }
  return (createGraph ? y : y.detached(), orZeros(g, like: xs))
}

/// f(inputs) and J · tangents: the directional derivative of f along `tangents` (one per input).
///
/// Computed with two reverse passes (the "double vjp" trick), so every op supports it.
public func jvp(
  _ f: ([Tensor]) -> Tensor, at inputs: [Tensor], tangents: [Tensor],
  createGraph: Bool = false
) -> (value: Tensor, derivative: Tensor) {
  trapUnless(
    tangents.count == inputs.count && zip(tangents, inputs).allSatisfy { $0.shapeDims == $1.shape },
    "jvp: expected one tangent per input with the input's shape")
  let xs = leaves(inputs, createGraph: createGraph)
  let y = withGrad { f(xs) }
  guard y.requiresGrad else { return (y, Tensor.zeros(y.shape, dtype: y.dtype)) }
  return withGrad {
    // g(u) = Jᵀu is linear in u, so d⟨g(u), t⟩/du = J t.
    let u = Tensor.zeros(y.shape, dtype: y.dtype, requiresGrad: true)
    let g = grad(of: y, withRespectTo: xs, outputGradient: u, createGraph: true)
    var inner = Tensor.zeros([], dtype: y.dtype)
    for (gi, t) in zip(g, tangents) { if let gi { inner = inner + (gi * t).sum() } }
    guard inner.requiresGrad else { return (y.detached(), Tensor.zeros(y.shape, dtype: y.dtype)) }
    let jt = grad(of: inner, withRespectTo: [u], createGraph: createGraph)[0] ?? Tensor.zeros(y.shape, dtype: y.dtype)
    return (createGraph ? y : y.detached(), jt)
  }
}

/// The Jacobian of f at `inputs`, one block per input, each of shape `f.shape + input.shape`.
public func jacobian(_ f: ([Tensor]) -> Tensor, at inputs: [Tensor], createGraph: Bool = false) -> [Tensor] {
  let xs = leaves(inputs, createGraph: createGraph)
  let y = withGrad { f(xs) }
  return jacobianBlocks(of: y, withRespectTo: xs, createGraph: createGraph)
}

/// The Jacobian of a single-input function, of shape `f.shape + input.shape`.
public func jacobian(_ f: (Tensor) -> Tensor, at input: Tensor, createGraph: Bool = false) -> Tensor {
  jacobian({ f($0[0]) }, at: [input], createGraph: createGraph)[0]
}

/// Rows of d(y)/d(xs), one backward pass per element of y.
private func jacobianBlocks(of y: Tensor, withRespectTo xs: [Tensor], createGraph: Bool) -> [Tensor] {
  guard y.requiresGrad else { return xs.map { Tensor.zeros(y.shape + $0.shape, dtype: y.dtype) } }
  var rows = xs.map { _ in [Tensor]() }
  withGrad {
    for i in 0..<y.count {
      var e = [Double](repeating: 0, count: y.count)
      e[i] = 1
      let seed = Tensor(e, shape: y.shape, dtype: y.dtype)
      let g = grad(of: y, withRespectTo: xs, outputGradient: seed, retainGraph: true, createGraph: createGraph)
      for (k, row) in orZeros(g, like: xs).enumerated() { rows[k].append(row) }
    }
  }
  return zip(rows, xs).map { row, x in
    row.isEmpty ? Tensor.zeros(y.shape + x.shape, dtype: y.dtype) : Tensor.stack(row).reshaped(to: y.shape + x.shape)
  }
}

/// The Hessian of a scalar function of one input, of shape `input.shape + input.shape`.
public func hessian(_ f: (Tensor) -> Tensor, at input: Tensor) -> Tensor {
  let x = leaves([input], createGraph: false)[0]
  return withGrad {
    let y = f(x)
    trapUnless(y.count == 1, "hessian: the function must return a single value, got shape \(y.shape)")
    guard y.requiresGrad, let g = grad(of: y, withRespectTo: [x], createGraph: true)[0] else {
      return Tensor.zeros(input.shape + input.shape, dtype: input.dtype)
    }
    return jacobianBlocks(of: g, withRespectTo: [x], createGraph: false)[0]
  }
}

/// f(inputs) and H · vectors for a scalar f, without forming the Hessian (two reverse passes).
public func hvp(_ f: ([Tensor]) -> Tensor, at inputs: [Tensor], vectors: [Tensor]) -> (
  value: Tensor, products: [Tensor]
) {
  trapUnless(
    vectors.count == inputs.count && zip(vectors, inputs).allSatisfy { $0.shapeDims == $1.shape },
    "hvp: expected one vector per input with the input's shape")
  let xs = leaves(inputs, createGraph: false)
  return withGrad {
    let y = f(xs)
    trapUnless(y.count == 1, "hvp: the function must return a single value, got shape \(y.shape)")
    guard y.requiresGrad else { return (y, orZeros(xs.map { _ in nil }, like: xs)) }
    let g = grad(of: y, withRespectTo: xs, createGraph: true)
    var inner = Tensor.zeros([], dtype: y.dtype)
    for (gi, v) in zip(g, vectors) { if let gi { inner = inner + (gi * v).sum() } }
    guard inner.requiresGrad else { return (y.detached(), orZeros(xs.map { _ in nil }, like: xs)) }
    return (y.detached(), orZeros(grad(of: inner, withRespectTo: xs), like: xs))
  }
}
