import Foundation
import Testing

@testable import Autograd

/// Builds an .npy file by hand, independently of the library's writer.
private func npy(_ header: String, version: UInt8 = 1, data: [UInt8]) -> [UInt8] {
  var h = Array(header.utf8)
  let prefix = version == 1 ? 10 : 12
  while (prefix + h.count + 1) % 64 != 0 { h.append(0x20) }
  h.append(0x0A)
  var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
  if version == 1 {
    out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)]
  } else {
    out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8 & 0xFF), 0, 0]
  }
  return out + h + data
}

private func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

@Suite(".npy files") struct NumpyFormatTests {
  @Test func readsLittleEndianFloat32() throws {
    let t = try NumpyFormat.decode(
      npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        data: bytes([Float](arrayLiteral: 1, 2, 3, 4, 5, 6))))
    #expect(t.shape == [2, 3])
    #expect(t.dtype == .float32)
    #expect(t.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
  }

  @Test func readsBigEndianFloat64AndInt64() throws {
    let d = try NumpyFormat.decode(
      npy(
        "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
        data: bytes([1.5, -2.0].map { $0.bitPattern.bigEndian })))
    #expect(d.scalars(as: Double.self) == [1.5, -2])
    let i = try NumpyFormat.decode(
      npy(
        "{'descr': '>i8', 'fortran_order': False, 'shape': (3,), }",
        data: bytes([Int64(7), -1, 1 << 40].map(\.bigEndian))))
    #expect(i.scalars(as: Int64.self) == [7, -1, 1 << 40])
  }

  @Test func readsFortranOrder() throws {
    // Column-major [[1, 2, 3], [4, 5, 6]] is stored as 1 4 2 5 3 6.
    let t = try NumpyFormat.decode(
      npy(
        "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
        data: bytes([1.0, 4, 2, 5, 3, 6])))
    #expect(t.shape == [2, 3])
    #expect(t.scalars(as: Double.self) == [1, 2, 3, 4, 5, 6])
  }

  @Test func readsBoolScalarsAndVersions2And3() throws {
    let b = try NumpyFormat.decode(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", data: [1, 0, 1]))
    #expect(b.scalars(as: Bool.self) == [true, false, true])
    let s = try NumpyFormat.decode(
      npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", version: 2,
        data: bytes([Float(2.5)])))
    #expect(s.shape == [])
    #expect(s.item() == 2.5)
    let v3 = try NumpyFormat.decode(
      npy(
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1,)}", version: 3,
        data: bytes([Float(1)])))
    #expect(v3.item() == 1)
  }

  @Test(arguments: [DType.float32, .float64, .int64, .bool])
  func roundTripsThroughAFile(dtype: DType) throws {
    let t = Tensor.arange(0, 12).reshaped(to: [3, 4]).transposed().cast(to: dtype)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID()).npy")
    defer { try? FileManager.default.removeItem(at: url) }
    try t.save(npy: url)
    let back = try Tensor.load(npy: url)
    #expect(back.shape == [4, 3])
    #expect(back.dtype == dtype)
    #expect(back.scalars(as: Double.self) == t.scalars(as: Double.self))
    let raw = try Data(contentsOf: url)
    #expect(raw.count >= 64 && Array(raw.prefix(6)) == [0x93] + Array("NUMPY".utf8))
    #expect((Int(raw[8]) + (Int(raw[9]) << 8) + 10) % 64 == 0, "data starts on a 64-byte boundary")
  }

  @Test func readsTheReferenceTensors() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../AutogradExamplesTests/Fixtures/two_layer_net/w2.npy")
    let w2 = try Tensor.load(npy: url)
    #expect(w2.shape == [100, 10])
    #expect(w2.dtype == .float32)
  }

  @Test(
    arguments: [
      ([UInt8](), "too short"),
      (Array("NOTNPY0000000000".utf8), "magic"),
      ([0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0], "version 9.0"),
      ([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0x00] + Array("{'descr'".utf8), "file ends"),
      (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: [0, 0, 0]), "needs 24 bytes"),
      (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", data: []), "non-negative"),
      (
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data: []),
        "too large to address"
      ),
      // A size of 0 before or after sizes whose product overflows (found by fuzzing: they crashed).
      (
        npy(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904, 4611686018427387904), }", data: []
        ),
        "too large to address"
      ),
      (
        npy(
          "{'descr': '<f4', 'fortran_order': True, 'shape': (4611686018427387904, 4611686018427387904, 0), }", data: []),
        "too large to address"
      ),
      (
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data: []),
        "unexpected '99999999999999999999'"
      ),
      (npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", data: []), "dtype '<c16'"),
      (npy("{'descr': '<f4', 'shape': (1,), }", data: [0, 0, 0, 0]), "no 'fortran_order'"),
      (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", data: []), "column"),
      (npy("[1, 2]", data: []), "unexpected '['"),
      (npy("{'descr': 'f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), "byte order"),
    ] as [([UInt8], String)])
  func malformedFilesThrowAClearError(file: [UInt8], expected: String) {
    #expect {
      _ = try NumpyFormat.decode(file)
    } throws: { error in
      "\(error)".contains(expected)
    }
  }

  @Test func missingFileThrows() {
    #expect(throws: TensorIOError.self) { try Tensor.load(npy: URL(fileURLWithPath: "/nonexistent/x.npy")) }
  }

  @Test func everyTruncationOfAValidFileThrowsOrReadsFewerBytes() throws {
    let file = NumpyFormat.encode(Tensor.arange(0, 10, dtype: .float64))
    for length in 0..<file.count {
      #expect(throws: TensorIOError.self) { try NumpyFormat.decode(Array(file.prefix(length))) }
    }
    #expect(try NumpyFormat.decode(file).count == 10)
  }

  @Test func randomCorruptionsNeverCrash() {
    let file = NumpyFormat.encode(Tensor.arange(0, 6).reshaped(to: [2, 3]))
    var g = RandomGenerator(seed: 77)
    var decoded = 0
    for _ in 0..<3000 {
      var corrupt = file
      for _ in 0..<(1 + Int(g.nextInt(in: 0..<4))) {
        corrupt[Int(g.nextInt(in: 0..<Int64(file.count)))] = UInt8(g.nextInt(in: 0..<256))
      }
      if let t = try? NumpyFormat.decode(corrupt) {
        decoded += 1
        #expect(t.count * t.dtype.byteSize <= corrupt.count)
      }
    }
    // Most single-byte changes hit the data or the padding and still decode; the rest must throw.
    #expect(decoded > 0)
  }
}
