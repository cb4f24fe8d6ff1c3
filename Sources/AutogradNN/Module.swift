import Autograd

/// What a `@Parameter` or `@Buffer` property may hold: a tensor, or an optional one (a layer
/// without bias).
public protocol TensorSlot {
  var slotTensor: Tensor? { get }
}
extension Tensor: TensorSlot { public var slotTensor: Tensor? { self } }
extension Optional: TensorSlot where Wrapped == Tensor { public var slotTensor: Tensor? { self } }

/// Marks a tensor property of a `Module` as a trainable parameter, found by `namedParameters()`.
/// The tensor must be a leaf; a floating-point one is set to require grad.
@propertyWrapper
public struct Parameter<Value: TensorSlot> {
  public var wrappedValue: Value {
    didSet { Self.prepare(wrappedValue) }
  }
  public init(wrappedValue: Value) {
    Self.prepare(wrappedValue)
    self.wrappedValue = wrappedValue
  }
  private static func prepare(_ value: Value) {
    guard let t = value.slotTensor else { return }
    trapUnless(t.isLeaf, "Parameter: a parameter must be a leaf tensor (use detached())")
    if t.dtype.isFloatingPoint && !t.requiresGrad { t.requiresGrad = true }
  }
}

/// Marks a tensor property of a `Module` as state that is saved but not trained (running statistics).
@propertyWrapper
public struct Buffer<Value: TensorSlot> {
  public var wrappedValue: Value
  public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
}

/// Type-erased access to the wrappers, for reflection.
protocol ParameterSlot { var parameterTensor: Tensor? { get } }
protocol BufferSlot { var bufferTensor: Tensor? { get } }
extension Parameter: ParameterSlot { var parameterTensor: Tensor? { wrappedValue.slotTensor } }
extension Buffer: BufferSlot { var bufferTensor: Tensor? { wrappedValue.slotTensor } }

/// The base of every layer and model: it finds its parameters, buffers and sub-modules by their
/// property names (so a model's weights have dotted paths such as `layers.0.weight`), switches
/// between training and evaluation, and saves and loads its state.
///
/// Subclasses declare parameters with `@Parameter`, buffers with `@Buffer`, and sub-modules as
/// properties of a `Module` type (or arrays or optionals of them).
open class Module {
  /// Whether the module is training (dropout active, batch statistics used) or evaluating.
  public private(set) var isTraining = true

  public init() {}

  /// The direct sub-modules with their names; by default the module-typed properties, found by
  /// reflection, and the elements of module arrays as `name.index`.
  open func namedChildren() -> [(String, Module)] {
    var children: [(String, Module)] = []
    for (label, value) in Self.storedProperties(of: self) {
      if let module = value as? Module {
        children.append((label, module))
      } else if let modules = value as? [Module] {
        for (i, module) in modules.enumerated() { children.append(("\(label).\(i)", module)) }
      }
    }
    return children
  }

  /// This module's own parameters (not its children's), with their names.
  open func ownParameters() -> [(String, Tensor)] {
    Self.storedProperties(of: self).compactMap { label, value in
      (value as? ParameterSlot)?.parameterTensor.map { (label, $0) }
    }
  }

  /// This module's own buffers (not its children's), with their names.
  open func ownBuffers() -> [(String, Tensor)] {
    Self.storedProperties(of: self).compactMap { label, value in
      (value as? BufferSlot)?.bufferTensor.map { (label, $0) }
    }
  }

  /// Every parameter of this module and its descendants, with dotted names, children after
  /// the module's own (as PyTorch orders them).
  public func namedParameters() -> [(String, Tensor)] { collect { $0.ownParameters() } }

  /// Every buffer of this module and its descendants, with dotted names.
  public func namedBuffers() -> [(String, Tensor)] { collect { $0.ownBuffers() } }

  /// Every parameter, in the order of `namedParameters()`.
  public func parameters() -> [Tensor] { namedParameters().map(\.1) }

