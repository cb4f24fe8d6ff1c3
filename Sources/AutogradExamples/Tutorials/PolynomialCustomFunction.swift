import Autograd

extension Tutorial {
  /// The Legendre polynomial of degree 3 as a function with its own backward rule, as the PyTorch
  /// program's `torch.autograd.Function` subclass `LegendrePolynomial3`:
  /// forward P3(z) = ½(5z³ - 3z), backward dP3/dz = 1.5(5z² - 1).
  static func legendrePolynomial3(_ input: Tensor) -> Tensor {
    // ctx.save_for_backward(input) is `saving: [input]`; the rule gets it back in `saved`.
    customFunction(
      "LegendrePolynomial3", inputs: [input], saving: [input],
      forward: { inputs in 0.5 * (5 * inputs[0].pow(3) - 3 * inputs[0]) },
      backward: { gradOutput, saved in [gradOutput * 1.5 * (5 * saved[0].pow(2) - 1)] })
  }

  /// `polynomial_custom_function`: y = a + b P3(c + d x), with P3 as above.
  static func polynomialCustomFunction(_ print: (String) -> Void) {
    let (x, y) = sineData()
    // Weights chosen not too far from the answer, for the method to converge.
    let a = Tensor(0.0, requiresGrad: true)
    let b = Tensor(-1.0, requiresGrad: true)
    let c = Tensor(0.0, requiresGrad: true)
    let d = Tensor(0.3, requiresGrad: true)
    let learningRate = 5e-6
    for t in 0..<2000 {
      // P3 = LegendrePolynomial3.apply
      let yPred = a + b * legendrePolynomial3(c + d * x)
      let loss = (yPred - y).pow(2).sum()
      if t % 100 == 99 { print("\(t) \(f(loss))") }
      loss.backward()
      withNoGrad {
        for p in [a, b, c, d] {
          p -= learningRate * p.grad!
          p.grad = nil
        }
      }
    }
    print("Result: y = \(f(a)) + \(f(b)) * P3(\(f(c)) + \(f(d)) x)")
  }
}
