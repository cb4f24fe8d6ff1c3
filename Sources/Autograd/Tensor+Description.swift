import Foundation

extension Tensor: CustomStringConvertible {
  /// The tensor as PyTorch prints it: `tensor([1.0000, 2.5000], requires_grad=True)`, or
  /// `tensor(7.3159, grad_fn=<MulBackward>)` for a computed one. Large tensors are summarized.
  public var description: String {
    let texts = ElementText.padded(self)
    let summarize = texts.count > 1000
    var body = "[]"
    var suffixes: [String] = []
    if texts.isEmpty {
      // No nested brackets per row, which for shape [10^9, 0] would be gigabytes of "[]".
      if rank != 1 { suffixes.append("size=(" + shapeDims.map(String.init).joined(separator: ", ") + ")") }
    } else {
      body = ""
      write(texts: texts, shape: shape, axis: 0, start: 0, indent: 7, summarize: summarize, into: &body)
    }
    if dtype != .float32 && dtype != .int64 && dtype != .bool || (texts.isEmpty && dtype != .float32) {
      suffixes.append("dtype=\(dtype)")
    }
    if let gradFn {
      suffixes.append("grad_fn=<\(gradFn.displayName)>")
    } else if requiresGrad {
      suffixes.append("requires_grad=True")
    }
    return "tensor(" + ([body] + suffixes).joined(separator: ", ") + ")"
  }

  private func write(
    texts: [String], shape: [Int], axis: Int, start: Int, indent: Int, summarize: Bool,
    into out: inout String
  ) {
    if shape.isEmpty {
      out += texts[start]
      return
    }
    let size = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    let shown: [Int?] = summarize && size > 6 ? Array(0..<3) + [nil] + Array((size - 3)..<size) : Array(0..<size)
    out += "["
    for (n, index) in shown.enumerated() {
      if n > 0 {
        if axis == shape.count - 1 {
          out += ", "
        } else {
          out +=
            "," + String(repeating: "\n", count: shape.count - 1 - axis)
            + String(repeating: " ", count: indent + axis + 1)
        }
      }
      guard let index else {
        out += axis == shape.count - 1 ? " ..." : "..."
        continue
      }
      if axis == shape.count - 1 {
        out += texts[start + index]
      } else {
        write(
          texts: texts, shape: shape, axis: axis + 1, start: start + index * inner, indent: indent,
          summarize: summarize, into: &out)
      }
    }
    out += "]"
  }
}

/// How PyTorch's printer writes the elements of one tensor, all padded to one width: integers and
/// bools as they are (read as themselves, not through Double, which cannot hold every int64);
/// floats whole as `2.`, others with four decimals, in scientific notation when magnitudes span
/// more than 1000x or leave [1e-4, 1e8].
private enum ElementText {
  static func padded(_ tensor: Tensor) -> [String] {
    let texts: [String] =
      switch tensor.dtype {
      case .bool: tensor.scalars(as: Bool.self).map { $0 ? "True" : "False" }
      case .int64: tensor.scalars(as: Int64.self).map { String($0) }
      default: floats(tensor.scalars(as: Double.self))
      }
    let width = texts.map(\.count).max() ?? 0
    return texts.map { String(repeating: " ", count: width - $0.count) + $0 }
  }

  private static func floats(_ values: [Double]) -> [String] {
    let finite = values.filter(\.isFinite).map(Swift.abs)
    let nonzero = finite.filter { $0 != 0 }
    let largest = nonzero.max() ?? 0
    let smallest = nonzero.min() ?? 0
    let format: String
    if finite.allSatisfy({ $0 == $0.rounded() }) {
      format = largest > 1e8 ? "%.4e" : "%.0f."
    } else if largest / Swift.max(smallest, .leastNonzeroMagnitude) > 1000 || largest > 1e8 || smallest < 1e-4 {
      format = "%.4e"
    } else {
      format = "%.4f"
    }
    return values.map { v in v.isNaN ? "nan" : v.isInfinite ? (v < 0 ? "-inf" : "inf") : String(format: format, v) }
  }
}
