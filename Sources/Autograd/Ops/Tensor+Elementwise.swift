/// How an element-wise op of one tensor records itself, and the 0/1 masks that backward rules use.
///
/// The ops themselves are in `Tensor+Math.swift` and `Tensor+Activation.swift`: each is its public
/// method with its backward rule, and below it the `ElementFunction` its kernel applies.
extension Tensor {
  /// An element-wise op whose backward needs only its input: `derivative(g, x)` is d(loss)/dx.
  func unary<F: ElementFunction>(
    _ f: F, _ name: StaticString, detail: @autoclosure () -> String? = nil,
    derivative: @escaping (_ g: Tensor, _ x: Tensor) -> Tensor
  ) -> Tensor {
    requireFloatingPoint(name)
    return Kernels.map(self, f).recorded(name, detail: detail(), input: self, saving: TensorList(self)) {
      g, s, _ in
      GradientList(derivative(g, s[0]))
    }
  }

  /// An element-wise op whose derivative is cheapest from its output `y`.
  ///
  /// The output cannot be saved as it is (it owns this node: a cycle), so a detached copy is.
  /// When the backward pass itself is recorded (`createGraph`), `y` is computed again from `x` by
  /// `differentiable` (the op's public method), so that the second derivative flows through it.
  func unaryUsingOutput<F: ElementFunction>(
    _ f: F, _ name: StaticString, differentiable: @escaping (Tensor) -> Tensor,
    derivative: @escaping (_ g: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor
  ) -> Tensor {
    requireFloatingPoint(name)
    let y = Kernels.map(self, f)
    return y.recorded(name, input: self, saving: TensorList(self, y.detached())) { g, s, _ in
      let y = GradMode.isEnabled && s[0].requiresGrad ? differentiable(s[0]) : s[1]
      return GradientList(derivative(g, s[0], y))
    }
  }

  /// An op that is flat almost everywhere: recorded so that gradients flow (as zeros), like PyTorch.
  func piecewiseConstant<F: ElementFunction>(_ f: F, _ name: StaticString) -> Tensor {
    requireFloatingPoint(name)
    return Kernels.map(self, f).recorded(name, input: self) { g, _, _ in GradientList(g * 0) }
  }

  /// A 0/1 tensor computed from the values only (a constant of the backward pass, not differentiated).
  func mask<F: ElementFunction>(_ f: F) -> Tensor { Kernels.map(detached(), f) }
}

/// 1 where x > 0, else 0 (relu's derivative; 0 at the kink, as in PyTorch).
struct IsPositive: CheapElementFunction {
  func callAsFunction<T: FloatingElement>(_ x: T) -> T { x > 0 ? 1 : 0 }
}

/// 1 where x == 0, else 0.
struct IsZero: CheapElementFunction {
  func callAsFunction<T: FloatingElement>(_ x: T) -> T { x == 0 ? 1 : 0 }
}

/// 1 where min < x < max, else 0; a missing bound does not limit (the derivative of clamp and
/// hardtanh: open bounds, as PyTorch 2.15).
struct IsStrictlyWithin: CheapElementFunction {
  let min: Double?
  let max: Double?
  func callAsFunction<T: FloatingElement>(_ x: T) -> T {
    x > T(min ?? -.infinity) && x < T(max ?? .infinity) ? 1 : 0
  }
}

/// -1, 0 or 1 (NaN stays NaN): the sign op, and abs's derivative.
struct Sign: CheapElementFunction {
  func callAsFunction<T: FloatingElement>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : x) }
}

extension ElementFunction where Self == IsPositive {
  static var positive: Self { Self() }
}

extension ElementFunction where Self == IsZero {
  static var isZero: Self { Self() }
}

extension ElementFunction where Self == IsStrictlyWithin {
  static func strictlyWithin(min: Double?, max: Double?) -> Self { Self(min: min, max: max) }
}

extension ElementFunction where Self == Sign {
  static var sign: Self { Self() }
}
