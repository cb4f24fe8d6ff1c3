import Autograd
import Foundation
import Testing

@testable import AutogradNN

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

private func temporaryURL(_ name: String) -> URL {
  FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID())-\(name)")
}

/// A file built byte by byte from the format's description: 8-byte little-endian header length,
/// JSON header, data.
private func handBuilt(header: String, data: [UInt8]) -> [UInt8] {
  let json = Array(header.utf8)
  let bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) }
  return bytes + json + data
}

private func littleEndianBytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } }
}

@Suite("Safetensors checkpoints") struct CheckpointTests {
  @Test func readsAFileWrittenByTheReferenceImplementation() throws {
    let (tensors, metadata) = try Safetensors.load(fixtures.appendingPathComponent("reference.safetensors"))
    let byName = Dictionary(uniqueKeysWithValues: tensors)
    #expect(metadata == ["source": "safetensors python"])
    #expect(byName["weight"]?.shape == [2, 3])
    #expect(byName["weight"]?.scalars(as: Float.self) == [0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(byName["bias"]?.dtype == .float64 && byName["bias"]?.scalars(as: Double.self) == [-1.5, 2.25])
    #expect(byName["steps"]?.scalars(as: Int64.self) == [3, -7, 1 << 40])
    #expect(byName["mask"]?.scalars(as: Bool.self) == [true, false, true])
    #expect(byName["half"]?.scalars(as: Float.self) == [0.5, -2, 65504])
    #expect(byName["small"]?.scalars(as: Int64.self) == [-3, 4])
    #expect(byName["scalar"]?.shape == [] && byName["scalar"]?.item() == 7)
  }

