import Foundation
import Testing

@testable import Autograd

/// One test per row of the dtype table in the docs (Autograd.docc/DTypes.md): each op of the row is
/// applied to a tensor of each dtype, and gives the dtype the table says or traps naming the op.
@Suite("The dtype table in the docs") struct DTypeTableTests {
  /// A cell: the result's dtype, or nil where the op traps.
  typealias Cells = (floating: Bool, int64: DType?, bool: DType?)

  static let dtypes: [DType] = [.float32, .float64, .int64, .bool]

  static func sample(_ dtype: DType) -> Tensor {
    switch dtype {
    case .bool: Tensor(bools: [true, false, true, true], shape: [2, 2])
    case .int64: Tensor(integers: [3, 1, 4, 2], shape: [2, 2])
    default: Tensor([3, 1, 4, 2], shape: [2, 2], dtype: dtype)
    }
  }

  /// Rows in the table's order: the ops of the row, the op name a trap names, and the cells.
  /// `floating: true` means float32 and float64 keep their dtype.
  nonisolated(unsafe) static let rows: [(ops: [(String, (Tensor) -> Tensor)], cells: Cells)] = [
    (
      [
        ("add", { $0 + $0 }), ("mul", { $0 * $0 }), ("maximum", { $0.maximum($0) }), ("minimum", { $0.minimum($0) }),
        ("clamp", { $0.clamped(min: $0, max: $0) }),
      ], (true, .int64, .bool)
    ),
    ([("sub", { $0 - $0 }), ("remainder", { $0 % $0 }), ("fmod", { $0.fmod($0) })], (true, .int64, nil)),
    ([("div", { $0 / $0 })], (true, .float32, .float32)),
    (
      [
        ("neg", { -$0 }), ("floor", { $0.floor() }), ("ceil", { $0.ceil() }), ("round", { $0.round() }),
        ("trunc", { $0.trunc() }),
        ("abs", { $0.abs() }), ("sign", { $0.sign() }), ("pow", { $0.square() }),
      ], (true, .int64, nil)
    ),
    (
      [
        ("pow", { $0.pow(3) }), ("exp", { $0.exp() }), ("log", { $0.log() }), ("sqrt", { $0.sqrt() }),
        ("sin", { $0.sin() }),
        ("tanh", { $0.tanh() }), ("relu", { $0.relu() }), ("sigmoid", { $0.sigmoid() }), ("gelu", { $0.gelu() }),
      ], (true, nil, nil)
    ),
    (
      [
        ("eq", { $0 .== $0 }), ("lt", { $0 .< $0 }), ("isNaN", { $0.isNaN() }), ("isFinite", { $0.isFinite() }),
        ("logicalNot", { $0.logicalNot() }), ("and", { $0 .&& $0 }), ("or", { $0 .|| $0 }), ("any", { $0.any() }),
        ("all", { $0.all() }),
      ],
      (false, .bool, .bool)
    ),
    (
      [
        ("sum", { $0.sum() }), ("prod", { $0.prod(axis: 1) }), ("cumsum", { $0.cumsum(axis: 0) }),
        ("cumprod", { $0.cumprod(axis: 1) }),
      ],
      (true, .int64, .int64)
    ),
    (
      [
        ("max", { $0.max() }), ("min", { $0.min() }), ("max", { $0.max(axis: 1) }), ("min", { $0.min(axis: 0) }),
        ("amax", { $0.amax(axis: 1) }), ("amin", { $0.amin() }),
      ], (true, .int64, .bool)
    ),
    ([("argmax", { $0.argmax(axis: 1) }), ("argmin", { $0.argmin() })], (false, .int64, .int64)),
    (
      [
        ("mean", { $0.mean() }), ("variance", { $0.variance() }), ("standardDeviation", { $0.standardDeviation() }),
        ("norm", { $0.norm() }), ("logsumexp", { $0.logSumExp(axis: 0) }), ("softmax", { $0.softmax(axis: 1) }),
        ("logSoftmax", { $0.logSoftmax(axis: 1) }),
      ], (true, nil, nil)
    ),
    (
      [
        ("matmul", { $0.matmul($0) }), ("linear", { $0.linear(weight: $0) }),
        ("maxPool1d", { $0.unsqueezed(at: 0).maxPool1d(kernelSize: 2) }),
        ("mseLoss", { mseLoss($0, $0) }),
      ], (true, nil, nil)
    ),
    (
      [
        ("reshape", { $0.reshaped(to: [4]) }), ("transpose", { $0.transposed() }), ("subscript", { $0[1] }),
        ("cat", { Tensor.cat([$0, $0]) }), ("stack", { Tensor.stack([$0, $0]) }),
        ("gather", { $0.gather(axis: 1, index: Tensor(integers: [1, 0, 0, 1], shape: [2, 2])) }),
        ("indexSelect", { $0.indexSelect(axis: 0, indices: Tensor(integers: [1])) }),
        ("repeat", { $0.repeated([2, 1]) }),
        ("pad", { $0.padded([(1, 1), (0, 0)]) }), ("flip", { $0.flipped(axes: [0]) }), ("tril", { $0.tril() }),
        ("triu", { $0.triu() }),
        ("where", { Tensor.where(Tensor(bools: [true, false]), $0, $0) }),
        ("maskedFill", { $0.maskedFill(Tensor(bools: [true, false]), value: 0) }),
      ], (true, .int64, .bool)
    ),
  ]

  static func expected(_ cells: Cells, _ dtype: DType) -> DType? {
    switch dtype {
    case .int64: cells.int64
    case .bool: cells.bool
    default: cells.floating ? dtype : cells.int64
    }
  }

  @Test(arguments: 0..<rows.count)
  func rowGivesTheDTypesTheDocsList(row: Int) {
    for (name, op) in Self.rows[row].ops {
      for dtype in Self.dtypes {
        guard let want = Self.expected(Self.rows[row].cells, dtype) else { continue }
        #expect(op(Self.sample(dtype)).dtype == want, "\(name) on \(dtype)")
      }
    }
    // cast(to:) is a row of its own in the docs.
    if row == 0 {
      for from in Self.dtypes { for to in Self.dtypes { #expect(Self.sample(from).cast(to: to).dtype == to) } }
    }
  }

  /// The cells that trap, each in a process of its own: (row, op, dtype) indices.
  static let trapping: [[Int]] = rows.indices.flatMap { row in
    rows[row].ops.indices.flatMap { op in
      dtypes.indices.filter { expected(rows[row].cells, dtypes[$0]) == nil }.map { [row, op, $0] }
    }
  }

  @Test(arguments: trapping)
  func refusedCellsTrapNamingTheOp(cell: [Int]) async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [cell] in
      _ = DTypeTableTests.rows[cell[0]].ops[cell[1]].1(DTypeTableTests.sample(DTypeTableTests.dtypes[cell[2]]))
    }.map { result in
      let name = Self.rows[cell[0]].ops[cell[1]].0
      let text = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(text.contains("\(name):"), "\(name) on \(Self.dtypes[cell[2]]): \(text.suffix(300))")
    }
  }
}
