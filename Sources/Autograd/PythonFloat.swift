/// Formats a number as Python's `repr(float)` and `print` do: the shortest decimal that reads back
/// to the same `Double`, in fixed notation for exponents -4 through 15 (`-7.840000152587891`,
/// `29428664.0`) and scientific notation otherwise (`9.094947017729282e-13`, `1e+16`).
///
/// Used where output must match a Python program byte for byte.
public func pythonRepr(_ value: Double) -> String {
  if value.isNaN { return "nan" }
  if value.isInfinite { return value < 0 ? "-inf" : "inf" }
  if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
  // Swift's description also gives the shortest round-trip digits; only the layout differs.
  var text = Swift.abs(value).description
  var exponent = 0
  if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
    exponent = Int(text[text.index(after: e)...])!
    text = String(text[..<e])
  }
  let parts = text.split(separator: ".", omittingEmptySubsequences: false)
  let integerPart = String(parts[0])
  let fractionPart = parts.count > 1 ? String(parts[1]) : ""
  // All significant digits, and the decimal exponent of the first one.
  var digits = integerPart + fractionPart
  var pointPosition = integerPart.count + exponent
  while digits.hasPrefix("0") && digits.count > 1 {
    digits.removeFirst()
    pointPosition -= 1
  }
  while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
  let scientificExponent = pointPosition - 1
  let sign = value < 0 ? "-" : ""
  if scientificExponent < -4 || scientificExponent >= 16 {
    let mantissa = digits.count == 1 ? digits : "\(digits.first!).\(digits.dropFirst())"
    let magnitude = Swift.abs(scientificExponent)
    return "\(sign)\(mantissa)e\(scientificExponent < 0 ? "-" : "+")\(magnitude < 10 ? "0" : "")\(magnitude)"
  }
  if pointPosition <= 0 {
    return "\(sign)0.\(String(repeating: "0", count: -pointPosition))\(digits)"
  }
  if pointPosition >= digits.count {
    return "\(sign)\(digits)\(String(repeating: "0", count: pointPosition - digits.count)).0"
  }
  return "\(sign)\(digits.prefix(pointPosition)).\(digits.dropFirst(pointPosition))"
}
