/// Element-wise functions of two tensors, evaluated by `Kernels.zip` with broadcasting.
enum BinaryOp: Equatable {
  case add, sub, mul, div, pow, maximum, minimum, atan2
  /// a - floor(a / b) b: the result takes the divisor's sign, as Python's % and torch.remainder.
  case remainder
  /// a - trunc(a / b) b: the result takes the dividend's sign, as C's fmod and torch.fmod.
  case fmod
  // Fused backward rules, (gradient, value) -> gradient: one pass instead of two or three when
  // the backward pass is not itself recorded.
  /// g (1 - y²), tanh's rule from its output y.
  case tanhBackward
  /// g y (1 - y), sigmoid's rule from its output y.
  case sigmoidBackward
  /// g where x > 0, else 0 (relu's rule from its input x; a NaN gradient at x <= 0 gives 0, as PyTorch).
  case reluBackward

  @inline(__always)
  private static func loop<T>(
    _ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
    _ dst: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T
  ) {
    if sa == 1 && UnsafePointer(dst) == a {
      // In place (`w -= lr * g`, a gradient accumulating): written with one pointer, so that the
      // compiler vectorizes it; with `a` and `dst` apart it saw them overlap and stayed scalar.
      if sb == 1 {
        for i in 0..<n { dst[i] = f(dst[i], b[i]) }
      } else if sb == 0 {
        let y = b[0]
        for i in 0..<n { dst[i] = f(dst[i], y) }
      } else {
        for i in 0..<n { dst[i] = f(dst[i], b[i &* sb]) }
      }
    } else if sa == 1 && sb == 1 {
      for i in 0..<n { dst[i] = f(a[i], b[i]) }
    } else if sa == 1 && sb == 0 {
      let y = b[0]
      for i in 0..<n { dst[i] = f(a[i], y) }
    } else if sa == 0 && sb == 1 {
      let x = a[0]
      for i in 0..<n { dst[i] = f(x, b[i]) }
    } else {
      for i in 0..<n { dst[i] = f(a[i &* sa], b[i &* sb]) }
    }
  }

  func run<T: FloatingElement>(
    _ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
    _ dst: UnsafeMutablePointer<T>, _ n: Int
  ) {
    switch self {
    case .add: Self.loop(a, sa, b, sb, dst, n) { $0 + $1 }
    case .sub: Self.loop(a, sa, b, sb, dst, n) { $0 - $1 }
    case .mul: Self.loop(a, sa, b, sb, dst, n) { $0 * $1 }
    case .div: Self.loop(a, sa, b, sb, dst, n) { $0 / $1 }
    case .pow:
      Self.loop(a, sa, b, sb, dst, n) { x, y in
        if x < 0, let k = Int(exactly: y), Swift.abs(k) < 1 << 30 { return .pow(x, k) }
        return .pow(x, y)
      }
    // NaN propagates, as torch.maximum does.
    case .maximum: Self.loop(a, sa, b, sb, dst, n) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
    case .minimum: Self.loop(a, sa, b, sb, dst, n) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
    case .atan2: Self.loop(a, sa, b, sb, dst, n) { .atan2(y: $0, x: $1) }
    case .remainder:
      Self.loop(a, sa, b, sb, dst, n) { x, y in
        let r = x.truncatingRemainder(dividingBy: y)
        return r != 0 && (r < 0) != (y < 0) ? r + y : r
      }
    case .fmod: Self.loop(a, sa, b, sb, dst, n) { $0.truncatingRemainder(dividingBy: $1) }
    case .tanhBackward: Self.loop(a, sa, b, sb, dst, n) { $0 * (1 - $1 * $1) }
    case .sigmoidBackward: Self.loop(a, sa, b, sb, dst, n) { $0 * $1 * (1 - $1) }
    case .reluBackward: Self.loop(a, sa, b, sb, dst, n) { $1 > 0 ? $0 : 0 }
    }
  }

  /// The fewest elements worth a thread of their own: about 100 µs of work (ARCHITECTURE.md, "Threads").
  var elementsPerThread: Int { self == .pow || self == .atan2 ? 1 << 15 : 1 << 20 }

  /// The same ops on integers (int64 arithmetic wraps on overflow, as in PyTorch).
  func runIntegers(
    _ a: UnsafePointer<Int64>, _ sa: Int, _ b: UnsafePointer<Int64>, _ sb: Int,
    _ dst: UnsafeMutablePointer<Int64>, _ n: Int
  ) {
    switch self {
    case .add: Self.loop(a, sa, b, sb, dst, n) { $0 &+ $1 }
    case .sub: Self.loop(a, sa, b, sb, dst, n) { $0 &- $1 }
    case .mul: Self.loop(a, sa, b, sb, dst, n) { $0 &* $1 }
    case .maximum: Self.loop(a, sa, b, sb, dst, n) { Swift.max($0, $1) }
    case .minimum: Self.loop(a, sa, b, sb, dst, n) { Swift.min($0, $1) }
    case .remainder:
      Self.loop(a, sa, b, sb, dst, n) { x, y in
        trapUnless(y != 0, "remainder: integer division by zero")
        // Int64.min % -1 overflows in Swift; its remainder is 0.
        let r = x.remainderReportingOverflow(dividingBy: y).partialValue
        return r != 0 && (r < 0) != (y < 0) ? r + y : r
      }
    case .fmod:
      Self.loop(a, sa, b, sb, dst, n) { x, y in
        trapUnless(y != 0, "fmod: integer division by zero")
        return x.remainderReportingOverflow(dividingBy: y).partialValue
      }
    case .div, .pow, .atan2, .tanhBackward, .sigmoidBackward, .reluBackward:
      trap("\(self): not defined on integers here; cast to a floating-point dtype first")
    }
  }

  /// The ops PyTorch defines on two bools: + and maximum are `or`, * and minimum are `and`.
  func runBools(
    _ a: UnsafePointer<Bool>, _ sa: Int, _ b: UnsafePointer<Bool>, _ sb: Int,
    _ dst: UnsafeMutablePointer<Bool>, _ n: Int, name: StaticString
  ) {
    switch self {
    case .add, .maximum: Self.loop(a, sa, b, sb, dst, n) { $0 || $1 }
    case .mul, .minimum: Self.loop(a, sa, b, sb, dst, n) { $0 && $1 }
    default: trap("\(name): not defined on two bool tensors; cast them to int64 or a float first")
    }
  }
}
