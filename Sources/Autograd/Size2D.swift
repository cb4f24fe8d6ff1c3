/// A height and a width: a kernel size, a stride, a padding, a dilation or an output size of the
/// 2-D ops and layers. Written as PyTorch users write them: `3` for both, or `[3, 5]`.
///
/// ```swift
/// Conv2d(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: 1)
/// x.maxPool2d(kernelSize: 2)
/// x.conv2d(weight: w, stride: [2, 1])
/// ```
public struct Size2D: Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
  CustomStringConvertible
{
  public var height: Int
  public var width: Int

  public init(_ height: Int, _ width: Int) {
    (self.height, self.width) = (height, width)
  }

  /// The same size in both directions.
  public init(_ both: Int) { self.init(both, both) }

  public init(integerLiteral value: Int) { self.init(value) }

  /// `[height, width]`.
  public init(arrayLiteral elements: Int...) {
    trapUnless(elements.count == 2, "Size2D: expected [height, width], got \(elements)")
    self.init(elements[0], elements[1])
  }

  /// `(height, width)`, as the kernels take it.
  var pair: (Int, Int) { (height, width) }

  /// As it is written: `3`, or `[3, 5]`.
  public var description: String { height == width ? "\(height)" : "[\(height), \(width)]" }
}
