infix operator .&& : LogicalConjunctionPrecedence
infix operator .|| : LogicalDisjunctionPrecedence

/// Comparisons and logic (bool results, no gradient), and the binary ops that choose between
/// their operands.
extension Tensor {
  private static func compared(_ a: Tensor, _ b: Tensor, _ op: ComparisonOp, _ name: StaticString) -> Tensor {
    promoting(a.detached(), b.detached(), op: name) { x, y in Kernels.compare(x, y, op, name: name) }
  }

  public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { compared(lhs, rhs, .equal, "eq") }
  public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { compared(lhs, rhs, .notEqual, "ne") }
  public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { compared(lhs, rhs, .less, "lt") }
  public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { compared(lhs, rhs, .lessEqual, "le") }
  public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { compared(lhs, rhs, .greater, "gt") }
  public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { compared(lhs, rhs, .greaterEqual, "ge") }
  public static func .== (lhs: Tensor, rhs: Double) -> Tensor { lhs .== scalar(rhs, like: lhs) }
  public static func .!= (lhs: Tensor, rhs: Double) -> Tensor { lhs .!= scalar(rhs, like: lhs) }
  public static func .< (lhs: Tensor, rhs: Double) -> Tensor { lhs .< scalar(rhs, like: lhs) }
  public static func .<= (lhs: Tensor, rhs: Double) -> Tensor { lhs .<= scalar(rhs, like: lhs) }
  public static func .> (lhs: Tensor, rhs: Double) -> Tensor { lhs .> scalar(rhs, like: lhs) }
  public static func .>= (lhs: Tensor, rhs: Double) -> Tensor { lhs .>= scalar(rhs, like: lhs) }

  // `x > 0` on tensors is a compile error that says where to go: a tensor has no single truth value
  // to compare, and the element-wise comparisons are the dotted operators, as for SIMD vectors.
  @available(*, unavailable, message: "compare tensors element by element with .>, which returns a bool tensor")
  public static func > (lhs: Tensor, rhs: Tensor) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare a tensor element by element with .>, which returns a bool tensor")
  public static func > (lhs: Tensor, rhs: Double) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare tensors element by element with .<, which returns a bool tensor")
  public static func < (lhs: Tensor, rhs: Tensor) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare a tensor element by element with .<, which returns a bool tensor")
  public static func < (lhs: Tensor, rhs: Double) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare tensors element by element with .>=, which returns a bool tensor")
  public static func >= (lhs: Tensor, rhs: Tensor) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare a tensor element by element with .>=, which returns a bool tensor")
  public static func >= (lhs: Tensor, rhs: Double) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare tensors element by element with .<=, which returns a bool tensor")
  public static func <= (lhs: Tensor, rhs: Tensor) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare a tensor element by element with .<=, which returns a bool tensor")
  public static func <= (lhs: Tensor, rhs: Double) -> Bool { fatalError() }
  @available(
    *, unavailable, message: "compare tensors element by element with .== (=== asks whether they are the same object)"
  )
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool { fatalError() }
  @available(*, unavailable, message: "compare a tensor element by element with .==, which returns a bool tensor")
  public static func == (lhs: Tensor, rhs: Double) -> Bool { fatalError() }

  /// Element-wise logical and of the truth values (non-zero is true).
  public static func .&& (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalAnd(rhs) }
  /// Element-wise logical or of the truth values (non-zero is true).
  public static func .|| (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalOr(rhs) }

  /// Element-wise logical and (non-zero is true), with broadcasting.
  public func logicalAnd(_ other: Tensor) -> Tensor { logic(other, "logicalAnd") { $0 && $1 } }
  /// Element-wise logical or (non-zero is true), with broadcasting.
  public func logicalOr(_ other: Tensor) -> Tensor { logic(other, "logicalOr") { $0 || $1 } }
  /// Element-wise exclusive or (non-zero is true), with broadcasting.
  public func logicalXor(_ other: Tensor) -> Tensor { logic(other, "logicalXor") { $0 != $1 } }
  /// Element-wise negation of the truth values.
  public func logicalNot() -> Tensor { Kernels.mapTo(cast(to: .bool), Bool.self, to: .bool) { !$0 } }

