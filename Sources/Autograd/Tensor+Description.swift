import Foundation

extension Tensor: CustomStringConvertible {
  /// The tensor as PyTorch prints it: `tensor([1.0000, 2.5000], requires_grad=True)`, or
  /// `tensor(7.3159, grad_fn=<MulBackward>)` for a computed one. Large tensors are summarized.
  public var description: String {
    let values = scalars(as: Double.self)
    let summarize = values.count > 1000
    let format = ElementFormat(values: values, dtype: dtype)
    var body = "[]"
    var suffixes: [String] = []
    if values.isEmpty {
      // No nested brackets per row, which for shape [10^9, 0] would be gigabytes of "[]".
      if rank != 1 { suffixes.append("size=(" + shape.map(String.init).joined(separator: ", ") + ")") }
    } else {
      body = ""
      write(values: values, shape: shape, axis: 0, start: 0, indent: 7, summarize: summarize, format: format, into: &body)
    }
    if dtype != .float32 && dtype != .int64 && dtype != .bool || (values.isEmpty && dtype != .float32) {
      suffixes.append("dtype=\(dtype)")
    }
    if let gradFn { suffixes.append("grad_fn=<\(gradFn.displayName)>") } else if requiresGrad { suffixes.append("requires_grad=True") }
    return "tensor(" + ([body] + suffixes).joined(separator: ", ") + ")"
  }

  private func write(values: [Double], shape: [Int], axis: Int, start: Int, indent: Int, summarize: Bool,
                     format: ElementFormat, into out: inout String) {
    if shape.isEmpty { out += format.string(values[start]); return }
    let size = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    let shown: [Int?] = summarize && size > 6 ? Array(0..<3) + [nil] + Array((size - 3)..<size) : Array(0..<size)
    out += "["
    for (n, index) in shown.enumerated() {
      if n > 0 {
        if axis == shape.count - 1 {
          out += ", "
        } else {
          out += "," + String(repeating: "\n", count: shape.count - 1 - axis) + String(repeating: " ", count: indent + axis + 1)
        }
      }
      guard let index else { out += axis == shape.count - 1 ? " ..." : "..."; continue }
      if axis == shape.count - 1 {
        out += format.string(values[start + index])
      } else {
        write(values: values, shape: shape, axis: axis + 1, start: start + index * inner, indent: indent,
              summarize: summarize, format: format, into: &out)
      }
    }
    out += "]"
  }
}

/// How PyTorch's printer lays out the numbers of one tensor: whole numbers as `2.`, others with
/// four decimals, scientific notation when magnitudes span more than 1000x or leave [1e-4, 1e8],
/// all padded to one width.
private struct ElementFormat {
  enum Mode { case integer, wholeFloat, fixed, scientific, boolean }
  let mode: Mode
  let width: Int

  init(values: [Double], dtype: DType) {
    switch dtype {
    case .bool: mode = .boolean
    case .int64: mode = .integer
    default:
      let finite = values.filter(\.isFinite).map(Swift.abs)
      let nonzero = finite.filter { $0 != 0 }
      let largest = nonzero.max() ?? 0, smallest = nonzero.min() ?? 0
      if finite.allSatisfy({ $0 == $0.rounded() }) {
        mode = largest > 1e8 ? .scientific : .wholeFloat
      } else if largest / Swift.max(smallest, .leastNonzeroMagnitude) > 1000 || largest > 1e8 || smallest < 1e-4 {
        mode = .scientific
      } else {
        mode = .fixed
      }
    }
    var width = 0
    let probe = ElementFormat(mode: mode, width: 0)
    for v in values { width = Swift.max(width, probe.string(v).count) }
    self.width = width
  }

  private init(mode: Mode, width: Int) {
    self.mode = mode
    self.width = width
  }

  func string(_ v: Double) -> String {
    let text: String
    if v.isNaN {
      text = "nan"
    } else if v.isInfinite {
      text = v < 0 ? "-inf" : "inf"
    } else {
      switch mode {
      case .boolean: text = v != 0 ? "True" : "False"
      case .integer: text = String(Int64(v))
      case .wholeFloat: text = String(format: "%.0f.", v)
      case .fixed: text = String(format: "%.4f", v)
      case .scientific: text = String(format: "%.4e", v)
      }
    }
    return String(repeating: " ", count: Swift.max(0, width - text.count)) + text
  }
}
