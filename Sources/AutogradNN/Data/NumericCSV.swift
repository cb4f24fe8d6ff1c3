import Autograd
import Foundation

/// Why a data file could not be read; the description names the file, the line (or byte) and
/// what is wrong.
public struct DataFileError: Error, CustomStringConvertible, Equatable {
  public var path: String
  public var location: String
  public var reason: String
  public var description: String { "\(path)\(location.isEmpty ? "" : ":\(location)"): \(reason)" }

  /// An error in the file at `path`; `location` is a line number (or `line:column`, or a byte offset).
  public init(path: String, location: String, reason: String) {
    (self.path, self.location, self.reason) = (path, location, reason)
  }
}

/// Reads a file of comma-separated numbers into a float64 tensor of shape `[rows, columns]`.
///
/// Blank lines are skipped; with `hasHeader`, the first line is. Every row must have the same
/// number of columns, and every field must be a finite number in decimal notation (`-1.5e3`, not
/// `0x10` or `inf`). A leading byte-order mark is skipped.
/// - Throws: `DataFileError` naming the line and column of the first problem.
public func loadNumericCSV(_ url: URL, hasHeader: Bool = false) throws -> Tensor {
  let text: String
  do { text = try String(contentsOf: url, encoding: .utf8) } catch {
    throw DataFileError(path: url.path, location: "", reason: "cannot read the file (\(error.localizedDescription))")
  }
  return try parseNumericCSV(text, path: url.path, hasHeader: hasHeader)
}

/// Parses comma-separated numbers; see `loadNumericCSV`. `path` names the source in errors.
public func parseNumericCSV(_ text: String, path: String = "<text>", hasHeader: Bool = false) throws -> Tensor {
  var values: [Double] = []
  var columns: Int?
  var rows = 0
  // A byte-order mark is part of the encoding, not of the first field (Foundation's reader drops it too).
  let text = text.first == "\u{FEFF}" ? text.dropFirst() : Substring(text)
  // `isNewline` also matches "\r\n", which Swift reads as one character.
  for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
    if line.allSatisfy(\.isWhitespace) || (hasHeader && number == 0) { continue }
    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
    if let columns, fields.count != columns {
      throw DataFileError(
        path: path, location: "\(number + 1)", reason: "expected \(columns) columns, found \(fields.count)")
    }
    columns = fields.count
    for (column, field) in fields.enumerated() {
      // Trimmed in Swift: Foundation's trimmingCharacters bridged every field through NSString
      // and was most of the time of loading a file. (Lines are already split at newlines.)
      var trimmed = field
      while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
      while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
      // Decimal notation only: Swift's Double(_:) also reads hexadecimal ("0x10" as 16).
      guard trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
        let value = Double(trimmed), value.isFinite
      else {
        throw DataFileError(
          path: path, location: "\(number + 1)",
          reason: "column \(column + 1): '\(trimmed)' is not a finite number")
      }
      values.append(value)
    }
    rows += 1
  }
  guard let columns else { throw DataFileError(path: path, location: "", reason: "no data rows") }
  return Tensor(values, shape: [rows, columns], dtype: .float64)
}