  private func logic(_ other: Tensor, _ name: StaticString, _ f: (Bool, Bool) -> Bool) -> Tensor {
    Kernels.zipMap(cast(to: .bool), other.cast(to: .bool), Bool.self, Bool.self, to: .bool, name: name, f)
  }

  /// Where each element is NaN.
  public func isNaN() -> Tensor { floatPredicate { $0.isNaN } }
  /// Where each element is neither infinite nor NaN.
  public func isFinite() -> Tensor { floatPredicate { $0.isFinite } }
  /// Where each element is +∞ or -∞.
  public func isInfinite() -> Tensor { floatPredicate { $0.isInfinite } }

  private func floatPredicate(_ test: (Double) -> Bool) -> Tensor {
    switch dtype {
    case .float32: Kernels.mapTo(self, Float.self, to: .bool) { test(Double($0)) }
    case .float64: Kernels.mapTo(self, Double.self, to: .bool, test)
    default: Kernels.mapTo(cast(to: .float64), Double.self, to: .bool, test)
    }
  }

  /// Whether any element is true (non-zero), as a bool scalar.
  public func any() -> Tensor { cast(to: .bool).cast(to: .float64).sum() .> 0 }
  /// Whether every element is true (non-zero), as a bool scalar.
  public func all() -> Tensor { logicalNot().any().logicalNot() }
  /// Whether any element along `axis` is true.
  public func any(axis: Int, keepDims: Bool = false) -> Tensor {
    cast(to: .bool).cast(to: .float64).sum(axis: axis, keepDims: keepDims) .> 0
  }
  /// Whether every element along `axis` is true.
  public func all(axis: Int, keepDims: Bool = false) -> Tensor {
    logicalNot().any(axis: axis, keepDims: keepDims).logicalNot()
  }

