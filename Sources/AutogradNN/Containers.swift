import Autograd

/// Layers applied one after another; its children are named `0`, `1`, ...
public final class Sequential: Layer {
  public private(set) var layers: [Layer]

  public init(_ layers: [Layer]) {
    self.layers = layers
  }

  public convenience init(_ layers: Layer...) { self.init(layers) }

  public override func namedChildren() -> [(String, Module)] {
    layers.enumerated().map { ("\($0.offset)", $0.element) }
  }

  public override func forward(_ input: Tensor) -> Tensor {
    layers.reduce(input) { $1($0) }
  }

  /// Adds a layer at the end.
  public func append(_ layer: Layer) { layers.append(layer) }
}

/// A list of modules whose parameters are registered under `0`, `1`, ... (as `nn.ModuleList`).
public final class ModuleList: Module {
  public private(set) var modules: [Module]

  public init(_ modules: [Module] = []) { self.modules = modules }

  public subscript(index: Int) -> Module { modules[index] }
  public var count: Int { modules.count }
  public func append(_ module: Module) { modules.append(module) }

  public override func namedChildren() -> [(String, Module)] {
    modules.enumerated().map { ("\($0.offset)", $0.element) }
  }
}

/// Modules by name, registered under their keys in insertion order (as `nn.ModuleDict`).
public final class ModuleDict: Module {
  public private(set) var entries: [(String, Module)] = []

  public init(_ entries: [(String, Module)] = []) {
    super.init()
    for (key, module) in entries { self[key] = module }
  }

  public subscript(key: String) -> Module? {
    get { entries.first { $0.0 == key }?.1 }
    set {
      trapUnless(!key.isEmpty && !key.contains("."), "ModuleDict: key '\(key)' must be non-empty and have no '.'")
      if let i = entries.firstIndex(where: { $0.0 == key }) {
        if let newValue { entries[i].1 = newValue } else { entries.remove(at: i) }
      } else if let newValue {
        entries.append((key, newValue))
      }
    }
  }

  public var keys: [String] { entries.map(\.0) }

  public override func namedChildren() -> [(String, Module)] { entries }
}
