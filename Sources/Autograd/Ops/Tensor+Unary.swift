extension Tensor {
  /// The element-wise exponential. Backward: d(eˣ) = eˣ dx.
  public func exp() -> Tensor {
    unaryUsingOutput(.exp, "ExpBackward", differentiable: { $0.exp() }, derivative: { g, x, y in g * y })
  }

  /// The element-wise natural logarithm. Backward: d(log x) = dx / x.
  public func log() -> Tensor {
    unary(.log, "LogBackward") { g, x in g / x }
  }

  /// The element-wise square root. Backward: d(√x) = dx / (2√x).
  public func sqrt() -> Tensor {
    unaryUsingOutput(.sqrt, "SqrtBackward", differentiable: { $0.sqrt() }, derivative: { g, x, y in g / (2 * y) })
  }

  /// The element-wise absolute value. Backward: d|x| = sign(x) dx, with 0 at x = 0 as in PyTorch.
  public func abs() -> Tensor {
    if dtype == .int64 { return maximum(-self) }
    return unary(.abs, "AbsBackward") { g, x in g * x.mask(.sign) }
  }

  /// The element-wise hyperbolic tangent. Backward: d(tanh x) = (1 - tanh² x) dx.
  public func tanh() -> Tensor {
    unaryUsingOutput(
      .tanh, "TanhBackward", differentiable: { $0.tanh() },
      derivative: { g, x, y in
        GradMode.isEnabled ? g * (1 - y * y) : Kernels.zip(g, y, .tanhBackward, name: "TanhBackward")
      })
  }

  /// The element-wise logistic function 1 / (1 + e⁻ˣ). Backward: dσ = σ (1 - σ) dx.
  public func sigmoid() -> Tensor {
    unaryUsingOutput(
      .sigmoid, "SigmoidBackward", differentiable: { $0.sigmoid() },
      derivative: { g, x, y in
        GradMode.isEnabled ? g * y * (1 - y) : Kernels.zip(g, y, .sigmoidBackward, name: "SigmoidBackward")
      })
  }

  /// The element-wise max(x, 0). Backward: dx where x > 0, and 0 elsewhere, at 0 included (as PyTorch).
  public func relu() -> Tensor {
    unary(.relu, "ReluBackward") { g, x in
      GradMode.isEnabled ? g * x.mask(.positive) : Kernels.zip(g, x, .reluBackward, name: "ReluBackward")
    }
  }

  /// Limits each element to `[min, max]` (either bound may be omitted); NaN stays NaN.
  ///
  /// Backward: dx where `min < x < max`, 0 elsewhere, at the bounds too, as PyTorch 2.15 (its
  /// rule had been `min <= x <= max` before).
  public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
    requireFloatingPoint("clamp")
    trapUnless(min != nil || max != nil, "clamp: give at least one of min and max")
    let detail = [min.map { "min: \(pythonRepr($0))" }, max.map { "max: \(pythonRepr($0))" }].compactMap { $0 }
    return unary(.clamp(min: min, max: max), "ClampBackward", detail: detail.joined(separator: ", ")) { g, x in
      g * x.mask(.strictlyWithin(min: min, max: max))
    }
  }

  /// An element-wise op whose backward needs only its input: `derivative(g, x)` is d(loss)/dx.
  func unary(
    _ op: UnaryOp, _ name: StaticString, detail: @autoclosure () -> String? = nil,
    derivative: @escaping (_ g: Tensor, _ x: Tensor) -> Tensor
  ) -> Tensor {
    requireFloatingPoint(name)
    return Kernels.map(self, op).recorded(name, detail: detail(), inputs: TensorList(self), saving: TensorList(self)) {
      g, s, _ in
      GradientList(derivative(g, s[0]))
    }
  }

  /// A 0/1 tensor computed from the values only (a constant of the backward pass, not differentiated).
  func mask(_ op: UnaryOp) -> Tensor { Kernels.map(detached(), op) }

  /// An element-wise op whose derivative is cheapest from its output `y`.
  ///
  /// The output cannot be saved as it is (it owns this node: a cycle), so a detached copy is.
  /// When the backward pass itself is recorded (`createGraph`), `y` is computed again from `x` by
  /// `differentiable` (the op's public method), so that the second derivative flows through it.
  func unaryUsingOutput(
    _ op: UnaryOp, _ name: StaticString, differentiable: @escaping (Tensor) -> Tensor,
    derivative: @escaping (_ g: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor
  ) -> Tensor {
    requireFloatingPoint(name)
    let y = Kernels.map(self, op)
    return y.recorded(name, inputs: TensorList(self), saving: TensorList(self, y.detached())) { g, s, _ in
      let y = GradMode.isEnabled && s[0].requiresGrad ? differentiable(s[0]) : s[1]
      return GradientList(derivative(g, s[0], y))
    }
  }
}
