extension Tensor {
  /// Runs `body` on the two operands brought to a common dtype by PyTorch's promotion rules:
  /// float64 wins over float32, floats win over integers, and integers (int64, bool) meet at int64.
  /// With `floating`, an integer result becomes float32 instead (true division, `pow`, `atan2`).
  ///
  /// Inlined, and two tensors of one floating dtype (the common case) reach `body` as they were
  /// passed, borrowed: returning them as a new pair would retain both and release them after the op.
  @inline(__always)
  static func promoting<Result>(
    _ a: Tensor, _ b: Tensor, op: StaticString, floating: Bool = false, _ body: (Tensor, Tensor) -> Result
  ) -> Result {
    if a.dtype == b.dtype && a.dtype.isFloatingPoint { return body(a, b) }
    let common = DType.promoted(a.dtype, b.dtype, floating: floating)
    return body(a.cast(to: common), b.cast(to: common))
  }

  /// A scalar operand as a rank-0 tensor of `other`'s dtype: Python numbers do not promote a
  /// float32 tensor to float64 in PyTorch, and neither do Swift numbers here. A whole number stays
  /// an integer next to an integer tensor; a fraction makes it float32.
  static func scalar(_ value: Double, like other: Tensor) -> Tensor {
    if other.dtype.isFloatingPoint { return Tensor(value, dtype: other.dtype) }
    return Tensor(value, dtype: value == value.rounded() && Swift.abs(value) < 9e15 ? .int64 : .float32)
  }

