import Autograd
import Foundation

/// The IDX format of the MNIST files: two zero bytes, a type code, the number of axes, each size
/// as a big-endian 32-bit integer, then the big-endian values. Integer types are read as int64,
/// float and double as float32 and float64.
public enum IDXFormat {
  /// Decodes the bytes of an IDX file; `path` names the source in errors.
  /// - Throws: `DataFileError` naming the byte offset and what is wrong.
  public static func decode(_ bytes: [UInt8], path: String = "<bytes>") throws -> Tensor {
    func fail(_ offset: Int, _ reason: String) -> DataFileError {
      DataFileError(path: path, location: "byte \(offset)", reason: reason)
    }
    guard bytes.count >= 4 else { throw fail(0, "\(bytes.count) bytes is too short for an IDX header") }
    guard bytes[0] == 0, bytes[1] == 0 else { throw fail(0, "an IDX file starts with two zero bytes") }
    let size: Int
    let dtype: DType
    switch bytes[2] {
    case 0x08, 0x09: (size, dtype) = (1, .int64)
    case 0x0B: (size, dtype) = (2, .int64)
    case 0x0C: (size, dtype) = (4, .int64)
    case 0x0D: (size, dtype) = (4, .float32)
    case 0x0E: (size, dtype) = (8, .float64)
    default: throw fail(2, String(format: "unknown type code 0x%02X", bytes[2]))
    }
    let rank = Int(bytes[3])
    guard bytes.count >= 4 + 4 * rank else { throw fail(bytes.count, "the file ends inside the \(rank) sizes") }
    let shape = (0..<rank).map { axis in
      let o = 4 + 4 * axis
      return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
    }
    // Checked at the size in memory, which is at least the size in the file (bytes are read as int64).
    guard let count = Shape.checkedCount(shape, elementSize: dtype.byteSize) else {
      throw fail(4, "the sizes \(shape) are too large to address")
    }
    let start = 4 + 4 * rank
    guard bytes.count - start >= count * size else {
      throw fail(bytes.count, "shape \(shape) needs \(count * size) bytes of data, the file has \(bytes.count - start)")
    }
    var values = [Double](repeating: 0, count: count)
    var ints = [Int64](repeating: 0, count: dtype == .int64 ? count : 0)
    for i in 0..<count {
      var raw: UInt64 = 0
      for b in 0..<size { raw = raw << 8 | UInt64(bytes[start + i * size + b]) }
      switch bytes[2] {
      case 0x08: ints[i] = Int64(raw)
      case 0x09: ints[i] = Int64(Int8(truncatingIfNeeded: raw))
      case 0x0B: ints[i] = Int64(Int16(truncatingIfNeeded: raw))
      case 0x0C: ints[i] = Int64(Int32(truncatingIfNeeded: raw))
      case 0x0D: values[i] = Double(Float(bitPattern: UInt32(raw)))
      default: values[i] = Double(bitPattern: raw)
      }
    }
    if dtype == .int64 { return Tensor(integers: ints.map(Int.init), shape: shape) }
    return Tensor(values, shape: shape, dtype: dtype)
  }

  /// Reads an IDX file (such as MNIST's `train-images-idx3-ubyte`).
  public static func load(_ url: URL) throws -> Tensor {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw DataFileError(path: url.path, location: "", reason: "cannot read the file (\(error.localizedDescription))")
    }
    return try decode(Array(data), path: url.path)
  }
}
