import Autograd
import Foundation
import Testing

@testable import AutogradNN

@Suite("IDX files") struct IDXFormatTests {
  @Test func readsUnsignedBytesAndFloats() throws {
    let images: [UInt8] = [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 255, 0, 7]
    let t = try IDXFormat.decode(images)
    #expect(t.shape == [2, 1, 2] && t.scalars(as: Int64.self) == [10, 255, 0, 7])
    let floats: [UInt8] =
      [0, 0, 0x0D, 1, 0, 0, 0, 1] + withUnsafeBytes(of: Float(1.5).bitPattern.bigEndian) { Array($0) }
    #expect(try IDXFormat.decode(floats).scalars(as: Float.self) == [1.5])
    let signed: [UInt8] = [0, 0, 0x09, 1, 0, 0, 0, 2, 0xFF, 0x01]
    #expect(try IDXFormat.decode(signed).scalars(as: Int64.self) == [-1, 1])
  }

  @Test func anEmptyTensorWithHugeSizesDecodes() throws {
    // [3120562176, 0, 738197504] of float32 is addressable at 4 bytes an element but not at 8: it was
    // built through a float64 copy and trapped (found by fuzzing).
    let file: [UInt8] = [0, 0, 0x0D, 3, 0xBA, 0, 0, 0, 0, 0, 0, 0, 0x2C, 0, 0, 0]
    let t = try IDXFormat.decode(file)
    #expect(t.shape == [3_120_562_176, 0, 738_197_504] && t.count == 0 && t.dtype == .float32)
  }

  @Test(
    arguments: [
      ([UInt8]([1, 0, 8, 1]), "byte 0: an IDX file starts with two zero bytes"),
      ([0, 0, 0x42, 1], "byte 2: unknown type code 0x42"),
      ([0, 0, 8, 2, 0, 0, 0, 1], "byte 8: the file ends inside the 2 sizes"),
      ([0, 0, 8, 1, 0, 0, 0, 5, 1, 2], "needs 5 bytes of data, the file has 2"),
      // A size of 0 and sizes whose product overflows (found by fuzzing: it crashed).
      ([0, 0, 0x0E, 4, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 12), "are too large to address"),
      ([0, 0, 0x0E, 4] + [UInt8](repeating: 0xFF, count: 12) + [0, 0, 0, 0], "are too large to address"),
      // Bytes are read as int64: the check is at 8 bytes an element, not 1 (found by fuzzing).
      ([0, 0, 0x08, 3, 0x7A, 0, 0, 0, 0, 0, 0, 0, 0x2B, 0, 0x14, 0], "are too large to address"),
    ]
      as [([UInt8], String)])
  func malformedFilesNameTheByte(bytes: [UInt8], message: String) {
    #expect { _ = try IDXFormat.decode(bytes, path: "x.idx") } throws: { "\($0)".contains(message) }
  }
}
