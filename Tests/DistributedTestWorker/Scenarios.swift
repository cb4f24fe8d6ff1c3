import Autograd
import AutogradDistributed

enum Scenarios {
  static let dtypes: [DType] = [.float32, .float64, .int64]

  /// Every collective on every dtype: odd sizes, views, empty tensors and one large tensor.
  static func collectives(_ group: ProcessGroup) throws {
    let n = group.size
    let ranks = 0..<n
    for dtype in dtypes {
      // Sum, max and min of 7 elements (an odd size).
      for (op, expected) in [
        (ReduceOp.sum, { (i: Int) in Double(ranks.reduce(0) { $0 + $1 * 1000 + i }) }),
        (.max, { Double((n - 1) * 1000 + $0) }), (.min, { Double($0) }),
      ] {
        let t = rankValues(group, 7, dtype: dtype)
        try group.allReduce(t, op: op)
        expect(
          group, t.scalars(as: Double.self) == (0..<7).map(expected),
          "allReduce \(op) of \(dtype): got \(t.scalars(as: Double.self))")
      }
      if dtype.isFloatingPoint {
        let t = rankValues(group, 7, dtype: dtype)
        try group.allReduce(t, op: .mean)
        let expected = (0..<7).map { i in Double(ranks.reduce(0) { $0 + $1 * 1000 + i }) / Double(n) }
        expect(
          group, t.scalars(as: Double.self) == expected, "allReduce mean of \(dtype): got \(t.scalars(as: Double.self))"
        )
      } else {
        do {
          try group.allReduce(rankValues(group, 3, dtype: dtype), op: .mean)
          fail(group, "a mean of int64 was accepted")
        } catch DistributedError.invalidArgument {}
      }

      // A view that is not contiguous: two columns of a 3 x 4 matrix, reduced in place; the other
      // columns stay as they were.
      let matrix = rankValues(group, 12, dtype: dtype, shape: [3, 4])
      let columns = matrix.transposed()[1..<3]
      expect(group, !columns.isContiguous, "the test view is contiguous")
      try group.allReduce(columns)
      let values = matrix.scalars(as: Double.self)
      for row in 0..<3 {
        for column in 0..<4 {
          let i = row * 4 + column
          let expected =
            (1..<3).contains(column) ? Double(ranks.reduce(0) { $0 + $1 * 1000 + i }) : Double(group.rank * 1000 + i)
          expect(
            group, values[i] == expected,
            "allReduce of a column view of \(dtype): element \(i) is \(values[i]), expected \(expected)")
        }
      }

      // Empty tensors pass through every collective.
      let empty = Tensor.zeros([0, 3], dtype: dtype)
      try group.allReduce(empty)
      try group.broadcast(empty)
      expect(group, try group.allGather(empty).shape == [n, 0, 3], "allGather of an empty \(dtype) tensor")
      let pendingEmpty = try group.allReduceAsync(empty)
      try pendingEmpty.wait()

      // Broadcast from the last rank, into a view.
      let target = rankValues(group, 10, dtype: dtype, shape: [2, 5])
      try group.broadcast(target.transposed(), from: n - 1)
      expect(
        group,
        target.scalars(as: Double.self) == rankValues(group, rank: n - 1, 10, dtype: dtype).scalars(as: Double.self),
        "broadcast of \(dtype) from rank \(n - 1): got \(target.scalars(as: Double.self))")

      // All-gather, of a view, stacked in rank order.
      let source = rankValues(group, 6, dtype: dtype, shape: [2, 3]).transposed()
      let gathered = try group.allGather(source)
      expect(group, gathered.shape == [n, 3, 2], "allGather shape \(gathered.shape)")
      let expectedGather = ranks.flatMap {
        rankValues(group, rank: $0, 6, dtype: dtype, shape: [2, 3]).transposed().scalars(as: Double.self)
      }
      expect(
        group, gathered.scalars(as: Double.self) == expectedGather,
        "allGather of \(dtype): got \(gathered.scalars(as: Double.self))")
    }

    // Asynchronous all-reduces: several in flight at once, one larger than a 25 MB bucket.
    let large = Tensor.full([7_000_001], value: Double(group.rank + 1))
    let small = rankValues(group, 5, dtype: .float64)
    let pendingLarge = try group.allReduceAsync(large, op: .mean)
    let pendingSmall = try group.allReduceAsync(small, op: .max)
    _ = try pendingSmall.isCompleted()
    try pendingSmall.wait()
    try pendingLarge.wait()
    expect(group, try pendingLarge.isCompleted(), "a waited reduction is not completed")
    let mean = Float(ranks.reduce(0) { $0 + $1 + 1 }) / Float(n)
    let largeValues = large.scalars(as: Float.self)
    expect(
      group, largeValues.allSatisfy { $0 == mean },
      "async mean of 7,000,001 floats: first \(largeValues[0]), expected \(mean)")
    expect(
      group, small.scalars(as: Double.self) == (0..<5).map { Double((n - 1) * 1000 + $0) },
      "async max: \(small.scalars(as: Double.self))")

    try group.barrier()
  }

  /// Rank 0 reduces a [2, 3] tensor, the others a [3, 2] one: every rank gets an error naming both.
  static func mismatch(_ group: ProcessGroup) throws {
    let shape = group.rank == 0 ? [2, 3] : [3, 2]
    do {
      try group.allReduce(Tensor.zeros(shape))
      fail(group, "allReduce with different shapes succeeded")
    } catch let error as DistributedError {
      guard case .mismatchedCall(let text) = error, text.contains("rank 0: allReduce of float32 [2, 3]"),
        text.contains("rank 1: allReduce of float32 [3, 2]")
      else { fail(group, "wrong error: \(error)") }
      print("rank \(group.rank): \(text)")
    }
    // A different call on each rank is caught the same way, and the group still works after.
    do {
      if group.rank == 0 { try group.allReduce(Tensor.zeros([4])) } else { _ = try group.allGather(Tensor.zeros([4])) }
      fail(group, "allReduce against allGather succeeded")
    } catch DistributedError.mismatchedCall {}
    let t = Tensor.ones([3])
    try group.allReduce(t)
    expect(
      group, t.scalars(as: Double.self) == [Double](repeating: Double(group.size), count: 3),
      "allReduce after a mismatch")
  }

  /// The last rank reports a failure; every rank learns who stopped and why.
  static func agree(_ group: ProcessGroup) throws {
    try group.agree(onFailure: nil)
    let last = group.size - 1
    do {
      try group.agree(onFailure: group.rank == last ? "could not read digits.csv: no such file" : nil)
      fail(group, "agree did not throw")
    } catch DistributedError.rankFailed(let rank, let reason) {
      expect(
        group, rank == last && reason == "could not read digits.csv: no such file", "rankFailed(\(rank), \(reason))")
    }
  }
}
