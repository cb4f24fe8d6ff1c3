import Foundation

/// NumPy's `.npy` format (versions 1.0 to 3.0): a magic string, a Python-literal header giving the
/// dtype, the memory order and the shape, then the raw elements.
///
/// Reads float32, float64, int64 and bool in either byte order and in C or Fortran order; writes
/// little-endian, C order, version 1.0 (2.0 when the header needs it), aligned to 64 bytes as NumPy.
public enum NumpyFormat {
  private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// Decodes a tensor from the bytes of a `.npy` file.
  /// - Throws: `TensorIOError` naming what is malformed or unsupported.
  public static func decode(_ bytes: [UInt8]) throws -> Tensor {
    guard bytes.count >= 10 else {
      throw TensorIOError.malformed(reason: "\(bytes.count) bytes is too short for an .npy header")
    }
    guard Array(bytes[0..<6]) == magic else {
      throw TensorIOError.malformed(reason: "missing the \\x93NUMPY magic string")
    }
    let major = bytes[6]
    let minor = bytes[7]
    let lengthSize: Int
    switch major {
    case 1: lengthSize = 2
    case 2, 3: lengthSize = 4
    default: throw TensorIOError.unsupported(reason: ".npy format version \(major).\(minor)")
    }
    guard bytes.count >= 8 + lengthSize else { throw TensorIOError.malformed(reason: "truncated in the header length") }
    var headerLength = 0
    for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
    let dataStart = 8 + lengthSize + headerLength
    guard dataStart <= bytes.count else {
      throw TensorIOError.malformed(
        reason: "header says \(headerLength) bytes but the file ends after \(bytes.count - 8 - lengthSize)")
    }
    let headerBytes = Array(bytes[(8 + lengthSize)..<dataStart])
    // Versions 1 and 2 use Latin-1 (in practice ASCII); version 3 allows UTF-8.
    guard
      let headerText = major == 3
        ? String(validating: headerBytes, as: UTF8.self)
        : String(bytes: headerBytes, encoding: .isoLatin1)
    else {
      throw TensorIOError.malformed(reason: "header is not valid text")
    }
    let header = try Header(parsing: headerText)
    let size = header.dtype.byteSize
    guard let count = Shape.checkedCount(header.shape, elementSize: size) else {
      throw TensorIOError.malformed(reason: "shape \(header.shape) of \(header.dtype) is too large to address")
    }
    let byteCount = count * size
    guard byteCount <= bytes.count - dataStart else {
      throw TensorIOError.malformed(
        reason: """
          shape \(header.shape) of \(header.dtype) needs \(byteCount) bytes of data, but the file has \(bytes.count - dataStart)
          """)
    }
    // Fortran order stores the transpose's C order: read the reversed shape, then reverse the axes.
    let storedShape = header.fortranOrder ? header.shape.reversed() : header.shape
    let tensor = Tensor(empty: storedShape, dtype: header.dtype)
    bytes.withUnsafeBytes { raw in
      let source = raw.baseAddress! + dataStart
      let destination = tensor.storage.base
      if header.dtype == .bool {
        let p = tensor.storage.pointer(Bool.self)
        for i in 0..<count { p[i] = source.load(fromByteOffset: i, as: UInt8.self) != 0 }
      } else {
        destination.copyMemory(from: source, byteCount: byteCount)
        if header.bigEndian { swapBytes(destination, count: count, size: size) }
      }
    }
    guard header.fortranOrder, header.shape.count > 1 else { return tensor }
    return Kernels.contiguousCopy(tensor.permuted(Array((0..<header.shape.count).reversed())))
  }

  private static func swapBytes(_ p: UnsafeMutableRawPointer, count: Int, size: Int) {
    for i in 0..<count {
      let element = p + i * size
      for j in 0..<(size / 2) {
        let a = element.load(fromByteOffset: j, as: UInt8.self)
        element.storeBytes(
          of: element.load(fromByteOffset: size - 1 - j, as: UInt8.self), toByteOffset: j, as: UInt8.self)
        element.storeBytes(of: a, toByteOffset: size - 1 - j, as: UInt8.self)
      }
    }
  }

  /// Encodes a tensor as the bytes of a `.npy` file (little-endian, C order).
  public static func encode(_ tensor: Tensor) -> [UInt8] {
    let descr =
      switch tensor.dtype {
      case .float32: "<f4"
      case .float64: "<f8"
      case .int64: "<i8"
      case .bool: "|b1"
      }
    let shape =
      tensor.shapeDims.count == 1
      ? "(\(tensor.shapeDims[0]),)" : "(" + tensor.shapeDims.map(String.init).joined(separator: ", ") + ")"
    var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
    let version: UInt8 = header.count + 11 < 65_536 ? 1 : 2
    let prefix = 8 + (version == 1 ? 2 : 4)
    // Pad with spaces and end with a newline so that the data starts on a 64-byte boundary.
    let total = (prefix + header.count + 1 + 63) / 64 * 64
    header += Array(repeating: UInt8(ascii: " "), count: total - prefix - header.count - 1) + [UInt8(ascii: "\n")]
    var out = magic + [version, 0]
    for i in 0..<(prefix - 8) { out.append(UInt8(truncatingIfNeeded: header.count >> (8 * i))) }
    out += header
    let values = Kernels.contiguousCopy(tensor)
    let raw = UnsafeRawBufferPointer(start: values.storage.base, count: values.count * values.dtype.byteSize)
    // Every platform Swift runs on is little-endian; bools are stored as bytes 0 and 1, as NumPy does.
    out += raw
    return out
  }

