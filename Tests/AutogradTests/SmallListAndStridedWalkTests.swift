import Testing

@testable import Autograd

/// The two containers the hot paths rely on, tested directly rather than only through the ops.
@Suite("SmallList and StridedWalk") struct SmallListAndStridedWalkTests {
  @Test func aSmallListKeepsTwoInlineAndTheRestInAnArray() {
    var list = SmallList<Int>()
    #expect(list.isEmpty)
    for i in 0..<5 { list.append(i * 10) }
    #expect(list.count == 5 && Array(list) == [0, 10, 20, 30, 40])
    list[3] = 33
    #expect(list.exchange(at: 1, with: 11) == 10 && list.exchange(at: 4, with: 44) == 40)
    #expect(Array(list) == [0, 11, 20, 33, 44])
    #expect(list.bits { $0 % 2 == 0 } == 0b10101)
    var moved: [Int] = [-1]
    var copy = list
    copy.moveAll(into: &moved)
    #expect(moved == [-1, 0, 11, 20, 33, 44] && copy.isEmpty)
    let taken = list.take()
    #expect(taken.count == 5 && list.isEmpty)
    #expect(
      Array(SmallList(7)) == [7] && Array(SmallList(7, 8)) == [7, 8] && Array(SmallList([1, 2, 3])) == [1, 2, 3])
  }

  /// The offsets a walk visits, row by row, for one operand.
  func offsets(shape: [Int], strides: [Int]) -> [Int] {
    let walk = StridedWalk(shape: Dims(shape), strides: Dims(strides), Dims(strides), Dims(strides))
    var visited: [Int] = []
    walk.forEachRow(from: (0, 0, 0)) { a, _, _ in
      for i in 0..<walk.rowLength { visited.append(a + i * walk.rowStride(0)) }
    }
    return visited
  }

  @Test func aStridedWalkVisitsEveryElementInRowMajorOrderMergingAxes() {
    // Contiguous axes merge into one row; a transposed view walks its strides; size-1 axes vanish.
    let contiguous = StridedWalk(shape: Dims([2, 3, 4]), strides: Dims([12, 4, 1]))
    #expect(contiguous.shape == [24])
    // Two operands merge only the axes that both step over; the second keeps its own strides.
    let pair = StridedWalk(shape: Dims([2, 3, 4]), strides: Dims([12, 4, 1]), Dims([1, 8, 2]))
    #expect(pair.shape == [2, 12] && pair.rowStride(0) == 1 && pair.rowStride(1) == 2 && pair.rowStride(2) == 1)
    // Seven axes, more than `Dims` holds inline, merge and walk as well.
    let long = [1, 2, 1, 3, 1, 2, 2]
    #expect(offsets(shape: long, strides: Shape.contiguousStrides(long)) == Array(0..<24))
    #expect(offsets(shape: [2, 2, 2, 2, 2, 2, 2], strides: [1, 2, 4, 8, 16, 32, 64]).count == 128)
    #expect(offsets(shape: [2, 3], strides: [1, 2]) == [0, 2, 4, 1, 3, 5])
    #expect(offsets(shape: [2, 1, 3], strides: [3, 100, 1]) == [0, 1, 2, 3, 4, 5])
    // Broadcast (stride 0) rows repeat the same elements.
    #expect(offsets(shape: [2, 3], strides: [0, 1]) == [0, 1, 2, 0, 1, 2])
    #expect(offsets(shape: [0, 3], strides: [3, 1]).isEmpty)
  }
}
