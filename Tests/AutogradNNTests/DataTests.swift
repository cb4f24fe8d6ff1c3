import Autograd
import Foundation
import Testing

@testable import AutogradNN

@Suite("Datasets and loaders") struct DataTests {
  @Test func loaderBatchesShufflesAndDropsTheLast() {
    let x = Tensor.arange(0, 10).reshaped(to: [10, 1])
    let y = Tensor(integers: Array(0..<10))
    let ordered = DataLoader(TensorDataset(x, y), batchSize: 4)
    #expect(ordered.map { $0.1.scalars(as: Int64.self) } == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    #expect(DataLoader(TensorDataset(x, y), batchSize: 4, dropLast: true).map { $0.0.shape[0] } == [4, 4])
    let shuffled = DataLoader(TensorDataset(x, y), batchSize: 10, shuffle: true, generator: RandomGenerator(seed: 1))
    let first = Array(shuffled)[0].1.scalars(as: Int64.self)
    let second = Array(shuffled)[0].1.scalars(as: Int64.self)
    #expect(first.sorted() == Array(0..<10) && first != Array(0..<10))
    #expect(first != second, "each pass draws a new order")
    let again = DataLoader(TensorDataset(x, y), batchSize: 10, shuffle: true, generator: RandomGenerator(seed: 1))
    #expect(Array(again)[0].1.scalars(as: Int64.self) == first, "the same seed gives the same order")
    // Features and labels stay paired: here each feature equals its label.
    for (features, labels) in shuffled {
      #expect(features.scalars(as: Float.self).map { Int64($0) } == labels.scalars(as: Int64.self))
    }
  }

  @Test func batchesDestructureAsPyTorchUsersWriteThem() {
    let x = Tensor.arange(0, 6).reshaped(to: [6, 1])
    let y = Tensor(integers: Array(10..<16))
    // One tensor: a batch is the tensor; two: a pair; three: a triple; a list: a list.
    #expect(
      DataLoader(TensorDataset(y), batchSize: 4).map { $0.scalars(as: Int64.self) } == [[10, 11, 12, 13], [14, 15]])
    var pairs = 0
    for (inputs, labels) in DataLoader(TensorDataset(x, y), batchSize: 3) {
      #expect(inputs.shape == [3, 1] && labels.shape == [3])
      #expect(labels.scalars(as: Int64.self).map { $0 - 10 } == inputs.scalars(as: Float.self).map { Int64($0) })
      pairs += 1
    }
    #expect(pairs == 2)
    for (a, b, c) in DataLoader(TensorDataset(x, y, y * 2), batchSize: 6) {
      #expect(a.shape == [6, 1] && b.shape == [6] && (c - 2 * b).abs().sum().item() == 0)
    }
    #expect(DataLoader(TensorDataset([x, y, x, y]), batchSize: 6).map(\.count) == [4])
  }

  @Test func randomSplitIsDisjointAndComplete() {
    var g = RandomGenerator(seed: 2)
    let data = TensorDataset(Tensor(integers: Array(0..<20)))
    let parts = randomSplit(data, sizes: [15, 5], generator: &g)
    #expect(parts.map(\.count) == [15, 5])
    #expect(Set(parts[0].indices).isDisjoint(with: parts[1].indices))
    #expect(Set(parts[0].indices + parts[1].indices) == Set(0..<20))
    #expect(parts[1].batch(at: [0, 1]).scalars(as: Int64.self) == parts[1].indices.prefix(2).map(Int64.init))
  }

  @Test func numericCSV() throws {
    let t = try parseNumericCSV("1,2,3\n4, 5.5 ,6\r\n\n", path: "a.csv")
    #expect(t.shape == [2, 3])
    #expect(t.scalars(as: Double.self) == [1, 2, 3, 4, 5.5, 6])
    #expect(try parseNumericCSV("x,y\n1,2", hasHeader: true).shape == [1, 2])
    // Spaces and tabs around a field are trimmed; inside one they are an error.
    #expect(try parseNumericCSV("\t7 ,  -8\t\n").scalars(as: Double.self) == [7, -8])
    #expect(throws: DataFileError.self) { try parseNumericCSV("1 2,3\n") }
  }

  @Test(
    arguments: [
      ("1,2\n3\n", "a.csv:2: expected 2 columns, found 1"),
      ("1,2\n3,abc\n", "a.csv:2: column 2: 'abc' is not a finite number"),
      ("1,nan\n", "a.csv:1: column 2: 'nan' is not a finite number"), ("\n\n", "a.csv: no data rows"),
      ("1,0x10\n", "a.csv:1: column 2: '0x10' is not a finite number"),
      ("0x1p3\n", "a.csv:1: column 1: '0x1p3' is not a finite number"),
    ] as [(String, String)])
  func malformedCSVNamesTheLineAndWhatIsWrong(text: String, message: String) {
    #expect {
      _ = try parseNumericCSV(text, path: "a.csv")
    } throws: { error in
      "\(error)" == message
    }
  }

  @Test func missingFileThrows() {
    #expect(throws: DataFileError.self) { try loadNumericCSV(URL(fileURLWithPath: "/nonexistent/data.csv")) }
  }

  /// Every input that crashed a fuzz target (`Fuzz/regressions/FORMAT/`) loads or throws, and
  /// what loads can be read and printed, as the fuzz target does with it.
  @Test func inputsThatCrashedTheFuzzersAreHandled() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../Fuzz/regressions")
    var replayed = 0
    for format in ["npy", "safetensors", "csv", "idx"] {
      let folder = root.appendingPathComponent(format)
      for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
        let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
        let tensors: [Tensor]
        switch format {
        case "npy": tensors = (try? NumpyFormat.decode(bytes)).map { [$0] } ?? []
        case "safetensors": tensors = (try? Safetensors.decode(bytes))?.tensors.map(\.1) ?? []
        case "csv": tensors = (try? parseNumericCSV(String(decoding: bytes, as: UTF8.self))).map { [$0] } ?? []
        default: tensors = (try? IDXFormat.decode(bytes)).map { [$0] } ?? []
        }
        for t in tensors { #expect(!t.description.isEmpty && t.scalars(as: Double.self).count == t.count) }
        replayed += 1
      }
    }
    #expect(replayed > 0)
  }

  @Test func aByteOrderMarkIsSkippedWhetherTheTextComesFromAFileOrNot() throws {
    let text = "\u{FEFF}1,2\n3,4\n"
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID()).csv")
    try Data(text.utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(try parseNumericCSV(text).scalars(as: Double.self) == [1, 2, 3, 4])
    #expect(try loadNumericCSV(url).scalars(as: Double.self) == [1, 2, 3, 4])
  }
}

@Suite("Training end to end") struct TrainingTests {
  @Test func anMLPLearnsXOR() {
    var g = RandomGenerator(seed: 7)
    let model = Sequential(
      Linear(inputSize: 2, outputSize: 8, generator: &g), Tanh(), Linear(inputSize: 8, outputSize: 1, generator: &g))
    let x = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
    let y = Tensor([0, 1, 1, 0], shape: [4, 1])
    let optimizer = Adam(parameters: model.parameters(), learningRate: 0.05)
    var loss = Double.infinity
    for _ in 0..<300 {
      let l = binaryCrossEntropyWithLogits(model(x), y)
      optimizer.zeroGrad()
      l.backward()
      optimizer.step()
      loss = l.item()
    }
    #expect(loss < 0.05)
    let predictions = (model(x) .> 0).scalars(as: Bool.self)
    #expect(predictions == [false, true, true, false])
  }
}
