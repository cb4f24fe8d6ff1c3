import CAutogradKernels

/// Element-wise functions of one tensor, evaluated by `Kernels.map`.
///
/// One line per function: this is the whole table of element-wise math the ops build on.
enum UnaryOp: Equatable {
  case neg, exp, log, sqrt, abs, sign, tanh, sigmoid, relu
  case exp2, expm1, log2, log10, log1p, rsqrt, reciprocal
  case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, erf, erfc
  case floor, ceil, round, trunc
  /// log(1 + e^(βx)) / β, and x itself where βx > threshold (as PyTorch, to avoid overflow).
  case softplus(beta: Double, threshold: Double)
  case elu(alpha: Double)
  /// x Φ(x) = 0.5 x (1 + erf(x / √2)), with Φ from erfc so that the negative tail keeps its precision.
  case gelu
  /// Φ(x) + x φ(x), gelu's derivative.
  case geluDerivative
  /// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
  case geluTanh
  /// 1 where min < x < max, else 0; a missing bound does not limit (the derivative of clamp and
  /// hardtanh: open bounds, as PyTorch 2.15).
  case strictlyWithin(min: Double?, max: Double?)
  /// 1 where x > 0, else 0 (relu's derivative; 0 at the kink, as in PyTorch).
  case positive
  /// 1 where x == 0, else 0.
  case isZero
  case pow(Double)
  /// x + c, x * c, c - x and x / c for a number c, which is first converted to the element type
  /// (as PyTorch converts a Python number next to a tensor).
  case plus(Double)
  case times(Double)
  case subtractedFrom(Double)
  case dividedBy(Double)
  case clamp(min: Double?, max: Double?)

  @inline(__always)
  private static func loop<T>(
    _ src: UnsafePointer<T>, _ ss: Int, _ dst: UnsafeMutablePointer<T>,
    _ n: Int, _ f: (T) -> T
  ) {
    if ss == 1 {
      for i in 0..<n { dst[i] = f(src[i]) }
    } else {
      for i in 0..<n { dst[i] = f(src[i &* ss]) }
    }
  }

  /// Φ(x) = ½ erfc(-x/√2), the standard normal distribution function (erfc keeps the negative
  /// tail's precision, where 1 + erf(x/√2) cancels).
  @inline(__always)
  private static func normalCDF<T: FloatingElement>(_ x: T) -> T { 0.5 * .erfc(-x / T(2).squareRoot()) }

  /// The fewest elements worth a thread of their own: about 100 µs of work (ARCHITECTURE.md, "Threads").
  var elementsPerThread: Int {
    switch self {
    case .neg, .abs, .sign, .relu, .positive, .isZero, .clamp, .strictlyWithin, .floor, .ceil, .round, .trunc,
      .reciprocal, .sqrt, .rsqrt, .plus, .times, .subtractedFrom, .dividedBy:
      1 << 20
    case .exp, .tanh, .sigmoid:
      1 << 17
    default:
      1 << 15
    }
  }

  /// The C loop for this op on contiguous float32, where there is one (vectorized; see vecmath.c).
  private var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? {
    switch self {
    case .exp: ag_exp_f32
    case .tanh: ag_tanh_f32
    case .sigmoid: ag_sigmoid_f32
    case .gelu: ag_gelu_f32
    case .geluDerivative: ag_gelu_derivative_f32
    default: nil
    }
  }

