import Autograd
import AutogradNN

extension Tutorial {
  /// The cubic as a module of its own, as the PyTorch program's `class Polynomial3(torch.nn.Module)`:
  /// four scalar parameters, and `forward` computing a + b x + c x² + d x³.
  final class Polynomial3: Layer {
    // self.a = torch.nn.Parameter(torch.randn(())), and b, c, d alike
    @Parameter var a: Tensor
    @Parameter var b: Tensor
    @Parameter var c: Tensor
    @Parameter var d: Tensor

    init(start: Tensor) {
      (a, b, c, d) = (start[0].clone(), start[1].clone(), start[2].clone(), start[3].clone())
    }

    override func forward(_ x: Tensor) -> Tensor { a + b * x + c * x.pow(2) + d * x.pow(3) }

    /// `def string(self)` in the PyTorch program.
    var string: String { "y = \(f(a)) + \(f(b)) x + \(f(c)) x^2 + \(f(d)) x^3" }
  }

  /// `polynomial_module`: the module above, trained by SGD.
  static func polynomialModule(_ print: (String) -> Void) throws {
    let (x, y) = sineData()
    let model = Polynomial3(start: try Tutorial.polynomialModule.start("abcd"))
    let criterion = MSELoss(reduction: .sum)
    // optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    let optimizer = SGD(parameters: model.parameters(), learningRate: 1e-6)
    for t in 0..<2000 {
      let loss = criterion(model(x), y)
      if t % 100 == 99 { print("\(t) \(f(loss))") }
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
    }
    print("Result: \(model.string)")
  }
}
