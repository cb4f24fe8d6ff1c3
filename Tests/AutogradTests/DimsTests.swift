import Foundation
import Testing

@testable import Autograd

/// The inline list of sizes and strides, on both sides of its six inline slots, and tensors with
/// more axes than it holds inline.
@Suite("Dims and tensors of many axes") struct DimsTests {
  @Test(arguments: [[], [3], [2, 3, 4], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7], [2, 1, 3, 1, 2, 1, 2, 5]])
  func aListKeepsItsValues(values: [Int]) {
    var dims = Dims(values)
    #expect(dims.count == values.count && dims.array == values && Array(dims) == values)
    #expect(dims == Dims(values) && dims == values && dims.description == values.description)
    #expect(dims.product == values.reduce(1, *))
    #expect(dims.contiguousStrides == Shape.contiguousStrides(values))
    #expect(Dims(repeating: 0, count: values.count).allZero && (values.isEmpty || !dims.allZero))
    guard !values.isEmpty else { return }
    // A changed copy is a new list; the original keeps its values.
    let original = dims
    dims[values.count - 1] += 10
    var expected = values
    expected[values.count - 1] += 10
    #expect(dims == expected && dims != original && original == values)
    #expect(dims == Dims(expected))
  }

  @Test func listsOfDifferentLengthsOrValuesDiffer() {
    #expect(Dims([1, 2]) != Dims([1, 2, 0]))
    #expect(Dims([1, 2, 3, 4, 5, 6, 7]) != Dims([1, 2, 3, 4, 5, 6, 8]))
    #expect(Dims([1, 2, 3, 4, 5, 6, 7]) != Dims([1, 2, 3, 4, 5, 6]))
    #expect(Dims([0, 0, 0, 0, 0, 0, 0]).allZero && !Dims([0, 0, 0, 0, 0, 0, 1]).allZero)
  }

  @Test func valuesBeyondThirtyTwoBitsAreKept() {
    let big = Int(Int32.max) + 5
    for values in [[big], [2, big], [3, -big, 1], [Int.max, Int.min], [1 << 40, 1 << 21, 3]] {
      var dims = Dims(values)
      #expect(dims.array == values && dims == Dims(values) && dims.count == values.count)
      #expect(dims != Dims(values.map { $0 &+ 1 }))
      dims[0] = 7
      #expect(dims.array == [7] + values.dropFirst() && dims == Dims([7] + values.dropFirst()))
    }
    // A shape whose count fits but whose strides or count go past 32 bits, and one that overflows.
    for shape in [[1 << 20, 1 << 12], [3, 1 << 31], [0, 1 << 33], [2, 0, 1 << 32]] {
      #expect(Dims(shape).contiguousStrides == Shape.contiguousStrides(shape))
      #expect(Dims(shape).contiguousLayout(elementSize: 4)?.count == Shape.checkedCount(shape, elementSize: 4))
    }
    #expect(Dims([1 << 30, 1 << 30, 1 << 2]).contiguousLayout(elementSize: 1) != nil)
    #expect(Dims([1 << 30, 1 << 30, 1 << 2]).contiguousLayout(elementSize: 2) == nil)
    #expect(Dims([1 << 20, 1 << 20, 1 << 20, 1 << 20]).contiguousLayout(elementSize: 1) == nil)
    #expect(Dims([2, -1]).contiguousLayout(elementSize: 1) == nil)
  }

  /// Scalars and vectors take a shorter path to their layout; it gives what the general rule gives.
  @Test func layoutsOfScalarsAndVectors() {
    for shape in [[], [0], [1], [7], [Int(Int32.max)], [1 << 40]] {
      let layout = Dims(shape).contiguousLayout(elementSize: 8)
      #expect(layout?.count == Shape.checkedCount(shape, elementSize: 8))
      #expect(layout?.strides == Dims(Shape.contiguousStrides(shape)))
    }
    #expect(Dims([-1]).contiguousLayout(elementSize: 4) == nil)
    #expect(Dims([1 << 30]).contiguousLayout(elementSize: Int.max / 4) == nil)
  }

  /// Long lists are interned in one table that threads share. Its lock must be one that
  /// ThreadSanitizer sees: under it (in CI) a reported race ends the process with status 66.
  @Test func threadsInternLongListsWithoutARace() async {
    await #expect(processExitsWith: .success) {
      let group = DispatchGroup()
      for t in 0..<2 {
        group.enter()
        Thread {
          for i in 0..<100 {
            let values = [1, 2, 3, 4, 5, 6, 7, t * 100 + i]
            guard Dims(values).array == values else { exit(1) }
          }
          group.leave()
        }.start()
      }
      group.wait()
    }
  }

  @Test func tensorsOfMoreAxesThanHeldInline() {
    let shape = [2, 1, 3, 1, 2, 1, 2, 2]
    let x = seededNormal(shape, seed: 4)
    #expect(x.shape == shape && x.rank == 8 && x.count == 48 && x.isContiguous)
    #expect(x.strides == Shape.contiguousStrides(shape))
    let p = x.permuted([7, 6, 5, 4, 3, 2, 1, 0])
    #expect(p.shape == Array(shape.reversed()) && !p.isContiguous)
    #expect(p.contiguous().permuted([7, 6, 5, 4, 3, 2, 1, 0]).scalars(as: Double.self) == x.scalars(as: Double.self))
    // Broadcast against a rank-7 operand, reduced, and differentiated.
    checkBothOrders([shape, [3, 1, 2, 1, 1, 2]], seed: 9) { t in
      ((t[0] * t[1]).sum(axes: [0, 2, 7]) * t[0].sum(axes: [0, 2, 7])).sum()
    }
  }
}