  func run<T: FloatingElement>(_ src: UnsafePointer<T>, _ ss: Int, _ dst: UnsafeMutablePointer<T>, _ n: Int) {
    if T.self == Float.self, let loop = float32Loop {
      let x = UnsafeRawPointer(src).assumingMemoryBound(to: Float.self)
      let y = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self)
      if ss == 1 { return loop(x, y, n) }
      // Strided rows are gathered in blocks, so a view gets exactly the values its copy would.
      return withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { block in
        for start in stride(from: 0, to: n, by: 256) {
          let count = Swift.min(256, n - start)
          for i in 0..<count { block[i] = x[(start + i) &* ss] }
          loop(block.baseAddress!, y + start, count)
        }
      }
    }
    switch self {
    case .neg: Self.loop(src, ss, dst, n) { -$0 }
    case .exp: Self.loop(src, ss, dst, n) { .exp($0) }
    case .log: Self.loop(src, ss, dst, n) { .log($0) }
    case .sqrt: Self.loop(src, ss, dst, n) { $0.squareRoot() }
    case .abs: Self.loop(src, ss, dst, n) { Swift.abs($0) }
    case .sign: Self.loop(src, ss, dst, n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
    case .tanh: Self.loop(src, ss, dst, n) { .tanh($0) }
    case .sigmoid: Self.loop(src, ss, dst, n) { 1 / (1 + .exp(-$0)) }
    case .relu: Self.loop(src, ss, dst, n) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
    case .positive: Self.loop(src, ss, dst, n) { $0 > 0 ? 1 : 0 }
    case .isZero: Self.loop(src, ss, dst, n) { $0 == 0 ? 1 : 0 }
    case .pow(let p):
      let e = T(p)
      if p == 2 {
        Self.loop(src, ss, dst, n) { $0 * $0 }
      } else if let k = Int(exactly: p), Swift.abs(k) < 1 << 30 {
        // An integral exponent is defined for negative bases too (RealModule's real pow is not).
        Self.loop(src, ss, dst, n) { .pow($0, k) }
      } else {
        Self.loop(src, ss, dst, n) { .pow($0, e) }
      }
    case .plus(let c):
      let k = T(c)
      Self.loop(src, ss, dst, n) { $0 + k }
    case .times(let c):
      let k = T(c)
      Self.loop(src, ss, dst, n) { $0 * k }
    case .subtractedFrom(let c):
      let k = T(c)
      Self.loop(src, ss, dst, n) { k - $0 }
    case .dividedBy(let c):
      let k = T(c)
      Self.loop(src, ss, dst, n) { $0 / k }
    case .clamp(let lo, let hi):
      let l = lo.map(T.init) ?? -.infinity
      let h = hi.map(T.init) ?? .infinity
      // NaN stays NaN, as in PyTorch.
      Self.loop(src, ss, dst, n) { $0.isNaN ? $0 : Swift.min(Swift.max($0, l), h) }
    case .strictlyWithin(let lo, let hi):
      let l = lo.map(T.init) ?? -.infinity
      let h = hi.map(T.init) ?? .infinity
      Self.loop(src, ss, dst, n) { $0 > l && $0 < h ? 1 : 0 }
    case .exp2: Self.loop(src, ss, dst, n) { .exp2($0) }
    case .expm1: Self.loop(src, ss, dst, n) { .expMinusOne($0) }
    case .log2: Self.loop(src, ss, dst, n) { .log2($0) }
    case .log10: Self.loop(src, ss, dst, n) { .log10($0) }
    case .log1p: Self.loop(src, ss, dst, n) { .log(onePlus: $0) }
    case .rsqrt: Self.loop(src, ss, dst, n) { 1 / $0.squareRoot() }
    case .reciprocal: Self.loop(src, ss, dst, n) { 1 / $0 }
    case .sin: Self.loop(src, ss, dst, n) { .sin($0) }
    case .cos: Self.loop(src, ss, dst, n) { .cos($0) }
    case .tan: Self.loop(src, ss, dst, n) { .tan($0) }
    case .asin: Self.loop(src, ss, dst, n) { .asin($0) }
    case .acos: Self.loop(src, ss, dst, n) { .acos($0) }
    case .atan: Self.loop(src, ss, dst, n) { .atan($0) }
    case .sinh: Self.loop(src, ss, dst, n) { .sinh($0) }
    case .cosh: Self.loop(src, ss, dst, n) { .cosh($0) }
    case .asinh: Self.loop(src, ss, dst, n) { .asinh($0) }
    case .acosh: Self.loop(src, ss, dst, n) { .acosh($0) }
    case .atanh: Self.loop(src, ss, dst, n) { .atanh($0) }
    case .erf: Self.loop(src, ss, dst, n) { .erf($0) }
    case .erfc: Self.loop(src, ss, dst, n) { .erfc($0) }
    case .floor: Self.loop(src, ss, dst, n) { $0.rounded(.down) }
    case .ceil: Self.loop(src, ss, dst, n) { $0.rounded(.up) }
    // Halves go to the even neighbour, as torch.round does.
    case .round: Self.loop(src, ss, dst, n) { $0.rounded(.toNearestOrEven) }
    case .trunc: Self.loop(src, ss, dst, n) { $0.rounded(.towardZero) }
    case .softplus(let beta, let threshold):
      let b = T(beta)
      let t = T(threshold)
      Self.loop(src, ss, dst, n) { b * $0 > t ? $0 : .log(onePlus: .exp(b * $0)) / b }
    case .elu(let alpha):
      let a = T(alpha)
      Self.loop(src, ss, dst, n) { $0 > 0 ? $0 : a * .expMinusOne($0) }
    case .gelu:
      Self.loop(src, ss, dst, n) { $0 * Self.normalCDF($0) }
    case .geluDerivative:
      let density = 1 / T(2 * Double.pi).squareRoot()
      Self.loop(src, ss, dst, n) { Self.normalCDF($0) + $0 * .exp(-$0 * $0 / 2) * density }
    case .geluTanh:
      let k = T(2 / Double.pi).squareRoot()
      Self.loop(src, ss, dst, n) { 0.5 * $0 * (1 + .tanh(k * ($0 + 0.044715 * $0 * $0 * $0))) }
    }
  }
}