  /// Runs `body` as this module's computation: a picture of the graph described with the model
  /// (`ComputationGraph(of:model:)`) draws the ops recorded inside in this module's frame.
  /// `Layer` does it for `forward(_:)`; a module with a `callAsFunction` of its own wraps its body
  /// in it. Outside `ComputationGraph.recording { }` it costs one check.
  public func grouped<R>(_ body: () -> R) -> R { ModuleScope.run(ObjectIdentifier(self), body) }

  /// Every module below this one (itself first), with dotted names.
  public func namedModules() -> [(String, Module)] {
    var result: [(String, Module)] = [("", self)]
    var stack: [(String, Module)] = namedChildren().reversed()
    while let (name, module) = stack.popLast() {
      result.append((name, module))
      stack.append(contentsOf: module.namedChildren().reversed().map { ("\(name).\($0.0)", $0.1) })
    }
    return result
  }

  private func collect(_ own: (Module) -> [(String, Tensor)]) -> [(String, Tensor)] {
    var seen = Set<ObjectIdentifier>()
    var result: [(String, Tensor)] = []
    for (prefix, module) in namedModules() {
      for (name, tensor) in own(module) where seen.insert(ObjectIdentifier(tensor)).inserted {
        result.append((prefix.isEmpty ? name : "\(prefix).\(name)", tensor))
      }
    }
    return result
  }

  /// What `print(model)` shows between this module's parentheses, as PyTorch's `extra_repr`: by
  /// default the stored properties that are neither tensors nor modules (its hyperparameters), as
  /// `name: value`. A layer whose sizes live only in its weights' shapes overrides it.
  open var summary: String { reflectedHyperparameters() }

  /// Switches this module and its descendants to training (`true`) or evaluation mode.
  public func train(_ training: Bool = true) {
    for (_, module) in namedModules() { module.isTraining = training }
  }

  /// Switches this module and its descendants to evaluation mode.
  public func eval() { train(false) }

  /// Clears the gradients of every parameter (sets them to `nil`, as PyTorch's default).
  public func zeroGrad() {
    for parameter in parameters() { parameter.grad = nil }
  }

  /// The stored properties of `object`, its superclasses' included, with wrapper underscores removed.
  static func storedProperties(of object: Any) -> [(String, Any)] {
    var result: [(String, Any)] = []
    var mirror: Mirror? = Mirror(reflecting: object)
    while let m = mirror {
      for child in m.children {
        guard var label = child.label else { continue }
        if label.hasPrefix("_") { label.removeFirst() }
        // Optionals: look through to the value.
        let value: Any
        if let optional = child.value as? OptionalModule {
          guard let wrapped = optional.wrappedModule else { continue }
          value = wrapped
        } else {
          value = child.value
        }
        result.append((label, value))
      }
      mirror = m.superclassMirror
    }
    return result
  }
}

/// Lets reflection see through optional sub-modules (`var dropout: Dropout?`).
protocol OptionalModule { var wrappedModule: Module? { get } }
extension Optional: OptionalModule where Wrapped: Module {
  var wrappedModule: Module? { self }
}

/// A module that maps one tensor to one tensor: most layers, and what `Sequential` chains.
///
/// A class to subclass, as PyTorch's `nn.Module`, rather than a protocol: a layer *is* a module
/// (it inherits the parameter finding, modes and checkpoints that `Module` gives by reflection
/// over stored properties), models hold and share layers by reference, and `Sequential` keeps
/// layers of different types in one array. A protocol would make every layer restate that
/// machinery. The one thing a subclass must give, `forward(_:)`, traps with the type's name if it
/// is missing, as PyTorch raises `NotImplementedError`.
open class Layer: Module {
  /// The layer's computation.
  open func forward(_ input: Tensor) -> Tensor {
    trap("\(type(of: self)): forward(_:) is not implemented")
  }

  /// Runs `forward(_:)` (grouped, for pictures of the graph, as this layer's computation).
  public func callAsFunction(_ input: Tensor) -> Tensor { grouped { forward(input) } }
}
