import Autograd

/// An error in an expression or a `name=value` list, pointing at the column that is wrong.
struct ExpressionError: Error, CustomStringConvertible, Equatable {
  var message: String
  /// 1-based column in `source`.
  var column: Int
  var source: String

  var description: String {
    "column \(column): \(message)\n  \(source)\n  \(String(repeating: " ", count: Swift.max(column - 1, 0)))^"
  }
}

/// A small language of scalar expressions over named values, evaluated with the library's ops so
/// that the result carries a graph: `y_hat = x * w; loss = (y - y_hat)^2`.
///
/// Statements are separated by `;`; `name = expression` names an intermediate value; the last
/// statement is the output. Operators `+ - * / ^` (also `**`), unary minus, parentheses, numbers,
/// and the functions `exp log sqrt abs tanh sigmoid relu`.
struct ScalarExpression {
  /// The last statement's value, with its graph.
  private(set) var output: Tensor
  /// Every named value: the given ones and the intermediate ones the program assigns.
  private(set) var names: [String: Tensor]
  /// The names the program reads.
  private(set) var usedNames: Set<String>

  static let functions = ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu"]

  /// Evaluates `source` with `values` as float64 leaves; those in `parameters` (all of them when
  /// `nil`) require grad.
  /// - Throws: `ExpressionError` for a syntax error or an unknown name.
  init(_ source: String, values: [(String, Double)], parameters: Set<String>? = nil) throws {
    names = [:]
    for (name, value) in values {
      names[name] = Tensor(value, dtype: .float64, requiresGrad: parameters?.contains(name) ?? true)
    }
    var parser = Parser(source: source, text: Array(source.unicodeScalars), names: names)
    // Recorded with every value: an expression is parsed to be drawn and explained.
    output = try ComputationGraph.recording { try parser.program() }
    names = parser.names
    usedNames = parser.used
    if !names.values.contains(where: { $0 === output }) { names["loss"] = output }
  }

  /// Parses `x=1,y=2.5,w=-1` into names and values, keeping their order.
  /// - Throws: `ExpressionError` pointing at the entry that is wrong.
  static func parseAssignments(_ text: String) throws -> [(String, Double)] {
    var result: [(String, Double)] = []
    var column = 1
    for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
      defer { column += entry.count + 1 }
      let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
      guard parts.count == 2, Parser.isIdentifier(parts[0]) else {
        throw ExpressionError(message: "expected name=value, got '\(entry)'", column: column, source: text)
      }
      guard let value = Double(parts[1]), value.isFinite else {
        throw ExpressionError(
          message: "'\(parts[1])' is not a number", column: column + entry.distance(to: "="), source: text)
      }
      guard !result.contains(where: { $0.0 == parts[0] }) else {
        throw ExpressionError(message: "'\(parts[0])' is given twice", column: column, source: text)
      }
      result.append((parts[0], value))
    }
    return result
  }
}

extension Substring {
  fileprivate func trimmingSpaces() -> String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
  fileprivate func distance(to character: Character) -> Int {
    (firstIndex(of: character).map { self[..<$0].count } ?? 0) + 1
  }
}

/// Recursive descent over the grammar; nesting is capped so that input cannot exhaust the stack.
private struct Parser {
  let source: String
  let text: [Unicode.Scalar]
  var names: [String: Tensor]
  /// The names read so far.
  var used: Set<String> = []
  var position = 0
  var depth = 0

