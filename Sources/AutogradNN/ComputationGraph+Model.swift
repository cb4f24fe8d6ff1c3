import Autograd

extension ComputationGraph {
  /// Describes the graph of `output`, computed with `model` inside `ComputationGraph.recording { }`,
  /// with each tensor's `module`: the innermost of `model`'s modules whose computation made it (the
  /// ops a `Layer`'s `forward` records, or a module's `grouped { }`), or that owns it (a parameter
  /// or buffer). Pictures draw a frame around each module's boxes.
  ///
  /// Parameters and buffers are named as `model.namedParameters()` and `namedBuffers()` name them
  /// (`layers.0.weight`), unless `names` names them otherwise.
  ///
  /// ```swift
  /// let loss = ComputationGraph.recording { crossEntropy(model(x), labels) }
  /// let page = ComputationGraph(of: loss, model: model, names: ["x": x]).html()
  /// ```
  public init(
    of output: Tensor, model: Module, names: [String: Tensor] = [:], gradients: Bool = true, data: [Tensor] = [],
    level: Level = .calls
  ) {
    var modules = Modules()
    for (path, module) in model.namedModules() where !path.isEmpty {
      modules.names[ObjectIdentifier(module)] = (path, String(describing: type(of: module)))
    }
    var allNames: [String: Tensor] = [:]
    for (name, tensor) in model.namedParameters() + model.namedBuffers() {
      allNames[name] = tensor
      if let dot = name.lastIndex(of: ".") { modules.owners[ObjectIdentifier(tensor)] = String(name[..<dot]) }
    }
    // A name given by the caller wins over the model's for the same tensor.
    let given = Set(names.values.map(ObjectIdentifier.init))
    allNames = allNames.filter { !given.contains(ObjectIdentifier($0.value)) }.merging(names) { $1 }
    self.init(of: output, names: allNames, gradients: gradients, data: data, level: level, modules: modules)
  }
}
