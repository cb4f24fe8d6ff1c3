import Foundation

/// The `.safetensors` format that PyTorch and Hugging Face users share weights in: an 8-byte
/// little-endian header length, a JSON header mapping each name to its dtype, shape and byte
/// range (plus optional string metadata under `__metadata__`), then the raw little-endian data.
///
/// Reads F64, F32, F16, BF16 (as float32), I64, I32, I16, I8, U8 (as int64) and BOOL; writes
/// float32, float64, int64 and bool. Every header field, size and offset is checked: a corrupt
/// file throws `TensorIOError`, it never crashes or reads out of bounds.
public enum Safetensors {
  /// The largest header accepted, as the reference implementation (100 MB).
  static let maxHeaderSize = 100_000_000

  /// Encodes named tensors (and metadata) as the bytes of a `.safetensors` file.
  public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var data: [UInt8] = []
    var names = Set<String>()
    for (name, tensor) in tensors {
      guard names.insert(name).inserted, name != "__metadata__" else {
        throw TensorIOError.malformed(reason: "tensor name '\(name)' is repeated or reserved")
      }
      let values = Kernels.contiguousCopy(tensor.detached())
      let bytes = UnsafeRawBufferPointer(start: values.storage.base, count: values.count * values.dtype.byteSize)
      header[name] = [
        "dtype": code(for: tensor.dtype), "shape": tensor.shape,
        "data_offsets": [data.count, data.count + bytes.count],
      ]
      data += bytes
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    // Pad with spaces so that the data starts 8-byte aligned, as the reference writer does.
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
    return out + json + data
  }

  /// Decodes the bytes of a `.safetensors` file into named tensors (in file order) and metadata.
  public static func decode(_ bytes: [UInt8]) throws -> (tensors: [(String, Tensor)], metadata: [String: String]) {
    guard bytes.count >= 8 else {
      throw TensorIOError.malformed(reason: "\(bytes.count) bytes is too short for a safetensors header")
    }
    var length: UInt64 = 0
    for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard length <= UInt64(maxHeaderSize), Int(length) <= bytes.count - 8 else {
      throw TensorIOError.malformed(reason: "header length \(length) does not fit in the file of \(bytes.count) bytes")
    }
    let headerEnd = 8 + Int(length)
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
      let header = object as? [String: Any]
    else {
      throw TensorIOError.malformed(reason: "the header is not a JSON object")
    }
    var metadata: [String: String] = [:]
    if let raw = header["__metadata__"] {
      guard let dict = raw as? [String: Any], let strings = dict as? [String: String] else {
        throw TensorIOError.malformed(reason: "__metadata__ must map strings to strings")
      }
      metadata = strings
    }
    let dataCount = bytes.count - headerEnd
    var entries: [(name: String, dtype: DType, source: String, shape: [Int], start: Int, end: Int)] = []
    for (name, value) in header where name != "__metadata__" {
      guard let info = value as? [String: Any], let dtypeCode = info["dtype"] as? String,
        let shapeValues = info["shape"] as? [Any], let offsetValues = info["data_offsets"] as? [Any]
      else {
        throw TensorIOError.malformed(reason: "tensor '\(name)' needs dtype, shape and data_offsets")
      }
      guard let (dtype, size) = decodedType(dtypeCode) else {
        throw TensorIOError.unsupported(reason: "tensor '\(name)' has dtype \(dtypeCode)")
      }
      let shape = try shapeValues.map { v -> Int in
        guard let n = jsonInteger(v), n >= 0 else {
          throw TensorIOError.malformed(reason: "tensor '\(name)' has a shape entry that is not a non-negative integer")
        }
        return n
      }
      let offsets = offsetValues.compactMap(jsonInteger)
      guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount else {
        throw TensorIOError.malformed(
          reason: "tensor '\(name)' has data_offsets \(offsetValues) outside the \(dataCount) data bytes")
      }
      // Checked at the size in memory, which is at least the size in the file (F16 is read as float32).
      guard let count = Shape.checkedCount(shape, elementSize: dtype.byteSize) else {
        throw TensorIOError.malformed(reason: "tensor '\(name)' has a shape too large to address: \(shape)")
      }
      guard count * size == offsets[1] - offsets[0] else {
        throw TensorIOError.malformed(
          reason:
            "tensor '\(name)' of shape \(shape) and dtype \(dtypeCode) needs \(count * size) bytes, data_offsets give \(offsets[1] - offsets[0])"
        )
      }
      entries.append((name, dtype, dtypeCode, shape, offsets[0], offsets[1]))
    }
    // The byte ranges must tile the data exactly, as the format requires.
    entries.sort { ($0.start, $0.end) < ($1.start, $1.end) }
    var expected = 0
    for entry in entries {
      guard entry.start == expected else {
        throw TensorIOError.malformed(
          reason:
            "tensor '\(entry.name)' starts at byte \(entry.start) of the data, expected \(expected) (gap or overlap)")
      }
      expected = entry.end
    }
    guard expected == dataCount else {
      throw TensorIOError.malformed(reason: "the tensors cover \(expected) of the \(dataCount) data bytes")
    }
    let tensors = bytes.withUnsafeBytes { raw in
      entries.map { entry in
        (
          entry.name,
          tensor(
            from: UnsafeRawBufferPointer(rebasing: raw[(headerEnd + entry.start)..<(headerEnd + entry.end)]),
            code: entry.source, dtype: entry.dtype, shape: entry.shape)
        )
      }
    }
    return (tensors, metadata)
  }

