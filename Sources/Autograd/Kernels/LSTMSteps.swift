import CAutogradKernels

extension Kernels {
  /// What an LSTM layer's forward pass keeps for its backward pass.
  struct LSTMForward {
    /// h_t (`states[0]`) and c_t (`states[1]`) of every step: `[2, T, N, H]`.
    let states: Tensor
    /// Every step's gates after their activations (input, forget, cell, output): `[T, N, 4H]`.
    let gates: Tensor
  }

  /// The gradients of an LSTM layer's inputs, `nil` where none was asked for.
  struct LSTMGradients {
    var input, hidden, cell, weightIH, weightHH, bias: Tensor?
  }

  /// Runs an LSTM layer over a sequence (PyTorch's gate order: input, forget, cell, output).
  ///
  /// `input` is a contiguous `[T, N, I]`, `hidden` and `cell` contiguous `[N, H]`, the weights
  /// `[4H, I]` and `[4H, H]` (any strides), the biases contiguous `[4H]`. The input's share of every
  /// step's gates is one product over the whole sequence; each step then adds its recurrent product
  /// (against a weight packed once) and applies the gates in one pass over the step's rows.
  static func lstmForward(
    input: Tensor, hidden: Tensor, cell: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?,
    biasHH: Tensor?
  ) -> LSTMForward {
    let (steps, batch, hiddenSize) = (input.shapeDims[0], input.shapeDims[1], hidden.shapeDims[1])
    let width = 4 * hiddenSize
    let gates = matmul(rows(input), weightIH.matrixTransposed).viewed(as: [steps, batch, width])
    let states = Tensor(empty: [2, steps, batch, hiddenSize], dtype: input.dtype)
    let recurrent = RepeatedRightOperand(weightHH.matrixTransposed)
    func run<T: FloatingElement>(_: T.Type) {
      let g = gates.basePointer(T.self)
      let s = states.basePointer(T.self)
      let (h0, c0) = (hidden.basePointer(T.self) + hidden.offset, cell.basePointer(T.self) + cell.offset)
      let stepSize = batch * hiddenSize
      if let biasIH, let biasHH {
        let (bi, bh) = (biasIH.basePointer(T.self) + biasIH.offset, biasHH.basePointer(T.self) + biasHH.offset)
        for r in 0..<(steps * batch) {
          let row = g + r * width
          for j in 0..<width { row[j] += bi[j] + bh[j] }
        }
      }
      // The samples of a batch never meet: each thread runs every step for its own rows.
      Threading.forEachRange(batch, minimumPerThread: rowsPerThread(steps: steps, hiddenSize: hiddenSize)) { rows in
        for t in 0..<steps {
          let gt = g + t * batch * width
          let hPrevious = t == 0 ? UnsafePointer(h0) : UnsafePointer(s + (t - 1) * stepSize)
          let cPrevious = t == 0 ? UnsafePointer(c0) : UnsafePointer(s + (steps + t - 1) * stepSize)
          recurrent.multiply(
            hPrevious + rows.lowerBound * hiddenSize, rows: rows.count, rowStride: hiddenSize,
            into: gt + rows.lowerBound * width, rowStride: width, accumulate: true)
          for n in rows {
            let row = gt + n * width
            sigmoid(row, count: 2 * hiddenSize)
            tanh(row + 2 * hiddenSize, into: row + 2 * hiddenSize, count: hiddenSize)
            sigmoid(row + 3 * hiddenSize, count: hiddenSize)
            let (i, f, candidate, o) = (row, row + hiddenSize, row + 2 * hiddenSize, row + 3 * hiddenSize)
            let c = s + (steps + t) * stepSize + n * hiddenSize
            let h = s + t * stepSize + n * hiddenSize
            let cp = cPrevious + n * hiddenSize
            for j in 0..<hiddenSize { c[j] = f[j] * cp[j] + i[j] * candidate[j] }
            tanh(c, into: h, count: hiddenSize)
            for j in 0..<hiddenSize { h[j] *= o[j] }
          }
        }
      }
    }
    switch input.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
    return LSTMForward(states: states, gates: gates)
  }

