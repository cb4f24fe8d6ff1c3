import Autograd

extension Tutorial {
  /// `polynomial_tensor`: y = a + b x + c x² + d x³ fitted to sin(x) with tensors alone; the
  /// gradients are written by hand, with no graph recorded.
  static func polynomialTensor(_ print: (String) -> Void) throws {
    let (x, y) = sineData()
    // a, b, c, d = torch.randn((), ...) each (here the values PyTorch drew)
    let abcd = try Tutorial.polynomialTensor.start("abcd")
    let (a, b, c, d) = (abcd[0].clone(), abcd[1].clone(), abcd[2].clone(), abcd[3].clone())
    let learningRate = 1e-6
    for t in 0..<2000 {
      // Forward pass: compute predicted y
      let yPred = a + b * x + c * x.pow(2) + d * x.pow(3)
      // Compute and print loss
      let loss = (yPred - y).pow(2).sum().item()
      if t % 100 == 99 { print("\(t) \(pythonRepr(loss))") }
      // Backprop to compute gradients of a, b, c, d with respect to loss
      let gradYPred = 2.0 * (yPred - y)
      let gradA = gradYPred.sum()
      let gradB = (gradYPred * x).sum()
      let gradC = (gradYPred * x.pow(2)).sum()
      let gradD = (gradYPred * x.pow(3)).sum()
      // Update weights
      a -= learningRate * gradA
      b -= learningRate * gradB
      c -= learningRate * gradC
      d -= learningRate * gradD
    }
    print("Result: y = \(f(a)) + \(f(b)) x + \(f(c)) x^2 + \(f(d)) x^3")
  }
}
