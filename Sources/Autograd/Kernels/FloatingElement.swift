import RealModule

/// The element types that arithmetic kernels are specialized for: `Float` and `Double`.
protocol FloatingElement: Real, BinaryFloatingPoint, TensorScalar {}
extension Float: FloatingElement {}
extension Double: FloatingElement {}

extension Tensor {
  /// The storage pointer of the first element, typed; `T` must match `dtype`.
  @inline(__always)
  func basePointer<T>(_: T.Type) -> UnsafeMutablePointer<T> { storage.pointer(T.self) }
}
