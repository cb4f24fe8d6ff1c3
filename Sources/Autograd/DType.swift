/// The element type of a tensor, chosen at run time.
///
/// `float32` is the default; `float64` serves gradient checks and science; `int64` and `bool`
/// hold indices and masks. A runtime value (rather than a generic parameter) keeps file formats
/// and mixed code simple, as in PyTorch and MLX.
public enum DType: Sendable, Hashable, CustomStringConvertible {
  case float32, float64, int64, bool

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float32: 4
    case .float64, .int64: 8
    case .bool: 1
    }
  }

  /// Whether arithmetic and gradients are defined for this type.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// The dtype two operands meet at, by PyTorch's promotion rules: float64 wins over float32,
  /// floats win over integers, int64 over bool, and two bools stay bool. With `floating`, an integer
  /// result becomes float32 instead (true division, `pow`, `atan2`).
  static func promoted(_ a: DType, _ b: DType, floating: Bool = false) -> DType {
    if a == .bool && b == .bool && !floating { return .bool }
    return a == .float64 || b == .float64 ? .float64 : a == .float32 || b == .float32 || floating ? .float32 : .int64
  }

  /// Whether an in-place op may store a result of this dtype in a tensor of `target` dtype, by
  /// PyTorch's rule: never a float into an integer tensor, nor a number into a bool tensor.
  func canBeStored(in target: DType) -> Bool {
    switch target {
    case .float32, .float64: true
    case .int64: !isFloatingPoint
    case .bool: self == .bool
    }
  }

  public var description: String {
    switch self {
    case .float32: "float32"
    case .float64: "float64"
    case .int64: "int64"
    case .bool: "bool"
    }
  }
}

/// A Swift type that can be the element of a tensor: `Float`, `Double`, `Int64` or `Bool`.
public protocol TensorScalar: Sendable {
  /// The dtype whose elements are stored as this type.
  static var dtype: DType { get }
  /// Converts from the common currency of element conversions.
  init(fromDouble value: Double)
  /// Converts to the common currency of element conversions.
  var doubleValue: Double { get }
}

extension Float: TensorScalar {
  public static var dtype: DType { .float32 }
  public init(fromDouble value: Double) { self = Float(value) }
  public var doubleValue: Double { Double(self) }
}

extension Double: TensorScalar {
  public static var dtype: DType { .float64 }
  public init(fromDouble value: Double) { self = value }
  public var doubleValue: Double { self }
}

extension Int64: TensorScalar {
  public static var dtype: DType { .int64 }
  /// Truncates toward zero, as a cast from float to int does in PyTorch.
  public init(fromDouble value: Double) {
    self = value.isFinite ? Int64(exactly: value.rounded(.towardZero)) ?? (value < 0 ? .min : .max) : 0
  }
  public var doubleValue: Double { Double(self) }
}

extension Bool: TensorScalar {
  public static var dtype: DType { .bool }
  public init(fromDouble value: Double) { self = value != 0 }
  public var doubleValue: Double { self ? 1 : 0 }
}
