import Autograd

extension Tutorial {
  /// `polynomial_autograd`: the same fit, with the gradients computed by `backward()`.
  static func polynomialAutograd(_ print: (String) -> Void) throws {
    let (x, y) = sineData()
    // a = torch.randn((), requires_grad=True), and b, c, d alike
    let abcd = try Tutorial.polynomialAutograd.start("abcd")
    let parameters = (0..<4).map { i in
      let p = abcd[i].clone()
      p.requiresGrad = true
      return p
    }
    let (a, b, c, d) = (parameters[0], parameters[1], parameters[2], parameters[3])
    let learningRate = 1e-6
    for t in 0..<2000 {
      // Forward pass: tensor ops, recorded because a, b, c and d require grad
      let yPred = a + b * x + c * x.pow(2) + d * x.pow(3)
      let loss = (yPred - y).pow(2).sum()
      if t % 100 == 99 { print("\(t) \(f(loss))") }
      // loss.backward(): a.grad, b.grad, c.grad and d.grad now hold the gradients
      loss.backward()
      // with torch.no_grad(): the update itself is not recorded
      withNoGrad {
        for p in parameters {
          p -= learningRate * p.grad!
          p.grad = nil
        }
      }
    }
    print("Result: y = \(f(a)) + \(f(b)) x + \(f(c)) x^2 + \(f(d)) x^3")
  }
}