  @Test func readsAFileBuiltByteForByteFromTheSpec() throws {
    let file = handBuilt(
      header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"k":"v"}}"#,
      data: littleEndianBytes([1, -2, 3.5, 0.25]))
    let (tensors, metadata) = try Safetensors.decode(file)
    #expect(tensors.map(\.0) == ["w"])
    #expect(tensors[0].1.scalars(as: Float.self) == [1, -2, 3.5, 0.25])
    #expect(metadata == ["k": "v"])
  }

  @Test func writesTheFormat() throws {
    let bytes = try Safetensors.encode([("a", Tensor([1, 2])), ("b", Tensor(integers: [5]))], metadata: ["m": "1"])
    let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    #expect((8 + length) % 8 == 0)
    let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as! [String: Any]
    #expect((header["a"] as! [String: Any])["dtype"] as? String == "F32")
    #expect((header["a"] as! [String: Any])["data_offsets"] as? [Int] == [0, 8])
    #expect((header["b"] as! [String: Any])["data_offsets"] as? [Int] == [8, 16])
    #expect(header["__metadata__"] as? [String: String] == ["m": "1"])
    #expect(bytes.count == 8 + length + 16)
  }

  @Test(
    arguments: [
      ([UInt8](repeating: 0, count: 4), "too short"),
      (handBuilt(header: "{", data: []), "not a JSON object"),
      ([255, 255, 255, 255, 0, 0, 0, 0] + Array("{}".utf8), "does not fit"),
      (
        handBuilt(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0]),
        "outside the 2 data bytes"
      ),
      (
        handBuilt(
          header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
        "needs 12 bytes"
      ),
      (
        handBuilt(
          header: #"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
        "dtype C64"
      ),
      (handBuilt(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: []), "needs dtype, shape and data_offsets"),
      (handBuilt(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, data: []), "non-negative"),
      (
        handBuilt(
          header:
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
          data: Array(repeating: 0, count: 6)), "gap or overlap"
      ),
      (
        handBuilt(
          header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 6)),
        "cover 4 of the 6"
      ),
      (handBuilt(header: #"{"__metadata__":{"k":1}}"#, data: []), "strings to strings"),
      // Sizes whose product overflows, with and without a size of 0 (found by fuzzing: they crashed).
      (
        handBuilt(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#, data: []),
        "too large to address"
      ),
      (
        handBuilt(
          header: #"{"w":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],"data_offsets":[0,0]}}"#,
          data: []),
        "too large to address"
      ),
      (
        handBuilt(
          header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904,0],"data_offsets":[0,0]}}"#,
          data: []),
        "too large to address"
      ),
      // Sizes and offsets are JSON integers: not booleans, fractions or numbers beyond Int.
      (
        handBuilt(header: #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
        "not a non-negative integer"
      ),
      (
        handBuilt(header: #"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
        "not a non-negative integer"
      ),
      (
        handBuilt(
          header: #"{"w":{"dtype":"F32","shape":[18446744073709551617],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
        "not a non-negative integer"
      ),
      (
        handBuilt(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[false,4]}}"#, data: [0, 0, 0, 0]),
        "data_offsets"
      ),
    ] as [([UInt8], String)])
  func corruptFilesThrowAClearError(file: [UInt8], message: String) {
    #expect { _ = try Safetensors.decode(file) } throws: { "\($0)".contains(message) }
  }

  @Test func everyTruncationAndRandomCorruptionIsSafe() throws {
    let file = try Safetensors.encode([
      ("w", Tensor.arange(0, 6).reshaped(to: [2, 3])), ("b", Tensor([1, 2], dtype: .float64)),
    ])
    for length in 0..<file.count {
      #expect(throws: TensorIOError.self) { try Safetensors.decode(Array(file.prefix(length))) }
    }
    var g = RandomGenerator(seed: 9)
    for _ in 0..<2000 {
      var corrupt = file
      corrupt[Int(g.nextInt(in: 0..<Int64(file.count)))] = UInt8(g.nextInt(in: 0..<256))
      if let (tensors, _) = try? Safetensors.decode(corrupt) {
        #expect(tensors.allSatisfy { $0.1.count >= 0 })
      }
    }
  }

  @Test func aModelRoundTripsWithIdenticalOutputs() throws {
    var g = RandomGenerator(seed: 1)
    let model = Sequential(
      Linear(inputSize: 4, outputSize: 8, generator: &g), ReLU(), BatchNorm1d(features: 8),
      Linear(inputSize: 8, outputSize: 3, generator: &g))
    _ = model(Tensor.randn([16, 4], generator: &g))  // moves the running statistics
    model.eval()
    let url = temporaryURL("model.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try model.save(to: url, metadata: ["kind": "test"])
    var other = RandomGenerator(seed: 2)
    let copy = Sequential(
      Linear(inputSize: 4, outputSize: 8, generator: &other), ReLU(), BatchNorm1d(features: 8),
      Linear(inputSize: 8, outputSize: 3, generator: &other))
    copy.eval()
    let x = Tensor.randn([5, 4], generator: &g)
    #expect(copy(x).scalars(as: Float.self) != model(x).scalars(as: Float.self))
    #expect(try copy.load(from: url) == ["kind": "test"])
    #expect(copy(x).scalars(as: Float.self) == model(x).scalars(as: Float.self))
  }

  @Test func theStateIsKeyedByNameInPyTorchsOrder() {
    let model = Sequential(Linear(inputSize: 2, outputSize: 3), ReLU(), Linear(inputSize: 3, outputSize: 1))
    let state = model.stateDict()
    #expect(Array(state.keys) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    #expect(state["2.weight"]?.shape == [1, 3])
    #expect(state["0.bias"] === model.parameters()[1])
  }

  @Test func aRenamingLoadsAnotherLibrarysNamesIntoSwiftOnes() throws {
    let encoder = TinyEncoder()
    // A checkpoint as Hugging Face names BERT's tensors, with a pooler the module does not have.
    let hf: [(String, Tensor)] = [
      ("encoder.layer.0.attention.self.query.weight", Tensor([1.0, 2, 3, 4]).reshaped(to: [2, 2])),
      ("encoder.layer.0.attention.self.query.bias", Tensor([5.0, 6])),
      ("encoder.layer.0.LayerNorm.weight", Tensor([7.0, 8])),
      ("encoder.layer.0.LayerNorm.bias", Tensor([9.0, 10])),
      ("pooler.dense.weight", Tensor.zeros([2, 2])),
    ]
    let rename = Module.renaming([
      ("encoder.layer", "layers"), ("attention.self", "attention"), ("LayerNorm", "norm"), ("pooler", nil),
    ])
    #expect(rename("encoder.layer.0.attention.self.query.weight") == "layers.0.attention.query.weight")
    #expect(rename("pooler.dense.weight") == nil)
    #expect(rename("myLayerNorm.weight") == "myLayerNorm.weight", "only whole dotted parts are replaced")
    try encoder.loadStateDict(hf, renaming: rename)
    #expect(encoder.layers[0].attention.query.weight.scalars(as: Float.self) == [1, 2, 3, 4])
    #expect(encoder.layers[0].norm.bias!.scalars(as: Float.self) == [9, 10])
    // Without the pooler's rule, its name is unexpected, reported with the saved name beside it.
    let partial = Module.renaming([("encoder.layer", "layers"), ("attention.self", "attention"), ("LayerNorm", "norm")])
    #expect { try encoder.loadStateDict(hf, renaming: partial) } throws: { error in
      (error as? StateDictError)?.unexpected == ["pooler.dense.weight"]
    }
    let wrong = Module.renaming([("encoder.layer", "layers"), ("LayerNorm", "norm"), ("pooler", nil)])
    #expect { try encoder.loadStateDict(hf, renaming: wrong) } throws: { error in
      "\(error)".contains(
        "unexpected keys: layers.0.attention.self.query.weight (saved as encoder.layer.0.attention.self.query.weight)")
    }
  }

  @Test func loadingReportsMissingUnexpectedAndMismatchedNames() throws {
    let model = Sequential(Linear(inputSize: 2, outputSize: 3), Linear(inputSize: 3, outputSize: 1))
    var state = model.stateDict()
    state["1.bias"] = nil
    state["extra.weight"] = Tensor.zeros([1])
    #expect { try model.loadStateDict(state) } throws: { error in
      let e = error as! StateDictError
      return e.missing == ["1.bias"] && e.unexpected == ["extra.weight"] && "\(e)".contains("missing keys: 1.bias")
    }
    let before = model.stateDict().map { $0.1.scalars(as: Float.self) }
    let report = try model.loadStateDict(state, strict: false)
    #expect(report.missing == ["1.bias"] && report.unexpected == ["extra.weight"])
    #expect(model.stateDict().map { $0.1.scalars(as: Float.self) } == before)
    var wrongShape = model.stateDict()
    wrongShape["0.weight"] = Tensor.zeros([4, 4])
    #expect { try model.loadStateDict(wrongShape, strict: false) } throws: {
      "\($0)".contains("0.weight is [3, 2] here, [4, 4] in the state")
    }
  }

  @Test func optimizerStateRoundTrips() throws {
    let w = Tensor([1.0, 2.0], requiresGrad: true)
    let adam = Adam(parameters: [w], learningRate: 0.1)
    (w * w).sum().backward()
    adam.step()
    let (tensors, metadata) = adam.stateDict()
    #expect(Set(tensors.map(\.0)) == ["state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step"])
    let url = temporaryURL("adam.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Safetensors.save(tensors, metadata: metadata, to: url)
    let w2 = Tensor([1.0, 2.0], requiresGrad: true)
    let restored = Adam(parameters: [w2], learningRate: 0.5)
    let (loaded, loadedMetadata) = try Safetensors.load(url)
    try restored.loadStateDict(loaded, metadata: loadedMetadata)
    #expect(restored.learningRate == 0.1)
    w2.data = w.data.clone()
    w.grad = Tensor([0.3, -0.2])
    w2.grad = Tensor([0.3, -0.2])
    adam.step()
    restored.step()
    #expect(w.scalars(as: Float.self) == w2.scalars(as: Float.self))
  }
}

/// Modules with Swift names, for a checkpoint that uses Hugging Face's.
private final class TinySelfAttention: Module {
  let query = Linear(inputSize: 2, outputSize: 2)
}

private final class TinyEncoderLayer: Module {
  let attention = TinySelfAttention()
  let norm = LayerNorm(normalizedShape: [2])
}

private final class TinyEncoder: Module {
  let layers = [TinyEncoderLayer()]
}
