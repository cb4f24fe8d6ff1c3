import Foundation
import Testing

@testable import Autograd

@Suite("In-place ops") struct InPlaceTests {
  @Test func inPlaceClampAndVersions() {
    let t = Tensor([-2, 0.5, 3])
    let before = t.storage.version
    t.clamp(min: -1, max: 1)
    #expect(t.scalars(as: Float.self) == [-1, 0.5, 1])
    #expect(t.storage.version == before + 1)
  }
}

@Suite("In-place updates keep the tensor's dtype") struct InPlaceDTypeTests {
  @Test func resultsThatFitAreStored() {
    let counts = Tensor(integers: [1, 2])
    counts += Tensor(integers: [3, 4])
    counts += 1
    counts *= Tensor(bools: [true, false])
    #expect(counts.dtype == .int64 && counts.scalars(as: Int64.self) == [5, 0])
    let x = Tensor([0.5, 1.5])
    x += Tensor(integers: [1, 1])
    x /= 2
    #expect(x.dtype == .float32 && x.scalars(as: Float.self) == [0.75, 1.25])
  }

  @Test(arguments: [0, 1, 2, 3])
  func resultsThatWouldBeTruncatedTrapWithAMessage(kind: Int) async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [kind] in
      let counts = Tensor(integers: [1, 2])
      switch kind {
      case 0: counts += Tensor([0.5, 0.5])
      case 1: counts += 0.5
      case 2: counts /= 2
      default: Tensor(bools: [true]) += 1
      }
    }.map { result in
      let expected = [
        "add_: the result type float32 can't be cast to the tensor's dtype int64",
        "add_: the result type float32 can't be cast to the tensor's dtype int64",
        "div_: the result type float32 can't be cast to the tensor's dtype int64",
        "add_: the result type int64 can't be cast to the tensor's dtype bool",
      ][kind]
      #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains(expected))
    }
  }
}
