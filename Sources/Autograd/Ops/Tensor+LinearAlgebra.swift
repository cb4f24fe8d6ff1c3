extension Tensor {
  /// The inner product of two vectors, as a scalar.
  public func dot(_ other: Tensor) -> Tensor {
    trapUnless(
      rank == 1 && other.rank == 1 && shapeDims == other.shape,
      "dot: expected two vectors of the same length, got \(shape) and \(other.shape)")
    return matmul(other)
  }

  /// The outer product of two vectors: `[n]` and `[m]` give `[n, m]`.
  public func outer(_ other: Tensor) -> Tensor {
    trapUnless(rank == 1 && other.rank == 1, "outer: expected two vectors, got \(shape) and \(other.shape)")
    return unsqueezed(at: 1) * other.unsqueezed(at: 0)
  }

  /// Batched matrix product of `[B, n, k]` and `[B, k, m]`, without broadcasting (as `torch.bmm`).
  public func bmm(_ other: Tensor) -> Tensor {
    trapUnless(
      rank == 3 && other.rank == 3 && shapeDims[0] == other.shapeDims[0],
      "bmm: expected [B, n, k] and [B, k, m] with the same B, got \(shape) and \(other.shape)")
    return matmul(other)
  }

  /// Einstein summation, as `torch.einsum`: `"ij,jk->ik"` is a matrix product, `"bij,bjk->bik"` a
  /// batched one, `"ii->"` a trace, `"ij->ji"` a transpose, `"i,j->ij"` an outer product.
  ///
  /// Letters that appear twice in one operand take its diagonal; letters missing from the output
  /// are summed. Without `->` the output holds the letters that appear once, in alphabetical order.
  /// Several operands are contracted pairwise, left to right; each pair is one matrix product.
  /// (`...` is not supported.)
  public static func einsum(_ equation: String, _ operands: Tensor...) -> Tensor {
    einsum(equation, operands)
  }

  /// Einstein summation over an array of operands; see `einsum(_:_:)`.
  public static func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
    let spec = equation.filter { $0 != " " }
    let parts = spec.components(separatedBy: "->")
    trapUnless(parts.count <= 2, "einsum: at most one '->' in \"\(equation)\"")
    let inputs = parts[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
    trapUnless(
      inputs.count == operands.count, "einsum: \"\(equation)\" names \(inputs.count) operands, got \(operands.count)")
    let all = inputs.flatMap { $0 }
    trapUnless(all.allSatisfy(\.isLetter), "einsum: only letters are supported in \"\(equation)\" (no '...')")
    let output: [Character] =
      parts.count == 2
      ? Array(parts[1])
      : Set(all).filter { c in all.filter { $0 == c }.count == 1 }.sorted()
    trapUnless(
      output.allSatisfy { all.contains($0) } && Set(output).count == output.count,
      "einsum: the output \"\(String(output))\" must use distinct letters of the inputs")
    var terms: [(Tensor, [Character])] = []
    for (letters, x) in zip(inputs, operands) {
      trapUnless(
        letters.count == x.rank,
        "einsum: \"\(String(letters))\" has \(letters.count) letters for an operand of shape \(x.shape)")
      terms.append((x, letters))
    }
    var sizes: [Character: Int] = [:]
    for (x, letters) in terms {
      for (c, size) in zip(letters, x.shape) {
        trapUnless(
          sizes[c] == nil || sizes[c] == size,
          "einsum: letter '\(c)' has size \(sizes[c]!) and \(size) in \"\(equation)\"")
        sizes[c] = size
      }
    }
    // Contract left to right, keeping the letters that the output or a later operand needs.
    var (result, letters) = reduced(terms[0].0, terms[0].1, keep: Set(output + terms.dropFirst().flatMap(\.1)))
    for k in 1..<Swift.max(terms.count, 1) {
      let later = Set(output + terms.dropFirst(k + 1).flatMap(\.1))
      let (b, bLetters) = reduced(terms[k].0, terms[k].1, keep: later.union(letters))
      (result, letters) = contracted(result, letters, b, bLetters, keep: later)
    }
    (result, letters) = reduced(result, letters, keep: Set(output))
    return result.permuted(output.map { letters.firstIndex(of: $0)! })
  }

  /// Takes the diagonal of repeated letters and sums letters not in `keep`.
  private static func reduced(_ x: Tensor, _ letters: [Character], keep: Set<Character>) -> (Tensor, [Character]) {
    var x = x
    var letters = letters
    while let (i, j) = repeatedPair(letters) {
      x = x.diagonal(axis1: i, axis2: j)
      let c = letters[i]
      letters = letters.enumerated().filter { $0.offset != i && $0.offset != j }.map(\.element) + [c]
    }
    let summed = letters.indices.filter { !keep.contains(letters[$0]) }
    if !summed.isEmpty {
      x = x.sum(axes: summed)
      letters = letters.enumerated().filter { !summed.contains($0.offset) }.map(\.element)
    }
    return (x, letters)
  }

  private static func repeatedPair(_ letters: [Character]) -> (Int, Int)? {
    for i in letters.indices {
      if let j = letters[(i + 1)...].firstIndex(of: letters[i]) { return (i, j) }
    }
    return nil
  }

  /// One pairwise contraction as a batched matrix product: shared letters that stay are batch
  /// axes, shared letters that go are summed by the product.
  private static func contracted(
    _ a: Tensor, _ al: [Character], _ b: Tensor, _ bl: [Character],
    keep: Set<Character>
  ) -> (Tensor, [Character]) {
    let batch = al.filter { bl.contains($0) && keep.contains($0) }
    let summed = al.filter { bl.contains($0) && !keep.contains($0) }
    let aOnly = al.filter { !bl.contains($0) }
    let bOnly = bl.filter { !al.contains($0) }
    func size(_ letters: [Character], in x: Tensor, _ xl: [Character]) -> Int {
      letters.reduce(1) { $0 * x.shapeDims[xl.firstIndex(of: $1)!] }
    }
    let batchShape = batch.map { a.shapeDims[al.firstIndex(of: $0)!] }
    let am = a.permuted((batch + aOnly + summed).map { al.firstIndex(of: $0)! })
      .reshaped(to: batchShape + [size(aOnly, in: a, al), size(summed, in: a, al)])
    let bm = b.permuted((batch + summed + bOnly).map { bl.firstIndex(of: $0)! })
      .reshaped(to: batchShape + [size(summed, in: b, bl), size(bOnly, in: b, bl)])
    let product = am.matmul(bm)
    let shape =
      batchShape + aOnly.map { a.shapeDims[al.firstIndex(of: $0)!] } + bOnly.map { b.shapeDims[bl.firstIndex(of: $0)!] }
    return (product.reshaped(to: shape), batch + aOnly + bOnly)
  }
}