/// The loops that touch memory. Ops in `Ops/` call these and record the graph.
enum Kernels {
  /// Applies `op` to every element of a floating-point tensor; the result is contiguous.
  static func map(_ x: Tensor, _ op: UnaryOp) -> Tensor {
    let out = Tensor(empty: x.shape, dtype: x.dtype)
    switch x.dtype {
    case .float32: map(x, op, out, Float.self)
    case .float64: map(x, op, out, Double.self)
    default: trap("\(op): expected a floating-point tensor, got \(x.dtype)")
    }
    return out
  }

  private static func map<T: FloatingElement>(_ x: Tensor, _ op: UnaryOp, _ out: Tensor, _: T.Type) {
    let src = x.basePointer(T.self)
    let dst = out.basePointer(T.self)
    if x.isContiguous {
      let base = UnsafePointer(src + x.offset)
      return Threading.forEachRange(x.count, minimumPerThread: op.elementsPerThread) { r in
        op.run(base + r.lowerBound, 1, dst + r.lowerBound, r.count)
      }
    }
    let walk = StridedWalk(shape: x.shape, strides: [out.strides, x.strides])
    let n = walk.rowLength
    let ss = walk.rowStride(1)
    walk.forEachRow(from: (0, x.offset, 0)) { o, s, _ in op.run(src + s, ss, dst + o, n) }
  }

  /// Applies `op` to pairs of elements of `a` and `b` broadcast together; the result is contiguous.
  /// Both must have the same floating-point dtype.
  static func zip(_ a: Tensor, _ b: Tensor, _ op: BinaryOp, name: StaticString) -> Tensor {
    trapUnless(a.dtype == b.dtype, "\(name): dtypes differ, \(a.dtype) vs \(b.dtype)")
    let shape = Shape.broadcast(a.shape, b.shape, op: name)
    let out = Tensor(empty: shape, dtype: a.dtype)
    // Contiguous operands of the output's shape, or single values (also expanded ones, as a sum's
    // gradient), need no strided walk: this skips the walk's bookkeeping on the per-op path of
    // small tensors, and lets large ones be split across threads.
    let simpleA = a.isSingleValue ? 0 : (a.shape == shape && a.isContiguous ? 1 : -1)
    let simpleB = b.isSingleValue ? 0 : (b.shape == shape && b.isContiguous ? 1 : -1)
    let walk: StridedWalk? =
      simpleA >= 0 && simpleB >= 0
      ? nil
      : StridedWalk(
        shape: out.shape,
        strides: [
          out.strides,
          Shape.broadcastStrides(a.shape, a.strides, to: out.shape),
          Shape.broadcastStrides(b.shape, b.strides, to: out.shape),
        ])
    let n = walk?.rowLength ?? out.count
    let sa = walk?.rowStride(1) ?? simpleA
    let sb = walk?.rowStride(2) ?? simpleB
    func run<T>(_: T.Type, _ body: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void) {
      let pa = a.basePointer(T.self)
      let pb = b.basePointer(T.self)
      let dst = out.basePointer(T.self)
      guard let walk else {
        // Contiguous or single-value operands: split large arrays across threads.
        let (ia, ib) = (UnsafePointer(pa + a.offset), UnsafePointer(pb + b.offset))
        return Threading.forEachRange(n, minimumPerThread: op.elementsPerThread) { r in
          body(ia + r.lowerBound * sa, ib + r.lowerBound * sb, dst + r.lowerBound, r.count)
        }
      }
      walk.forEachRow(from: (0, a.offset, b.offset)) { o, ia, ib in body(pa + ia, pb + ib, dst + o, n) }
    }
    switch a.dtype {
    case .float32: run(Float.self) { op.run($0, sa, $1, sb, $2, $3) }
    case .float64: run(Double.self) { op.run($0, sa, $1, sb, $2, $3) }
    case .int64: run(Int64.self) { op.runIntegers($0, sa, $1, sb, $2, $3) }
    case .bool: run(Bool.self) { op.runBools($0, sa, $1, sb, $2, $3, name: name) }
    }
    return out
  }

