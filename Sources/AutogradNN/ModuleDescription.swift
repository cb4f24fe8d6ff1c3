import Autograd

/// `print(model)`: the module tree with each module's hyperparameters, as PyTorch prints it.
///
/// ```
/// Sequential(
///   (0): Linear(inputSize: 64, outputSize: 128, bias: true)
///   (1): ReLU()
///   (2): Dropout(probability: 0.1)
/// )
/// ```
extension Module: CustomStringConvertible {
  public var description: String {
    let head = "\(type(of: self))(\(summary)"
    let children = namedChildren()
    guard !children.isEmpty else { return head + ")" }
    let lines = children.map { name, child in
      "(\(name)): \(child.description)".split(separator: "\n", omittingEmptySubsequences: false)
        .map { "  " + $0 }.joined(separator: "\n")
    }
    return head + "\n" + lines.joined(separator: "\n") + "\n)"
  }

}

extension Module {
  /// `name: value` for each stored property that is a plain value: a number, a flag, a size, a
  /// dtype, a list of integers or a case of an enum without payload. Optionals that are `nil`, and
  /// anything else (generators, closures, weights held in other shapes), are left out.
  func reflectedHyperparameters() -> String {
    Self.storedProperties(of: self).compactMap { label, value -> String? in
      guard label != "isTraining", let text = Self.plainDescription(value) else { return nil }
      return "\(label): \(text)"
    }.joined(separator: ", ")
  }

  static func plainDescription(_ value: Any) -> String? {
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional { return mirror.children.first.flatMap { plainDescription($0.value) } }
    switch value {
    case let number as Double: return number.compactDescription
    case let number as Float: return Double(number).compactDescription
    case let text as String: return "\"\(text)\""
    case is Int, is Bool, is Size2D, is DType, is [Int]: return "\(value)"
    default: return mirror.displayStyle == .enum && mirror.children.isEmpty ? "\(value)" : nil
    }
  }

  /// `summary` with `first` in front (the sizes a layer keeps only in its weights' shapes).
  func summary(leadingWith first: String) -> String {
    let rest = reflectedHyperparameters()
    return rest.isEmpty ? first : first + ", " + rest
  }
}
