/// Composite ops drawn as one node each: `conv2d` records a view, an im2col, a product and a
/// reshape, `crossEntropy` eight ops; a picture shows the call the program made instead.
extension ComputationGraph {
  /// Replaces the ops each composite call recorded (`CompositeCall`) by one node: the call's
  /// result, with an edge from each input the call was given (data the call did not record
  /// included), its local gradient and the gradient it sends (the call's vector-Jacobian
  /// products for ones and for the real upstream gradient, from the engine). Constants and
  /// unrecorded steps used only inside the call go too. A call whose ops lead out of it through
  /// more than one result is left as it is.
  ///
  /// - Parameters:
  ///   - order: The graph's tensors, `nodes`' order.
  ///   - nameOf: The names given to tensors.
  ///   - modules: The model's modules, for an input that was not in the graph.
  ///   - leafRole: The role of an input that was not in the graph (data the call did not record).
  mutating func collapseCompositeCalls(
    order: [Tensor], nameOf: [ObjectIdentifier: String], modules: Modules, leafRole: (Tensor) -> Role
  ) {
    var opsOfCall: [ObjectIdentifier: [Int]] = [:]
    var calls: [ObjectIdentifier: CompositeCall] = [:]
    for (id, tensor) in order.enumerated() {
      guard let call = tensor.gradFn?.compositeCall else { continue }
      opsOfCall[ObjectIdentifier(call), default: []].append(id)
      calls[ObjectIdentifier(call)] = call
    }
    guard !opsOfCall.isEmpty else { return }
    var consumers = [[Int]](repeating: [], count: nodes.count)
    for edge in edges { consumers[edge.from].append(edge.to) }
    let idOf = Dictionary(
      order.enumerated().map { (ObjectIdentifier($1), $0) }, uniquingKeysWith: { first, _ in first })

    var hidden = Set<Int>()
    var callAt: [Int: CompositeCall] = [:]  // the node of a call's result
    for (key, ops) in opsOfCall {
      let inside = Set(ops)
      let results = ops.filter { id in id == nodes.count - 1 || consumers[id].contains { !inside.contains($0) } }
      guard results.count == 1, let result = results.first, let call = calls[key] else { continue }
      let given = Set(call.inputs.map(ObjectIdentifier.init))
      for id in ops where id != result { hidden.insert(id) }
      for id in nodes.indices where nodes[id].op == nil && !given.contains(ObjectIdentifier(order[id])) {
        if !consumers[id].isEmpty && consumers[id].allSatisfy(inside.contains) { hidden.insert(id) }
      }
      callAt[result] = call
    }
    guard !callAt.isEmpty else { return }

    // Rebuilt in order: a call's inputs that were not in the graph go just before its node.
    let (oldNodes, oldEdges, oldInputEdges) = (nodes, edges, inputEdges)
    nodes = []
    edges = []
    inputEdges = []
    var newID: [Int: Int] = [:]
    var addedInput: [ObjectIdentifier: Int] = [:]
    for old in oldNodes.indices where !hidden.contains(old) {
      guard let call = callAt[old] else {
        newID[old] = nodes.count
        var node = oldNodes[old]
        node.id = nodes.count
        nodes.append(node)
        inputEdges.append([])
        for e in oldInputEdges[old] {
          var edge = oldEdges[e]
          edge.from = newID[edge.from]!
          edge.to = node.id
          inputEdges[node.id].append(edges.count)
          edges.append(edge)
        }
        continue
      }
      var inputIDs: [Int] = []
      for input in call.inputs {
        if let old = idOf[ObjectIdentifier(input)], let id = newID[old] {
          inputIDs.append(id)
        } else if let id = addedInput[ObjectIdentifier(input)] {
          inputIDs.append(id)
        } else {
          let id = nodes.count
          addedInput[ObjectIdentifier(input)] = id
          let name = Self.name(of: input, nameOf)
          nodes.append(
            Node(
              id: id, name: name ?? "", role: leafRole(input), op: nil, detail: nil, formula: nil, isSaved: false,
              value: input.detached(), gradient: nil, isNameGenerated: name == nil,
              module: Self.module(of: input, modules)))
          inputEdges.append([])
          inputIDs.append(id)
        }
      }
      newID[old] = nodes.count
      var node = oldNodes[old]
      node.id = nodes.count
      node.op = call.name
      node.detail = nil
      nodes.append(node)
      inputEdges.append([])
      let (local, sent) =
        hasGradients ? Self.products(of: order[old], inputs: call.inputs, upstream: node.gradient) : ([], [])
      for (slot, from) in inputIDs.enumerated() {
        inputEdges[node.id].append(edges.count)
        edges.append(
          Edge(
            from: from, to: node.id, slot: slot, localGradient: local.isEmpty ? nil : local[slot],
            sentGradient: sent.isEmpty ? nil : sent[slot]))
      }
    }
    backwardOrder = backwardOrder.compactMap { hidden.contains($0) ? nil : newID[$0] }
  }

  /// What a composite call's result sends each of its inputs for an upstream gradient of ones
  /// and for `upstream`: backward from the result, with each input as a target (`nil` for an
  /// input that does not require grad).
  private static func products(of result: Tensor, inputs: [Tensor], upstream: Tensor?) -> ([Tensor?], [Tensor?]) {
    let wanted = inputs.filter(\.requiresGrad)
    guard !wanted.isEmpty else { return ([], []) }
    func run(_ seed: Tensor) -> [Tensor?] {
      let grads = Engine.run(from: result, seed: seed, retainGraph: true, createGraph: false, targets: wanted)
      var byInput: [ObjectIdentifier: Tensor] = [:]
      for (tensor, grad) in zip(wanted, grads) { if let grad { byInput[ObjectIdentifier(tensor)] = grad } }
      return inputs.map { byInput[ObjectIdentifier($0)] }
    }
    return withNoGrad { (run(Tensor.ones(result.shape, dtype: result.dtype)), upstream.map(run) ?? []) }
  }
}