  /// Writes `src`, broadcast to `dst`'s shape and converted to its dtype, into `dst`'s view.
  static func copy(_ src: Tensor, into dst: Tensor) {
    switch (src.dtype, dst.dtype) {
    case (.float32, .float32): copySame(src, dst, Float.self)
    case (.float64, .float64): copySame(src, dst, Double.self)
    case (.int64, .int64): copySame(src, dst, Int64.self)
    case (.bool, .bool): copySame(src, dst, Bool.self)
    default: convert(src, dst)
    }
  }

  private static func walk(_ src: Tensor, _ dst: Tensor) -> StridedWalk {
    StridedWalk(
      shape: dst.shape, strides: [dst.strides, Shape.broadcastStrides(src.shape, src.strides, to: dst.shape)])
  }

  private static func copySame<T>(_ src: Tensor, _ dst: Tensor, _: T.Type) {
    let ps = src.basePointer(T.self)
    let pd = dst.basePointer(T.self)
    let w = walk(src, dst)
    let n = w.rowLength
    let sd = w.rowStride(0)
    let ss = w.rowStride(1)
    w.forEachRow(from: (dst.offset, src.offset, 0)) { o, s, _ in
      if sd == 1 && ss == 1 {
        (pd + o).update(from: ps + s, count: n)
      } else {
        for i in 0..<n { pd[o &+ i &* sd] = ps[s &+ i &* ss] }
      }
    }
  }

  private static func convert(_ src: Tensor, _ dst: Tensor) {
    let read: (Int) -> Double =
      switch src.dtype {
      case .float32: { [p = src.basePointer(Float.self)] in Double(p[$0]) }
      case .float64: { [p = src.basePointer(Double.self)] in p[$0] }
      case .int64: { [p = src.basePointer(Int64.self)] in Double(p[$0]) }
      case .bool: { [p = src.basePointer(Bool.self)] in p[$0] ? 1 : 0 }
      }
    func fill<T: TensorScalar>(_: T.Type) {
      let pd = dst.basePointer(T.self)
      let w = walk(src, dst)
      let n = w.rowLength
      let sd = w.rowStride(0)
      let ss = w.rowStride(1)
      w.forEachRow(from: (dst.offset, src.offset, 0)) { o, s, _ in
        for i in 0..<n { pd[o + i * sd] = T(fromDouble: read(s + i * ss)) }
      }
    }
    switch dst.dtype {
    case .float32: fill(Float.self)
    case .float64: fill(Double.self)
    case .int64: fill(Int64.self)
    case .bool: fill(Bool.self)
    }
  }

  /// Sets every element of `dst`'s view to `value`.
  static func fill(_ dst: Tensor, _ value: Double) {
    func run<T: TensorScalar>(_: T.Type) {
      let p = dst.basePointer(T.self)
      let v = T(fromDouble: value)
      if dst.isContiguous { return (p + dst.offset).update(repeating: v, count: dst.count) }
      let w = StridedWalk(shape: dst.shape, strides: [dst.strides])
      let n = w.rowLength
      let s = w.rowStride(0)
      w.forEachRow(from: (dst.offset, 0, 0)) { o, _, _ in
        for i in 0..<n { p[o + i * s] = v }
      }
    }
    switch dst.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: run(Int64.self)
    case .bool: run(Bool.self)
    }
  }
}