  /// A JSON number written as an integer, as the format's sizes and offsets must be: not `true`
  /// (which Foundation also hands over as an `NSNumber` of 1), not `2.0`, not beyond `Int`.
  private static func jsonInteger(_ value: Any) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    // Foundation types a JSON boolean "c" and a fraction or a huge integer "d"; integers are "i", "l" or "q".
    guard ["i", "l", "q"].contains(String(cString: number.objCType)) else { return nil }
    return number.intValue
  }

  private static func code(for dtype: DType) -> String {
    switch dtype {
    case .float32: "F32"
    case .float64: "F64"
    case .int64: "I64"
    case .bool: "BOOL"
    }
  }

  /// The dtype a stored type is read as, and its size in the file.
  private static func decodedType(_ code: String) -> (DType, Int)? {
    switch code {
    case "F64": (.float64, 8)
    case "F32": (.float32, 4)
    case "F16", "BF16": (.float32, 2)
    case "I64": (.int64, 8)
    case "I32": (.int64, 4)
    case "I16": (.int64, 2)
    case "I8", "U8": (.int64, 1)
    case "BOOL": (.bool, 1)
    default: nil
    }
  }

  private static func tensor(from raw: UnsafeRawBufferPointer, code: String, dtype: DType, shape: [Int]) -> Tensor {
    let out = Tensor(empty: shape, dtype: dtype)
    let n = out.count
    func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
      T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
    }
    switch code {
    case "F64": for i in 0..<n { out.storage.pointer(Double.self)[i] = Double(bitPattern: load(UInt64.self, i)) }
    case "F32": for i in 0..<n { out.storage.pointer(Float.self)[i] = Float(bitPattern: load(UInt32.self, i)) }
    case "F16": for i in 0..<n { out.storage.pointer(Float.self)[i] = Float(float16Bits: load(UInt16.self, i)) }
    case "BF16":
      for i in 0..<n { out.storage.pointer(Float.self)[i] = Float(bitPattern: UInt32(load(UInt16.self, i)) << 16) }
    case "I64": for i in 0..<n { out.storage.pointer(Int64.self)[i] = load(Int64.self, i) }
    case "I32": for i in 0..<n { out.storage.pointer(Int64.self)[i] = Int64(load(Int32.self, i)) }
    case "I16": for i in 0..<n { out.storage.pointer(Int64.self)[i] = Int64(load(Int16.self, i)) }
    case "I8": for i in 0..<n { out.storage.pointer(Int64.self)[i] = Int64(load(Int8.self, i)) }
    case "U8": for i in 0..<n { out.storage.pointer(Int64.self)[i] = Int64(load(UInt8.self, i)) }
    default: for i in 0..<n { out.storage.pointer(Bool.self)[i] = raw[i] != 0 }
    }
    return out
  }

  /// Reads named tensors and metadata from a `.safetensors` file.
  public static func load(_ url: URL) throws -> (tensors: [(String, Tensor)], metadata: [String: String]) {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw TensorIOError.fileAccess(path: url.path, reason: error.localizedDescription)
    }
    do { return try decode(Array(data)) } catch let error as TensorIOError { throw error.inFile(url.path) }
  }

  /// Writes named tensors and metadata to a `.safetensors` file, atomically.
  public static func save(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
    let bytes = try encode(tensors, metadata: metadata)
    do { try Data(bytes).write(to: url, options: .atomic) } catch {
      throw TensorIOError.fileAccess(path: url.path, reason: error.localizedDescription)
    }
  }
}

extension Float {
  /// The value of IEEE half-precision bits, for files that store float16 (no Float16 type on every platform).
  init(float16Bits bits: UInt16) {
    let sign: Float = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int((bits >> 10) & 0x1F)
    let fraction = Float(bits & 0x3FF)
    switch exponent {
    case 0: self = sign * fraction * 0x1p-24
    case 31: self = fraction == 0 ? sign * .infinity : .nan
    default: self = sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }
  }
}
