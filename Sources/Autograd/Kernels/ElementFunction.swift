/// A function of one element, which `Kernels.map` applies to every element of a tensor.
///
/// Each element-wise op declares its function as a small struct beside its public method, so
/// that the op, its math and its backward rule read as one row (ARCHITECTURE.md, "Adding an
/// op"). `Kernels.map` is generic over the function, so a release build compiles one loop per
/// function with the math inlined, as a hand-written switch would.
protocol ElementFunction {
  func callAsFunction<T: FloatingElement>(_ x: T) -> T
  /// The fewest elements worth a thread of their own (ARCHITECTURE.md, "Threads"). The default
  /// suits a call into the math library per element.
  var elementsPerThread: Int { get }
  /// A vectorized C loop for contiguous float32 (`vecmath.c`), where there is one.
  var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? { get }
}

/// An element function of a few arithmetic instructions: a thread pays off only on large tensors.
protocol CheapElementFunction: ElementFunction {}

extension ElementFunction {
  var elementsPerThread: Int { Threading.costlyElementsPerThread }
  var float32Loop: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? { nil }

  /// Applies the function to `n` elements, read `ss` apart from `src`, written contiguously.
  func apply<T: FloatingElement>(_ src: UnsafePointer<T>, _ ss: Int, _ dst: UnsafeMutablePointer<T>, _ n: Int) {
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
    if ss == 1 {
      for i in 0..<n { dst[i] = self(src[i]) }
    } else {
      for i in 0..<n { dst[i] = self(src[i &* ss]) }
    }
  }
}

extension CheapElementFunction {
  var elementsPerThread: Int { Threading.cheapElementsPerThread }
}

/// A function of two floating-point elements, which `Kernels.zip` applies with broadcasting: the
/// fused backward rules, `(gradient, value) -> gradient` in one pass where the same rule in
/// tensor ops makes two or three.
protocol ElementPairFunction {
  func callAsFunction<T: FloatingElement>(_ a: T, _ b: T) -> T
}

/// The loop of a function of two elements, read `sa` and `sb` apart, written contiguously.
@inline(__always)
func applyPairwise<T>(
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
