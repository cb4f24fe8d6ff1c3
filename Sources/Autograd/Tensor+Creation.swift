extension Tensor {
  /// Creates a tensor from values in row-major order, converted to `dtype`.
  ///
  /// `shape` defaults to `[values.count]`, a vector.
  /// - Precondition: The shape holds exactly `values.count` elements.
  public convenience init(
    _ values: [Double], shape: [Int]? = nil, dtype: DType = .float32,
    requiresGrad: Bool = false
  ) {
    self.init(values: values, shape: shape, dtype: dtype)
    self.requiresGrad = requiresGrad
  }

  /// Creates a float32 tensor from `Float` values in row-major order.
  public convenience init(_ values: [Float], shape: [Int]? = nil, requiresGrad: Bool = false) {
    self.init(values: values, shape: shape, dtype: .float32)
    self.requiresGrad = requiresGrad
  }

  /// Creates a scalar (rank 0) tensor.
  public convenience init(_ value: Double, dtype: DType = .float32, requiresGrad: Bool = false) {
    // Written directly: scalars are made on every op with a number operand.
    self.init(empty: [], dtype: dtype)
    switch dtype {
    case .float32: storage.pointer(Float.self).pointee = Float(value)
    case .float64: storage.pointer(Double.self).pointee = value
    case .int64: storage.pointer(Int64.self).pointee = Int64(fromDouble: value)
    case .bool: storage.pointer(Bool.self).pointee = value != 0
    }
    if requiresGrad { self.requiresGrad = true }
  }

  /// Creates an int64 tensor, as for indices.
  public convenience init(integers values: [Int], shape: [Int]? = nil) {
    self.init(values: values.map(Int64.init), shape: shape, dtype: .int64)
  }

  /// Creates a bool tensor, as for masks.
  public convenience init(bools values: [Bool], shape: [Int]? = nil) {
    self.init(values: values, shape: shape, dtype: .bool)
  }

  convenience init<S: TensorScalar>(values: [S], shape: [Int]?, dtype: DType) {
    let shape = shape ?? [values.count]
    self.init(empty: shape, dtype: dtype)
    trapUnless(
      count == values.count, "Tensor: shape \(shape) holds \(count) elements, but \(values.count) values were given")
    // An empty shape may be too large to address at the source's element size: nothing to copy anyway.
    if values.isEmpty { return }
    if S.dtype == dtype {
      let p = storage.pointer(S.self)
      for (i, v) in values.enumerated() { p[i] = v }
    } else {
      let source = Tensor(values: values, shape: shape, dtype: S.dtype)
      Kernels.copy(source, into: self)
    }
  }

  /// A tensor of zeros.
  public static func zeros(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
    full(shape, value: 0, dtype: dtype, requiresGrad: requiresGrad)
  }

  /// A tensor of ones.
  public static func ones(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
    full(shape, value: 1, dtype: dtype, requiresGrad: requiresGrad)
  }

  /// A tensor with every element equal to `value`.
  public static func full(
    _ shape: [Int], value: Double, dtype: DType = .float32,
    requiresGrad: Bool = false
  ) -> Tensor {
    trapUnless(shape.allSatisfy { $0 >= 0 }, "full: negative size in shape \(shape)")
    let t = Tensor(empty: shape, dtype: dtype, zeroed: value == 0)
    if value != 0 { Kernels.fill(t, value) }
    t.requiresGrad = requiresGrad
    return t
  }

  /// Zeros with the shape and dtype of `other`.
  public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }

  /// Ones with the shape and dtype of `other`.
  public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype) }

  /// The values `start, start + step, ...` below `end` (above it for a negative step), as a vector.
  public static func arange(
    _ start: Double = 0, _ end: Double, step: Double = 1,
    dtype: DType = .float32
  ) -> Tensor {
    trapUnless(step != 0 && step.isFinite, "arange: step must be finite and non-zero, got \(step)")
    let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
    return Tensor((0..<n).map { start + Double($0) * step }, dtype: dtype)
  }

  /// The values `0, 1, ...` below `end`, as PyTorch's `arange(end)`. The dtype is this library's
  /// default, float32 (PyTorch gives int64 for an integer `end`); pass `dtype: .int64` for indices.
  public static func arange(_ end: Double, dtype: DType = .float32) -> Tensor {
    arange(0, end, dtype: dtype)
  }

  /// `steps` evenly spaced values from `start` to `end`, both included, as PyTorch's
  /// `linspace(start, end, steps)`, and with its very values: the first half counts up from
  /// `start`, the second down from `end`, each value one fused multiply-add in the tensor's own
  /// precision (so `linspace(-.pi, .pi, 2000)` in float32 is PyTorch's to the bit).
  public static func linspace(_ start: Double, _ end: Double, _ steps: Int, dtype: DType = .float32) -> Tensor {
    trapUnless(steps >= 0, "linspace: number of steps must be non-negative, got \(steps)")
    if steps == 1 { return Tensor([start], dtype: dtype) }
    func filled<F: BinaryFloatingPoint>(_ start: F, _ end: F) -> [Double] {
      let step = (end - start) / F(steps - 1)
      return (0..<steps).map { i in
        Double(i < steps / 2 ? start.addingProduct(step, F(i)) : end.addingProduct(-step, F(steps - 1 - i)))
      }
    }
    let values = dtype == .float32 ? filled(Float(start), Float(end)) : filled(start, end)
    return Tensor(values, dtype: dtype)
  }

  /// The `n` x `m` identity matrix (ones on the diagonal).
  public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) -> Tensor {
    let m = m ?? n
    var values = [Double](repeating: 0, count: n * m)
    for i in 0..<Swift.min(n, m) { values[i * m + i] = 1 }
    return Tensor(values, shape: [n, m], dtype: dtype)
  }

  /// Uniform random values in [0, 1) from `generator`; a leaf that requires grad with `requiresGrad`.
  public static func rand(
    _ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false, generator: inout RandomGenerator
  ) -> Tensor {
    drawn(shape, dtype, requiresGrad) { generator.nextUniform() }
  }

  /// Standard normal random values from `generator`; a leaf that requires grad with `requiresGrad`.
  public static func randn(
    _ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false, generator: inout RandomGenerator
  ) -> Tensor {
    let count = Shape.count(shape)
    let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
      generator.fillNormals(UnsafeMutableBufferPointer(rebasing: buffer[..<count]))
      initialized = count
    }
    return Tensor(values, shape: shape, dtype: dtype, requiresGrad: requiresGrad)
  }

  /// A tensor of `shape` filled, in row-major order, with what `draw` returns.
  private static func drawn(_ shape: [Int], _ dtype: DType, _ requiresGrad: Bool, _ draw: () -> Double) -> Tensor {
    Tensor((0..<Shape.count(shape)).map { _ in draw() }, shape: shape, dtype: dtype, requiresGrad: requiresGrad)
  }

  /// Uniform random integers in `low..<high` from `generator`, as an int64 tensor.
  public static func randint(low: Int = 0, high: Int, shape: [Int], generator: inout RandomGenerator) -> Tensor {
    trapUnless(low < high, "randint: low (\(low)) must be below high (\(high))")
    let range = Int64(low)..<Int64(high)
    return Tensor(
      values: (0..<Shape.count(shape)).map { _ in generator.nextInt(in: range) }, shape: shape, dtype: .int64)
  }

  /// Uniform random values in [0, 1) from the global generator (see `manualSeed`), as
  /// `torch.rand(3, 4, requires_grad=True)`.
  public static func rand(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
    RandomGenerator.global.withLock { rand(shape, dtype: dtype, requiresGrad: requiresGrad, generator: &$0) }
  }

  /// Standard normal random values from the global generator (see `manualSeed`), as
  /// `torch.randn(3, 4, requires_grad=True)`.
  public static func randn(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
    RandomGenerator.global.withLock { randn(shape, dtype: dtype, requiresGrad: requiresGrad, generator: &$0) }
  }

  /// Uniform random integers in `low..<high` from the global generator (see `manualSeed`).
  public static func randint(low: Int = 0, high: Int, shape: [Int]) -> Tensor {
    RandomGenerator.global.withLock { randint(low: low, high: high, shape: shape, generator: &$0) }
  }

  /// The value of a one-element tensor, as PyTorch's `item()`.
  /// - Precondition: The tensor has exactly one element.
  public func item() -> Double {
    trapUnless(count == 1, "item: the tensor has shape \(shape) (\(count) elements); item() needs exactly one")
    // Read in place: item() runs once per step in training loops.
    return switch dtype {
    case .float32: Double(storage.pointer(Float.self)[offset])
    case .float64: storage.pointer(Double.self)[offset]
    case .int64: Double(storage.pointer(Int64.self)[offset])
    case .bool: storage.pointer(Bool.self)[offset] ? 1 : 0
    }
  }

  /// The elements in row-major order, converted to `T`.
  public func scalars<T: TensorScalar>(as _: T.Type = Float.self) -> [T] {
    // An empty tensor's shape may be too large to address at another element size.
    if count == 0 { return [] }
    let out = Tensor(empty: shape, dtype: T.dtype)
    Kernels.copy(self, into: out)
    return Array(UnsafeBufferPointer(start: out.storage.pointer(T.self), count: count))
  }
}