  /// The dictionary in a `.npy` header, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (64, 1000), }`.
  struct Header {
    var dtype: DType = .float32
    var bigEndian = false
    var fortranOrder = false
    var shape: [Int] = []

    init(parsing text: String) throws {
      var parser = LiteralParser(text: Array(text.unicodeScalars))
      guard case .dictionary(let entries) = try parser.parseValue() else {
        throw TensorIOError.malformed(reason: "header is not a dictionary: \(text.prefix(80))")
      }
      var seen = Set<String>()
      for (key, value) in entries {
        seen.insert(key)
        switch (key, value) {
        case ("descr", .string(let descr)): (dtype, bigEndian) = try Self.dtype(descr)
        case ("fortran_order", .bool(let flag)): fortranOrder = flag
        case ("shape", .tuple(let sizes)):
          shape = try sizes.map {
            guard case .int(let n) = $0, n >= 0 else {
              throw TensorIOError.malformed(reason: "shape \(sizes) has a size that is not a non-negative integer")
            }
            return n
          }
        case ("descr", _): throw TensorIOError.unsupported(reason: "structured dtype \(value)")
        default: throw TensorIOError.malformed(reason: "unexpected header entry '\(key)': \(value)")
        }
      }
      for key in ["descr", "fortran_order", "shape"] where !seen.contains(key) {
        throw TensorIOError.malformed(reason: "header has no '\(key)'")
      }
    }

    static func dtype(_ descr: String) throws -> (DType, Bool) {
      let order = descr.first
      let code = String(descr.dropFirst())
      guard let order, "<>|=".contains(order) else {
        throw TensorIOError.malformed(reason: "dtype '\(descr)' has no byte order")
      }
      let dtype: DType
      switch code {
      case "f4": dtype = .float32
      case "f8": dtype = .float64
      case "i8": dtype = .int64
      case "b1": dtype = .bool
      default: throw TensorIOError.unsupported(reason: "dtype '\(descr)' (supported: float32, float64, int64, bool)")
      }
      return (dtype, order == ">")
    }
  }
}

/// A parser for the small part of Python's literal syntax that `.npy` headers use.
private struct LiteralParser {
  indirect enum Value: CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case tuple([Value])
    case dictionary([(String, Value)])
    var description: String {
      switch self {
      case .string(let s): "'\(s)'"
      case .int(let n): "\(n)"
      case .bool(let b): b ? "True" : "False"
      case .tuple(let items): "(" + items.map(\.description).joined(separator: ", ") + ")"
      case .dictionary(let entries): "{" + entries.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
      }
    }
  }

  let text: [Unicode.Scalar]
  var position = 0
  var depth = 0

  private func fail(_ what: String) -> TensorIOError {
    .malformed(reason: "header: \(what) at column \(position + 1)")
  }

  private mutating func skipSpace() {
    while position < text.count, text[position].properties.isWhitespace { position += 1 }
  }

  private mutating func consume(_ c: Unicode.Scalar) -> Bool {
    skipSpace()
    guard position < text.count, text[position] == c else { return false }
    position += 1
    return true
  }

  mutating func parseValue() throws -> Value {
    depth += 1
    defer { depth -= 1 }
    guard depth < 32 else { throw fail("nesting too deep") }
    skipSpace()
    guard position < text.count else { throw fail("unexpected end") }
    let c = text[position]
    switch c {
    case "{":
      position += 1
      var entries: [(String, Value)] = []
      while !consume("}") {
        guard case .string(let key) = try parseValue() else { throw fail("dictionary key is not a string") }
        guard consume(":") else { throw fail("expected ':'") }
        entries.append((key, try parseValue()))
        if !consume(",") {
          guard consume("}") else { throw fail("expected ',' or '}'") }
          break
        }
      }
      return .dictionary(entries)
    case "(":
      position += 1
      var items: [Value] = []
      while !consume(")") {
        items.append(try parseValue())
        if !consume(",") {
          guard consume(")") else { throw fail("expected ',' or ')'") }
          break
        }
      }
      return .tuple(items)
    case "'", "\"":
      position += 1
      var s = ""
      while position < text.count, text[position] != c {
        s.unicodeScalars.append(text[position])
        position += 1
      }
      guard position < text.count else { throw fail("unterminated string") }
      position += 1
      return .string(s)
    default:
      var word = ""
      while position < text.count,
        text[position].properties.isAlphabetic || ("0"..."9").contains(text[position])
          || text[position] == "-"
      {
        word.unicodeScalars.append(text[position])
        position += 1
      }
      switch word {
      case "True": return .bool(true)
      case "False": return .bool(false)
      default:
        // `10L` is how Python 2 wrote longs into old files.
        guard let n = Int(word.hasSuffix("L") ? String(word.dropLast()) : word) else {
          throw fail("unexpected '\(word.isEmpty ? String(c) : word)'")
        }
        return .int(n)
      }
    }
  }
}

extension Tensor {
  /// Reads a tensor from a `.npy` file.
  /// - Throws: `TensorIOError` when the file cannot be read or is not a valid `.npy` file.
  public static func load(npy url: URL) throws -> Tensor {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw TensorIOError.fileAccess(path: url.path, reason: error.localizedDescription)
    }
    do { return try NumpyFormat.decode(Array(data)) } catch let error as TensorIOError { throw error.inFile(url.path) }
  }

  /// Writes this tensor to a `.npy` file, atomically (a failed write leaves no partial file).
  public func save(npy url: URL) throws {
    do { try Data(NumpyFormat.encode(self)).write(to: url, options: .atomic) } catch {
      throw TensorIOError.fileAccess(path: url.path, reason: error.localizedDescription)
    }
  }
}