  /// Back-propagates through an LSTM layer from `gradient`, d(loss)/d(states) (contiguous
  /// `[2, T, N, H]`), with the values `lstmForward` computed from the same inputs.
  ///
  /// The steps run backwards to find each step's gate gradients (one product per step against the
  /// recurrent weight, packed once); the weights' gradients are then one product each over all
  /// steps together, with the depth of the whole sequence (T·N) rather than one step's (N).
  static func lstmBackward(
    gradient: Tensor, input: Tensor, hidden: Tensor, cell: Tensor, weightIH: Tensor, weightHH: Tensor,
    forward: LSTMForward, needs: RuleContext
  ) -> LSTMGradients {
    let (steps, batch, hiddenSize) = (input.shapeDims[0], input.shapeDims[1], hidden.shapeDims[1])
    let width = 4 * hiddenSize
    let stepSize = batch * hiddenSize
    let gateGradients = Tensor(empty: [steps * batch, width], dtype: input.dtype)
    let runningH = Tensor(empty: [batch, hiddenSize], dtype: input.dtype, zeroed: true)
    let runningC = Tensor(empty: [batch, hiddenSize], dtype: input.dtype, zeroed: true)
    let recurrent = RepeatedRightOperand(weightHH)
    func run<T: FloatingElement>(_: T.Type) {
      let dS = gradient.basePointer(T.self) + gradient.offset
      let (s, g) = (forward.states.basePointer(T.self), forward.gates.basePointer(T.self))
      let dG = gateGradients.basePointer(T.self)
      let (dh, dc) = (runningH.basePointer(T.self), runningC.basePointer(T.self))
      let c0 = cell.basePointer(T.self) + cell.offset
      Threading.forEachRange(batch, minimumPerThread: rowsPerThread(steps: steps, hiddenSize: hiddenSize)) { rows in
        withUnsafeTemporaryAllocation(of: T.self, capacity: hiddenSize) { scratch in
          let tanhC = scratch.baseAddress!
          for t in stride(from: steps - 1, through: 0, by: -1) {
            let cPrevious = t == 0 ? UnsafePointer(c0) : UnsafePointer(s + (steps + t - 1) * stepSize)
            for n in rows {
              let row = g + (t * batch + n) * width
              let (i, f, candidate, o) = (row, row + hiddenSize, row + 2 * hiddenSize, row + 3 * hiddenSize)
              let out = dG + (t * batch + n) * width
              let at = n * hiddenSize
              let (dhOut, dcOut) = (dS + t * stepSize + at, dS + (steps + t) * stepSize + at)
              let (c, cp) = (s + (steps + t) * stepSize + at, cPrevious + at)
              tanh(c, into: tanhC, count: hiddenSize)
              if T.self == Float.self {
                float32GateGradients(
                  hiddenSize, gates: row, tanhC: tanhC, cPrevious: cp, dh: dh + at, dhOut: dhOut, dcOut: dcOut,
                  dc: dc + at, into: out)
                continue
              }
              for j in 0..<hiddenSize {
                let dhj = dh[at + j] + dhOut[j]
                let tc = tanhC[j]
                let dcj = dc[at + j] + dcOut[j] + dhj * o[j] * (1 - tc * tc)
                out[j] = dcj * candidate[j] * i[j] * (1 - i[j])
                out[hiddenSize + j] = dcj * cp[j] * f[j] * (1 - f[j])
                out[2 * hiddenSize + j] = dcj * i[j] * (1 - candidate[j] * candidate[j])
                out[3 * hiddenSize + j] = dhj * tc * o[j] * (1 - o[j])
                dc[at + j] = dcj * f[j]
              }
            }
            if t > 0 || needs[1] {
              recurrent.multiply(
                dG + (t * batch + rows.lowerBound) * width, rows: rows.count, rowStride: width,
                into: dh + rows.lowerBound * hiddenSize, rowStride: hiddenSize, accumulate: false)
            }
          }
        }
      }
    }
    switch input.dtype {
    case .float32: run(Float.self)
    default: run(Double.self)
    }
    var result = LSTMGradients()
    let transposedGates = gateGradients.matrixTransposed
    if needs[0] { result.input = matmul(gateGradients, weightIH).viewed(as: input.shape) }
    if needs[1] { result.hidden = runningH }
    if needs[2] { result.cell = runningC }
    if needs[3] { result.weightIH = matmul(transposedGates, rows(input)) }
    if needs[4] { result.weightHH = matmul(transposedGates, previousHidden(hidden, forward.states)) }
    if needs.bits >> 5 != 0 { result.bias = sum(gateGradients, axes: [0]) }
    return result
  }