  static func isIdentifier(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
    return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) }
  }

  func error(_ message: String, at column: Int? = nil) -> ExpressionError {
    ExpressionError(message: message, column: (column ?? position) + 1, source: source)
  }

  mutating func skipSpace() {
    while position < text.count, text[position] == " " || text[position] == "\t" { position += 1 }
  }

  mutating func peek() -> Unicode.Scalar? {
    skipSpace()
    return position < text.count ? text[position] : nil
  }

  mutating func accept(_ c: Unicode.Scalar) -> Bool {
    guard peek() == c else { return false }
    position += 1
    return true
  }

  mutating func program() throws -> Tensor {
    var last: Tensor?
    repeat {
      if peek() == nil && last != nil { break }  // a trailing ';'
      last = try statement()
    } while accept(";")
    if let c = peek() { throw error("unexpected '\(c)'") }
    return last!
  }

  mutating func statement() throws -> Tensor {
    let start = position
    if let name = identifier(), accept("=") {
      guard names[name] == nil else { throw error("'\(name)' is already defined", at: start) }
      let value = try expression()
      names[name] = value
      return value
    }
    position = start
    return try expression()
  }

  mutating func identifier() -> String? {
    skipSpace()
    var s = ""
    while position < text.count,
      text[position].properties.isAlphabetic || text[position] == "_"
        || (!s.isEmpty && ("0"..."9").contains(text[position]))
    {
      s.unicodeScalars.append(text[position])
      position += 1
    }
    return s.isEmpty ? nil : s
  }

  mutating func expression() throws -> Tensor {
    depth += 1
    defer { depth -= 1 }
    guard depth < 200 else { throw error("expression nested too deeply") }
    var value = try term()
    while true {
      if accept("+") {
        value = value + (try term())
      } else if accept("-") {
        value = value - (try term())
      } else {
        return value
      }
    }
  }

  mutating func term() throws -> Tensor {
    var value = try unary()
    while true {
      if peek() == "*" && position + 1 < text.count && text[position + 1] == "*" { return value }
      if accept("*") {
        value = value * (try unary())
      } else if accept("/") {
        value = value / (try unary())
      } else {
        return value
      }
    }
  }

  mutating func unary() throws -> Tensor {
    depth += 1
    defer { depth -= 1 }
    guard depth < 200 else { throw error("expression nested too deeply") }
    if accept("-") { return -(try unary()) }
    if accept("+") { return try unary() }
    let base = try atom()
    let isPower =
      accept("^")
      || (peek() == "*" && position + 1 < text.count && text[position + 1] == "*"
        && {
          position += 2
          return true
        }())
    guard isPower else { return base }
    let exponent = try unary()
    // A constant exponent is a scalar power (PowBackward with one input), as x**2 in PyTorch.
    if exponent.gradFnName == nil && !exponent.requiresGrad && !names.values.contains(where: { $0 === exponent }) {
      return base.pow(exponent.item())
    }
    return base.pow(exponent)
  }

  mutating func atom() throws -> Tensor {
    guard let c = peek() else { throw error("unexpected end of expression") }
    if accept("(") {
      let value = try expression()
      guard accept(")") else { throw error(peek().map { "expected ')' before '\($0)'" } ?? "expected ')'") }
      return value
    }
    if ("0"..."9").contains(c) || c == "." { return Tensor(try number(), dtype: .float64) }
    let start = position
    guard let name = identifier() else { throw error("unexpected '\(c)'") }
    if Self.functionNames.contains(name) && accept("(") {
      let argument = try expression()
      guard accept(")") else { throw error("expected ')' to close \(name)(") }
      return apply(name, argument)
    }
    guard let value = names[name] else {
      let known = names.keys.sorted().joined(separator: ", ")
      throw error(
        "unknown name '\(name)'; known names: \(known.isEmpty ? "none" : known); functions: "
          + ScalarExpression.functions.joined(separator: ", "), at: start)
    }
    used.insert(name)
    return value
  }

  static let functionNames = Set(ScalarExpression.functions)

  func apply(_ function: String, _ x: Tensor) -> Tensor {
    switch function {
    case "exp": x.exp()
    case "log": x.log()
    case "sqrt": x.sqrt()
    case "abs": x.abs()
    case "tanh": x.tanh()
    case "sigmoid": x.sigmoid()
    default: x.relu()
    }
  }

  mutating func number() throws -> Double {
    let start = position
    var s = ""
    while position < text.count,
      ("0"..."9").contains(text[position]) || text[position] == "."
        || ((text[position] == "e" || text[position] == "E") && !s.isEmpty)
        || ((text[position] == "-" || text[position] == "+") && (s.last == "e" || s.last == "E"))
    {
      s.unicodeScalars.append(text[position])
      position += 1
    }
    guard let value = Double(s) else { throw error("'\(s)' is not a number", at: start) }
    return value
  }
}
