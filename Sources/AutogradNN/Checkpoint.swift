import Autograd
import Foundation
import OrderedCollections

/// Why a saved state does not fit a module: the names that are missing, unexpected, or of the
/// wrong shape.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
  public var missing: [String] = []
  public var unexpected: [String] = []
  public var mismatched: [String] = []

  public var description: String {
    var parts: [String] = []
    if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
    if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
    if !mismatched.isEmpty { parts.append("shape mismatches: \(mismatched.joined(separator: "; "))") }
    return "the state does not fit the module: " + parts.joined(separator: "; ")
  }
}

extension Module {
  /// Every parameter and buffer by dotted name, in PyTorch's order: what a checkpoint holds.
  /// Keyed by name, as PyTorch's `state_dict()`: `state["0.weight"]`, `state.keys`.
  public func stateDict() -> OrderedDictionary<String, Tensor> {
    OrderedDictionary(uniqueKeysWithValues: namedParameters() + namedBuffers())
  }

  /// Copies saved values into this module's parameters and buffers; see the overload that takes
  /// a list of named tensors.
  @discardableResult
  public func loadStateDict(
    _ state: OrderedDictionary<String, Tensor>, strict: Bool = true, renaming rename: (String) -> String? = { $0 }
  ) throws -> StateDictError {
    try loadStateDict(state.map { ($0.key, $0.value) }, strict: strict, renaming: rename)
  }

  /// Copies saved values into this module's parameters and buffers, converting dtypes.
  ///
  /// A shape mismatch always throws. Missing and unexpected names throw when `strict`; otherwise
  /// the matching entries are loaded and the others reported in the returned error value.
  /// Nothing is changed when it throws.
  ///
  /// - Parameters:
  ///   - state: The saved tensors by name.
  ///   - strict: Whether names that are missing or unexpected (after renaming) throw.
  ///   - rename: Maps each saved name to this module's name for it, or to `nil` to leave the entry
  ///     out: a checkpoint written by another library keeps its names, and Swift properties keep
  ///     theirs (see `Module.renaming(_:)`). Errors name entries by their new name, with the
  ///     saved one beside it.
  @discardableResult
  public func loadStateDict(
    _ state: [(String, Tensor)], strict: Bool = true, renaming rename: (String) -> String? = { $0 }
  ) throws -> StateDictError {
    var savedName: [String: String] = [:]
    let state = state.compactMap { name, tensor -> (String, Tensor)? in
      guard let renamed = rename(name) else { return nil }
      if renamed != name { savedName[renamed] = name }
      return (renamed, tensor)
    }
    func described(_ name: String) -> String { savedName[name].map { "\(name) (saved as \($0))" } ?? name }
    let saved = Dictionary(state, uniquingKeysWith: { _, last in last })
    let own = namedParameters() + namedBuffers()
    var report = StateDictError()
    report.missing = own.map(\.0).filter { saved[$0] == nil }
    let ownNames = Set(own.map(\.0))
    report.unexpected = state.map(\.0).filter { !ownNames.contains($0) }.map(described)
    report.mismatched = own.compactMap { name, tensor in
      guard let value = saved[name], value.shape != tensor.shape else { return nil }
      return "\(described(name)) is \(tensor.shape) here, \(value.shape) in the state"
    }
    if !report.mismatched.isEmpty || (strict && (!report.missing.isEmpty || !report.unexpected.isEmpty)) {
      throw report
    }
    withNoGrad {
      for (name, tensor) in own { if let value = saved[name] { tensor.copy(from: value) } }
    }
    return report
  }

  /// Saves the state as a `.safetensors` file, with optional string metadata.
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try Safetensors.save(namedParameters() + namedBuffers(), metadata: metadata, to: url)
  }

  /// Loads the state from a `.safetensors` file and returns the file's metadata.
  ///
  /// `rename` maps the file's names to this module's (`nil` leaves an entry out); see
  /// `loadStateDict(_:strict:renaming:)`.
  @discardableResult
  public func load(from url: URL, strict: Bool = true, renaming rename: (String) -> String? = { $0 }) throws
    -> [String: String]
  {
    let (tensors, metadata) = try Safetensors.load(url)
    try loadStateDict(tensors, strict: strict, renaming: rename)
    return metadata
  }

  /// A renaming for `load(from:renaming:)`: each pair's `from` is replaced by its `to` wherever it
  /// stands as whole dot-separated parts of a name, in the order given; a `to` of `nil` leaves out
  /// the names that contain `from`.
  ///
  /// Hugging Face's BERT names into Swift ones:
  ///
  /// ```swift
  /// try model.load(from: url, renaming: Module.renaming([
  ///   ("encoder.layer", "layers"), ("attention.self", "attention"), ("LayerNorm", "norm"), ("pooler", nil),
  /// ]))
  /// // "encoder.layer.0.attention.self.query.weight" -> "layers.0.attention.query.weight"
  /// ```
  public static func renaming(_ replacements: [(from: String, to: String?)]) -> @Sendable (String) -> String? {
    { name in
      var dotted = ".\(name)."
      for (from, to) in replacements {
        guard dotted.contains(".\(from).") else { continue }
        guard let to else { return nil }
        dotted = dotted.replacingOccurrences(of: ".\(from).", with: to.isEmpty ? "." : ".\(to).")
      }
      return String(dotted.dropFirst().dropLast())
    }
  }
}

extension Optimizer {
  /// The optimizer's state: per-parameter tensors named `state.<parameter index>.<key>`, and
  /// metadata with the step count and learning rate.
  public func stateDict() -> (tensors: [(String, Tensor)], metadata: [String: String]) {
    var tensors: [(String, Tensor)] = []
    for (i, p) in parameters.enumerated() {
      for (key, value) in (state[ObjectIdentifier(p)] ?? [:]).sorted(by: { $0.key < $1.key }) {
        tensors.append(("state.\(i).\(key)", value))
      }
    }
    return (tensors, ["optimizer": "\(type(of: self))", "learning_rate": "\(learningRate)"])
  }

  /// Restores per-parameter state saved by `stateDict()` for the same parameters in the same order.
  /// - Throws: `StateDictError` for names that do not match this optimizer's parameters or shapes.
  public func loadStateDict(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws {
    let params = parameters
    var restored: [ObjectIdentifier: [String: Tensor]] = [:]
    var report = StateDictError()
    for (name, value) in tensors {
      let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
      guard parts.count == 3, parts[0] == "state", let i = Int(parts[1]), params.indices.contains(i) else {
        report.unexpected.append(name)
        continue
      }
      if parts[2] != "step" && value.shape != params[i].shape {
        report.mismatched.append("\(name) is \(value.shape), the parameter is \(params[i].shape)")
      }
      restored[ObjectIdentifier(params[i]), default: [:]][parts[2]] = value.clone().detached()
    }
    guard report.unexpected.isEmpty && report.mismatched.isEmpty else { throw report }
    state = restored
    if let lr = metadata["learning_rate"].flatMap(Double.init) { learningRate = lr }
  }
}