  /// Element-wise sum with broadcasting.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
    promoting(lhs, rhs, op: "add") { a, b in
      let out = Kernels.zip(a, b, .add, name: "add")
      // Nothing to record (as in a backward rule): skip comparing shapes.
      if !a.requiresGrad && !b.requiresGrad { return out }
      // Operands of the result's shape need no reduction, and a rule that captures nothing costs no
      // allocation.
      if a.shapeDims == b.shapeDims {
        return out.recorded("AddBackward", inputs: a, b) { g, _, needs in
          GradientList(needs[0] ? g : nil, needs[1] ? g : nil)
        }
      }
      return out.recorded("AddBackward", inputs: a, b) { [sa = a.shape, sb = b.shape] g, _, needs in
        GradientList(needs[0] ? g.unbroadcast(to: sa) : nil, needs[1] ? g.unbroadcast(to: sb) : nil)
      }
    }
  }

  /// Element-wise difference with broadcasting.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
    promoting(lhs, rhs, op: "sub") { a, b in
      let out = Kernels.zip(a, b, .sub, name: "sub")
      if !a.requiresGrad && !b.requiresGrad { return out }
      if a.shapeDims == b.shapeDims {
        return out.recorded("SubBackward", inputs: a, b) { g, _, needs in
          GradientList(needs[0] ? g : nil, needs[1] ? -g : nil)
        }
      }
      return out.recorded("SubBackward", inputs: a, b) { [sa = a.shape, sb = b.shape] g, _, needs in
        GradientList(needs[0] ? g.unbroadcast(to: sa) : nil, needs[1] ? (-g).unbroadcast(to: sb) : nil)
      }
    }
  }

  /// Element-wise product with broadcasting. Backward: d(ab) = b da + a db.
  public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
    promoting(lhs, rhs, op: "mul") { a, b in
      let out = Kernels.zip(a, b, .mul, name: "mul")
      // Nothing to record (as in a backward rule): skip choosing what to save.
      if !a.requiresGrad && !b.requiresGrad { return out }
      if a.requiresGrad && b.requiresGrad {
        return out.recorded("MulBackward", inputs: a, b, saving: TensorList(a, b)) { g, s, needs in
          let first = (g * s[1]).unbroadcast(to: s[0])
          // The second product last: into the gradient itself when the rule owns it.
          if needs.ownsGradient && s[1].shapeDims == g.shapeDims && s[0].dtype == g.dtype {
            return GradientList(first, (consume g).multipliedInPlace(by: s[0]))
          }
          return GradientList(first, (g * s[0]).unbroadcast(to: s[1]))
        }
      }
      // One operand needs a gradient: only the other (a constant, a mask) is saved, so that
      // `x * constant` keeps no value of x alive. Its shape is captured only when broadcasting
      // needs it, since a capturing rule is an allocation per op.
      // Chosen by position rather than as a pair of tensors, which would retain both.
      let xIsFirst = a.requiresGrad
      let xShape = xIsFirst ? a.shapeDims : b.shapeDims
      if xShape == out.shapeDims {
        return out.recorded("MulBackward", inputs: a, b, saving: TensorList(xIsFirst ? b : a)) { g, s, needs in
          let grad = needs.ownsGradient && s[0].dtype == g.dtype ? (consume g).multipliedInPlace(by: s[0]) : g * s[0]
          return needs[0] ? GradientList(grad, nil) : GradientList(nil, grad)
        }
      }
      return out.recorded("MulBackward", inputs: a, b, saving: TensorList(xIsFirst ? b : a)) {
        [shape = xShape.array] g, s, needs in
        let grad = (g * s[0]).unbroadcast(to: shape)
        return needs[0] ? GradientList(grad, nil) : GradientList(nil, grad)
      }
    }
  }

  /// Element-wise quotient with broadcasting. Backward: d(a/b) = da / b - a db / b².
  public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
    promoting(lhs, rhs, op: "div", floating: true) { a, b in
      Kernels.zip(a, b, .div, name: "div")
        .recorded("DivBackward", inputs: a, b, saving: TensorList(a, b)) { g, s, needs in
          GradientList(
            needs[0] ? (g / s[1]).unbroadcast(to: s[0].shape) : nil,
            needs[1] ? (-g * s[0] / (s[1] * s[1])).unbroadcast(to: s[1].shape) : nil)
        }
    }
  }

  /// Element-wise negation.
  public static prefix func - (x: Tensor) -> Tensor {
    if x.dtype == .int64 { return Tensor(integers: [0]).reshaped(to: []) - x }
    x.requireFloatingPoint("neg")
    return Kernels.map(x, Negate()).recorded("NegBackward", input: x) { g, _, context in
      GradientList(context.ownsGradient ? Kernels.mapInPlace(consume g, Negate()) : -g)
    }
  }

  // A number next to a floating-point tensor is applied directly, with one input: a constant
  // tensor for it was three allocations more per op, and its gradient was never needed.
  public static func + (lhs: Tensor, rhs: Double) -> Tensor {
    guard lhs.dtype.isFloatingPoint else { return lhs + scalar(rhs, like: lhs) }
    return Kernels.map(lhs, AddNumber(c: rhs)).recorded("AddBackward", scalar: rhs, input: lhs) {
      g, _, _ in
      GradientList(consume g)
    }
  }

  public static func + (lhs: Double, rhs: Tensor) -> Tensor {
    guard rhs.dtype.isFloatingPoint else { return scalar(lhs, like: rhs) + rhs }
    return rhs + lhs
  }

  public static func - (lhs: Tensor, rhs: Double) -> Tensor {
    guard lhs.dtype.isFloatingPoint else { return lhs - scalar(rhs, like: lhs) }
    // x + (-c) is exactly x - c in IEEE arithmetic.
    return Kernels.map(lhs, AddNumber(c: -rhs)).recorded("SubBackward", scalar: rhs, input: lhs) {
      g, _, _ in
      GradientList(consume g)
    }
  }

  public static func - (lhs: Double, rhs: Tensor) -> Tensor {
    guard rhs.dtype.isFloatingPoint else { return scalar(lhs, like: rhs) - rhs }
    return Kernels.map(rhs, SubtractFromNumber(c: lhs)).recorded("RsubBackward", scalar: lhs, input: rhs) {
      g, _, context in
      GradientList(context.ownsGradient ? Kernels.mapInPlace(consume g, Negate()) : -g)
    }
  }

  public static func * (lhs: Tensor, rhs: Double) -> Tensor {
    guard lhs.dtype.isFloatingPoint else { return lhs * scalar(rhs, like: lhs) }
    return Kernels.map(lhs, MultiplyByNumber(c: rhs)).recorded("MulBackward", scalar: rhs, input: lhs) {
      g, _, context in
      let c = context.scalar
      return GradientList(context.ownsGradient ? Kernels.mapInPlace(consume g, MultiplyByNumber(c: c)) : g * c)
    }
  }

  public static func * (lhs: Double, rhs: Tensor) -> Tensor {
    guard rhs.dtype.isFloatingPoint else { return scalar(lhs, like: rhs) * rhs }
    return rhs * lhs
  }

  public static func / (lhs: Tensor, rhs: Double) -> Tensor {
    guard lhs.dtype.isFloatingPoint else { return lhs / scalar(rhs, like: lhs) }
    return Kernels.map(lhs, DivideByNumber(c: rhs)).recorded("DivBackward", scalar: rhs, input: lhs) {
      g, _, context in
      let c = context.scalar
      return GradientList(context.ownsGradient ? Kernels.mapInPlace(consume g, DivideByNumber(c: c)) : g / c)
    }
  }

  public static func / (lhs: Double, rhs: Tensor) -> Tensor { scalar(lhs, like: rhs) / rhs }

  // The functions of the ops above. A number is converted to the element type first, as
  // PyTorch converts a Python number next to a tensor.
  private struct Negate: CheapElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { -x } }
  private struct AddNumber: CheapElementFunction {
    let c: Double
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x + T(c) }
  }
  private struct SubtractFromNumber: CheapElementFunction {
    let c: Double
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { T(c) - x }
  }
  private struct MultiplyByNumber: CheapElementFunction {
    let c: Double
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x * T(c) }
  }
  private struct DivideByNumber: CheapElementFunction {
    let c: Double
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { x / T(c) }
  }

  /// Raises each element to the power `exponent`. Backward: d(xᵖ) = p xᵖ⁻¹ dx.
  public func pow(_ exponent: Double) -> Tensor {
    requireFloatingPoint("pow")
    if exponent == 1 { return self * 1 }
    let y =
      if exponent == 2 {
        Kernels.map(self, Square())
      } else if let k = Int(exactly: exponent), Swift.abs(k) < 1 << 30 {
        Kernels.map(self, IntegerPower(k: k))
      } else {
        Kernels.map(self, RealPower(p: exponent))
      }
    return y.recorded("PowBackward", scalar: exponent, input: self, saving: TensorList(self)) {
      g, s, context in
      let p = context.scalar
      return GradientList(p == 2 ? g * 2 * s[0] : g * p * s[0].pow(p - 1))
    }
  }

  private struct Square: CheapElementFunction { func callAsFunction<T: FloatingElement>(_ x: T) -> T { x * x } }
  /// An integral exponent is defined for negative bases too (RealModule's real pow is not).
  private struct IntegerPower: ElementFunction {
    let k: Int
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { .pow(x, k) }
  }
  private struct RealPower: ElementFunction {
    let p: Double
    func callAsFunction<T: FloatingElement>(_ x: T) -> T { .pow(x, T(p)) }
  }

  /// Raises each element to the power of the matching element of `exponent`, with broadcasting.
  ///
  /// Backward: d(aᵇ) = b aᵇ⁻¹ da + aᵇ log(a) db, where the second term is taken as 0 at a = 0
  /// (the limit for b > 0, as PyTorch does).
  public func pow(_ exponent: Tensor) -> Tensor {
    Tensor.promoting(self, exponent, op: "pow", floating: true) { a, b in
      Kernels.zip(a, b, .pow, name: "pow")
        .recorded("PowBackward", inputs: a, b, saving: TensorList(a, b)) { g, s, needs in
          let (a, b) = (s[0], s[1])
          var grads = GradientList(nil, nil)
          if needs[0] { grads[0] = (g * b * a.pow(b - 1)).unbroadcast(to: a.shape) }
          if needs[1] {
            let zero = a.mask(.isZero)
            grads[1] = (g * a.pow(b) * (a + zero).log()).unbroadcast(to: b.shape)
          }
          return grads
        }
    }
  }

  /// Converts the elements to `dtype`; gradients flow back converted to the original dtype.
  public func cast(to dtype: DType) -> Tensor {
    if dtype == self.dtype { return self }
    let out = Tensor(empty: shape, dtype: dtype)
    Kernels.copy(self, into: out)
    guard dtype.isFloatingPoint else { return out }
    return out.recorded("ToCopyBackward", input: self) { [from = self.dtype] g, _, _ in
      GradientList(g.cast(to: from))
    }
  }

  func requireFloatingPoint(_ op: StaticString) {
    trapUnless(dtype.isFloatingPoint, "\(Tensor.opName(op)): expected a floating-point tensor, got \(dtype)")
  }

  /// The op a message should name: `exp` for the node name `ExpBackward`.
  static func opName(_ name: StaticString) -> String {
    let text = "\(name)"
    guard text.hasSuffix("Backward") else { return text }
    let base = text.dropLast("Backward".count)
    return base.prefix(1).lowercased() + base.dropFirst()
  }
}

extension Double {
  /// `2` for whole numbers that fit an Int, else Python's repr (`0.5`, `1e-08`): for formulas.
  package var compactDescription: String {
    self == rounded() && Swift.abs(self) < 1e15 ? String(Int(self)) : pythonRepr(self)
  }
}

extension Tensor {
  /// In a backward rule that owns this gradient (`RuleContext.ownsGradient`): the gradient times
  /// `factor` (of the same dtype, broadcast to this shape), written into it.
  __consuming func multipliedInPlace(by factor: Tensor) -> Tensor {
    Kernels.zipInPlace(self, factor, .mul)
    return self
  }
}
