/// The arithmetic of two tensors, evaluated by `Kernels.zip` with broadcasting, on every dtype
/// that defines it.
enum BinaryOp: Equatable {
  case add, sub, mul, div, pow, maximum, minimum, atan2
  /// a - floor(a / b) b: the result takes the divisor's sign, as Python's % and torch.remainder.
  case remainder
  /// a - trunc(a / b) b: the result takes the dividend's sign, as C's fmod and torch.fmod.
  case fmod

  func run<T: FloatingElement>(
    _ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
    _ dst: UnsafeMutablePointer<T>, _ n: Int
  ) {
    switch self {
    case .add: applyPairwise(a, sa, b, sb, dst, n) { $0 + $1 }
    case .sub: applyPairwise(a, sa, b, sb, dst, n) { $0 - $1 }
    case .mul: applyPairwise(a, sa, b, sb, dst, n) { $0 * $1 }
    case .div: applyPairwise(a, sa, b, sb, dst, n) { $0 / $1 }
    case .pow: applyPairwise(a, sa, b, sb, dst, n, Self.power)
    case .maximum: applyPairwise(a, sa, b, sb, dst, n, Self.maximum)
    case .minimum: applyPairwise(a, sa, b, sb, dst, n, Self.minimum)
    case .atan2: applyPairwise(a, sa, b, sb, dst, n) { .atan2(y: $0, x: $1) }
    case .remainder: applyPairwise(a, sa, b, sb, dst, n, Self.remainder)
    case .fmod: applyPairwise(a, sa, b, sb, dst, n) { $0.truncatingRemainder(dividingBy: $1) }
    }
  }

  /// The op on one pair of elements, as `run` computes it for each pair.
  @inline(__always)
  func callAsFunction<T: FloatingElement>(_ x: T, _ y: T) -> T {
    switch self {
    case .add: x + y
    case .sub: x - y
    case .mul: x * y
    case .div: x / y
    case .pow: Self.power(x, y)
    case .maximum: Self.maximum(x, y)
    case .minimum: Self.minimum(x, y)
    case .atan2: .atan2(y: x, x: y)
    case .remainder: Self.remainder(x, y)
    case .fmod: x.truncatingRemainder(dividingBy: y)
    }
  }

  // The ops of more than one instruction, shared by `run` and `callAsFunction`.
  @inline(__always)
  private static func power<T: FloatingElement>(_ x: T, _ y: T) -> T {
    if x < 0, let k = Int(exactly: y), Swift.abs(k) < 1 << 30 { return .pow(x, k) }
    return .pow(x, y)
  }
  // NaN propagates, as torch.maximum does.
  @inline(__always)
  private static func maximum<T: FloatingElement>(_ x: T, _ y: T) -> T { x.isNaN || y.isNaN ? .nan : Swift.max(x, y) }
  @inline(__always)
  private static func minimum<T: FloatingElement>(_ x: T, _ y: T) -> T { x.isNaN || y.isNaN ? .nan : Swift.min(x, y) }
  @inline(__always)
  private static func remainder<T: FloatingElement>(_ x: T, _ y: T) -> T {
    let r = x.truncatingRemainder(dividingBy: y)
    return r != 0 && (r < 0) != (y < 0) ? r + y : r
  }

  /// The fewest elements worth a thread of their own (ARCHITECTURE.md, "Threads").
  var elementsPerThread: Int {
    self == .pow || self == .atan2 ? Threading.costlyElementsPerThread : Threading.cheapElementsPerThread
  }

  /// The same ops on integers (int64 arithmetic wraps on overflow, as in PyTorch).
  func runIntegers(
    _ a: UnsafePointer<Int64>, _ sa: Int, _ b: UnsafePointer<Int64>, _ sb: Int,
    _ dst: UnsafeMutablePointer<Int64>, _ n: Int
  ) {
    switch self {
    case .add: applyPairwise(a, sa, b, sb, dst, n) { $0 &+ $1 }
    case .sub: applyPairwise(a, sa, b, sb, dst, n) { $0 &- $1 }
    case .mul: applyPairwise(a, sa, b, sb, dst, n) { $0 &* $1 }
    case .maximum: applyPairwise(a, sa, b, sb, dst, n) { Swift.max($0, $1) }
    case .minimum: applyPairwise(a, sa, b, sb, dst, n) { Swift.min($0, $1) }
    case .remainder:
      applyPairwise(a, sa, b, sb, dst, n) { x, y in
        trapUnless(y != 0, "remainder: integer division by zero")
        // Int64.min % -1 overflows in Swift; its remainder is 0.
        let r = x.remainderReportingOverflow(dividingBy: y).partialValue
        return r != 0 && (r < 0) != (y < 0) ? r + y : r
      }
    case .fmod:
      applyPairwise(a, sa, b, sb, dst, n) { x, y in
        trapUnless(y != 0, "fmod: integer division by zero")
        return x.remainderReportingOverflow(dividingBy: y).partialValue
      }
    case .div, .pow, .atan2:
      trap("\(self): not defined on integers here; cast to a floating-point dtype first")
    }
  }

  /// The ops PyTorch defines on two bools: + and maximum are `or`, * and minimum are `and`.
  func runBools(
    _ a: UnsafePointer<Bool>, _ sa: Int, _ b: UnsafePointer<Bool>, _ sb: Int,
    _ dst: UnsafeMutablePointer<Bool>, _ n: Int, name: StaticString
  ) {
    switch self {
    case .add, .maximum: applyPairwise(a, sa, b, sb, dst, n) { $0 || $1 }
    case .mul, .minimum: applyPairwise(a, sa, b, sb, dst, n) { $0 && $1 }
    default: trap("\(name): not defined on two bool tensors; cast them to int64 or a float first")
    }
  }
}