  /// The float32 gate gradients of one sample's step in C, where they vectorize: `gates` and `out`
  /// hold the four gates of `n` units one after another.
  private static func float32GateGradients<T: FloatingElement>(
    _ n: Int, gates: UnsafeMutablePointer<T>, tanhC: UnsafeMutablePointer<T>, cPrevious: UnsafePointer<T>,
    dh: UnsafeMutablePointer<T>, dhOut: UnsafeMutablePointer<T>, dcOut: UnsafeMutablePointer<T>,
    dc: UnsafeMutablePointer<T>, into out: UnsafeMutablePointer<T>
  ) {
    func float(_ x: UnsafePointer<T>) -> UnsafePointer<Float> {
      UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
    }
    func float(_ x: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
      UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self)
    }
    ag_lstm_gate_gradients_f32(
      n, float(gates), float(gates + n), float(gates + 2 * n), float(gates + 3 * n), float(tanhC), float(cPrevious),
      float(dh), float(dhOut), float(dcOut), float(dc), float(out), float(out + n), float(out + 2 * n),
      float(out + 3 * n))
  }

  /// The fewest samples worth a thread of their own: about 4 MFLOP of recurrent products over the
  /// sequence (a worker spinning between jobs costs about a microsecond to start, a sleeping one
  /// 10-50 µs).
  private static func rowsPerThread(steps: Int, hiddenSize: Int) -> Int {
    Swift.max(1, 4_000_000 / Swift.max(1, steps * 8 * hiddenSize * hiddenSize))
  }

  /// h_{t-1} of every step, `[T·N, H]`: the initial state, then every state but the last.
  private static func previousHidden(_ hidden: Tensor, _ states: Tensor) -> Tensor {
    let (steps, batch, hiddenSize) = (states.shapeDims[1], states.shapeDims[2], states.shapeDims[3])
    let out = Tensor(empty: [steps * batch, hiddenSize], dtype: states.dtype)
    let stepSize = batch * hiddenSize
    copy(hidden, into: out.viewed(as: [batch, hiddenSize]))
    if steps > 1 {
      let earlier = Tensor(storage: states.storage, shape: [(steps - 1) * stepSize], strides: [1], offset: 0)
      copy(earlier, into: Tensor(storage: out.storage, shape: [(steps - 1) * stepSize], strides: [1], offset: stepSize))
    }
    return out
  }

  /// A contiguous tensor's leading axes as the rows of a matrix.
  private static func rows(_ x: Tensor) -> Tensor {
    x.viewed(as: [x.count / x.shapeDims[x.rank - 1], x.shapeDims[x.rank - 1]])
  }

  private static func sigmoid<T: FloatingElement>(_ x: UnsafeMutablePointer<T>, count: Int) {
    if T.self == Float.self {
      let p = UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self)
      return ag_sigmoid_f32(p, p, count)
    }
    for j in 0..<count { x[j] = 1 / (1 + T.exp(-x[j])) }
  }

  private static func tanh<T: FloatingElement>(
    _ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, count: Int
  ) {
    if T.self == Float.self {
      return ag_tanh_f32(
        UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
        UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), count)
    }
    for j in 0..<count { y[j] = T.tanh(x[j]) }
  }
}

/// A matrix that many small products multiply by on the right (a recurrent weight, once per
/// step): for float32 it is packed once for the GEMM, which otherwise packs it on every call.
struct RepeatedRightOperand {
  private let matrix: Tensor
  private let packed: Tensor?

  /// `matrix` is a 2-D `[k, n]` view of any strides.
  init(_ matrix: Tensor) {
    self.matrix = matrix
    guard matrix.dtype == .float32 else {
      packed = nil
      return
    }
    let (k, n) = (matrix.shapeDims[0], matrix.shapeDims[1])
    let packed = Tensor(empty: [ag_sgemm_packed_count(k, n)], dtype: .float32)
    ag_sgemm_pack(
      k, n, matrix.basePointer(Float.self) + matrix.offset, matrix.strideDims[0], matrix.strideDims[1],
      packed.basePointer(Float.self))
    self.packed = packed
  }

  /// c = a · matrix, or c += a · matrix when `accumulate`: `a` has `rows` rows of k elements,
  /// `rowStride` apart, and c `rows` rows of n.
  func multiply<T: FloatingElement>(
    _ a: UnsafePointer<T>, rows: Int, rowStride: Int, into c: UnsafeMutablePointer<T>, rowStride ldc: Int,
    accumulate: Bool
  ) {
    let (k, n) = (matrix.shapeDims[0], matrix.shapeDims[1])
    if let packed {
      return ag_sgemm_prepacked(
        rows, n, k, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), rowStride, 1,
        packed.basePointer(Float.self), UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc,
        accumulate)
    }
    // float64 products are for checks, and small: a plain i-p-j loop.
    let b = matrix.basePointer(T.self) + matrix.offset
    let (rsb, csb) = (matrix.strideDims[0], matrix.strideDims[1])
    for i in 0..<rows {
      let out = c + i * ldc
      if !accumulate { out.update(repeating: 0, count: n) }
      for p in 0..<k {
        let ap = a[i * rowStride + p]
        for j in 0..<n { out[j] += ap * b[p * rsb + j * csb] }
      }
    }
  }
}