  /// `a` where `condition` is true, `b` elsewhere; all three broadcast together.
  ///
  /// Backward: the gradient goes to `a` where the condition holds and to `b` elsewhere.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let c = condition.cast(to: .bool)
    return promoting(a, b, op: "where") { x, y in
      Kernels.select(c, x, y).recorded("WhereBackward", inputs: x, y, saving: TensorList(c)) {
        [sx = x.shape, sy = y.shape] g, s, needs in
        let zero = Tensor.zeros([], dtype: g.dtype)
        return GradientList(
          needs[0] ? Tensor.where(s[0], g, zero).unbroadcast(to: sx) : nil,
          needs[1] ? Tensor.where(s[0], zero, g).unbroadcast(to: sy) : nil)
      }
    }
  }

  /// The larger of each pair of elements, with broadcasting; NaN wins.
  ///
  /// Backward: to the larger operand, split evenly at ties (as PyTorch).
  public func maximum(_ other: Tensor) -> Tensor { extremum(other, .maximum, "MaximumBackward", .greater) }

  /// The smaller of each pair of elements, with broadcasting; NaN wins.
  public func minimum(_ other: Tensor) -> Tensor { extremum(other, .minimum, "MinimumBackward", .less) }

  private func extremum(_ other: Tensor, _ op: BinaryOp, _ name: StaticString, _ wins: ComparisonOp) -> Tensor {
    Tensor.promoting(self, other, op: name) { a, b in
      Kernels.zip(a, b, op, name: name).recorded(name, inputs: a, b, saving: TensorList(a, b)) {
        g, s, needs in
        let first = Kernels.compare(s[0].detached(), s[1].detached(), wins, name: name).cast(to: g.dtype)
        let tie = Kernels.compare(s[0].detached(), s[1].detached(), .equal, name: name).cast(to: g.dtype)
        return GradientList(
          needs[0] ? (g * (first + 0.5 * tie)).unbroadcast(to: s[0].shape) : nil,
          needs[1] ? (g * (1 - first - 0.5 * tie)).unbroadcast(to: s[1].shape) : nil)
      }
    }
  }

  /// The angle of the point (x: `other`, y: `self`), in (-π, π].
  ///
  /// Backward: d/dy = x / (x² + y²), d/dx = -y / (x² + y²).
  public func atan2(_ other: Tensor) -> Tensor {
    Tensor.promoting(self, other, op: "atan2", floating: true) { y, x in
      Kernels.zip(y, x, .atan2, name: "atan2")
        .recorded("Atan2Backward", inputs: y, x, saving: TensorList(y, x)) { g, s, needs in
          let r2 = s[0] * s[0] + s[1] * s[1]
          return GradientList(
            needs[0] ? (g * s[1] / r2).unbroadcast(to: s[0].shape) : nil,
            needs[1] ? (-g * s[0] / r2).unbroadcast(to: s[1].shape) : nil)
        }
    }
  }

  /// a - floor(a / b) b: the remainder with the divisor's sign, as Python's `%` and torch.remainder.
  ///
  /// Backward: 1 for `a`, -floor(a / b) for `b`.
  public func remainder(_ other: Tensor) -> Tensor { remainder(other, .remainder, "remainder", "RemainderBackward") }

  /// a - trunc(a / b) b: the remainder with the dividend's sign, as C's `fmod` and torch.fmod.
  ///
  /// Backward: 1 for `a`, -trunc(a / b) for `b`.
  public func fmod(_ other: Tensor) -> Tensor { remainder(other, .fmod, "fmod", "FmodBackward") }

  /// `fmod` by a number.
  public func fmod(_ other: Double) -> Tensor { fmod(Tensor.scalar(other, like: self)) }

  private func remainder(_ other: Tensor, _ op: BinaryOp, _ opName: StaticString, _ name: StaticString) -> Tensor {
    Tensor.promoting(self, other, op: opName) { a, b in
      Kernels.zip(a, b, op, name: opName).recorded(name, inputs: a, b, saving: TensorList(a, b)) {
        g, s, needs in
        let quotient = s[0].detached() / s[1].detached()
        return GradientList(
          needs[0] ? g.unbroadcast(to: s[0].shape) : nil,
          needs[1] ? (-g * (op == .fmod ? quotient.trunc() : quotient.floor())).unbroadcast(to: s[1].shape) : nil)
      }
    }
  }

  public static func % (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.remainder(rhs) }
  public static func % (lhs: Tensor, rhs: Double) -> Tensor { lhs.remainder(scalar(rhs, like: lhs)) }

  /// Limits each element to `[min, max]` given as tensors (broadcast); either may be omitted.
  /// Where `min > max` the result is `max`, as in PyTorch.
  ///
  /// Backward, as PyTorch 2.15: to whichever of `self` and the bounds the result is, and split
  /// evenly between `self` and a bound it equals (as `maximum` and `minimum` split ties). When both
  /// bounds equal `self`, all of it goes to `self`.
  public func clamped(min: Tensor?, max: Tensor?) -> Tensor {
    trapUnless(min != nil || max != nil, "clamp: give at least one of min and max")
    guard let min, let max else { return min.map { maximum($0) } ?? minimum(max!) }
    let common = DType.promoted(DType.promoted(dtype, min.dtype), max.dtype)
    let (x, lo, hi) = (cast(to: common), min.cast(to: common), max.cast(to: common))
    let value = withNoGrad { x.maximum(lo).minimum(hi) }
    return value.recorded("ClampBackward", inputs: [x, lo, hi], saving: [x, lo, hi]) { g, s, needs in
      // Constant 0/1 masks of the values, so that the rule is linear in g (differentiable again).
      func mask(_ t: Tensor) -> Tensor { t.cast(to: g.dtype) }
      let (x, lo, hi) = (s[0].detached(), s[1].detached(), s[2].detached())
      let ordered = mask(lo .<= hi)
      let open = mask(lo .< hi)
      let toX =
        ordered
        * (mask((lo .< x) .&& (x .< hi)) + 0.5 * open * (mask(x .== lo) + mask(x .== hi))
          + (1 - open) * mask(x .== lo))
      let toLow = ordered * (mask(x .< lo) + 0.5 * open * mask(x .== lo))
      let toHigh = (1 - ordered) + ordered * (mask(x .> hi) + 0.5 * open * mask(x .== hi))
      return GradientList([
        needs[0] ? (g * toX).unbroadcast(to: s[0].shape) : nil,
        needs[1] ? (g * toLow).unbroadcast(to: s[1].shape) : nil,
        needs[2] ? (g * toHigh).unbroadcast(to: s[2].shape) : nil,
      ])
    }
  }
}
