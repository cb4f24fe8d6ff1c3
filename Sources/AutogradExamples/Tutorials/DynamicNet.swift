import Autograd
import AutogradNN

extension Tutorial {
  /// The PyTorch program's `class DynamicNet(torch.nn.Module)`: a cubic plus, on each call, some
  /// extra terms e x⁴, e x⁵ that all use the one parameter e.
  ///
  /// Ordinary Swift control flow builds a different graph on every call, and reusing `e` in a
  /// loop shares its weight: backward sums the gradients of every use.
  final class DynamicNet: Module {
    @Parameter var a: Tensor
    @Parameter var b: Tensor
    @Parameter var c: Tensor
    @Parameter var d: Tensor
    @Parameter var e: Tensor

    init(start: Tensor) {
      (a, b, c, d, e) = (start[0].clone(), start[1].clone(), start[2].clone(), start[3].clone(), start[4].clone())
    }

    /// `forward(self, x, extra)`: a module with two inputs declares its own `callAsFunction`.
    func callAsFunction(_ x: Tensor, extraTerms: Int) -> Tensor {
      var y = a + b * x + c * x.pow(2) + d * x.pow(3)
      // for exp in range(4, 4 + extra): y = y + self.e * x ** exp
      for exponent in 4..<(4 + extraTerms) { y = y + e * x.pow(Double(exponent)) }
      return y
    }

    /// `def string(self)` in the PyTorch program.
    var string: String {
      "y = \(f(a)) + \(f(b)) x + \(f(c)) x^2 + \(f(d)) x^3 + \(f(e)) x^4 ? + \(f(e)) x^5 ?"
    }
  }

  /// `dynamic_net`: 30000 steps of SGD with momentum, each through a graph of its own. The number
  /// of extra terms of step t is the one PyTorch drew (`np.random.randint(0, 3)`), shipped as
  /// `extra_terms.npy`.
  static func dynamicNet(_ print: (String) -> Void) throws {
    let (x, y) = sineData()
    let model = DynamicNet(start: try Tutorial.dynamicNet.start("abcde"))
    let extraTerms = try Tutorial.dynamicNet.start("extra_terms").scalars(as: Int64.self)
    let criterion = MSELoss(reduction: .sum)
    // optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    let optimizer = SGD(parameters: model.parameters(), learningRate: 1e-8, momentum: 0.9)
    for t in 0..<30000 {
      let loss = criterion(model(x, extraTerms: Int(extraTerms[t])), y)
      if t % 2000 == 1999 { print("\(t) \(f(loss))") }
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
    }
    print("Result: \(model.string)")
  }
}
