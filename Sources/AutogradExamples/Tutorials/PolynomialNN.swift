import Autograd
import AutogradNN

extension Tutorial {
  /// The features x, x², x³ of each point, `[2000, 3]`: PyTorch's
  /// `x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))`.
  static func cubicFeatures(_ x: Tensor) -> Tensor {
    x.unsqueezed(at: -1).pow(Tensor(integers: [1, 2, 3]))
  }

  /// `torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))`, started from the
  /// weight and bias PyTorch drew for `program`.
  static func cubicModel(startingAs program: Tutorial) throws -> (model: Sequential, linear: Linear) {
    let linear = Linear(inputSize: 3, outputSize: 1)
    try withNoGrad {
      linear.weight.copy(from: try program.start("weight"))
      linear.bias!.copy(from: try program.start("bias"))
    }
    return (Sequential(linear, Flatten(startAxis: 0, endAxis: 1)), linear)
  }

  /// The `Result:` line of the programs that fit the cubic with a `Linear` layer.
  static func cubicResult(_ linear: Linear) -> String {
    let w = linear.weight
    return "Result: y = \(f(linear.bias![0])) + \(f(w[0, 0])) x + \(f(w[0, 1])) x^2 + \(f(w[0, 2])) x^3"
  }

  /// `polynomial_nn`: the cubic as a linear layer on the features x, x², x³, with the summed
  /// squared error as loss and the update written by hand.
  static func polynomialNN(_ print: (String) -> Void) throws {
    let (x, y) = sineData()
    let xx = cubicFeatures(x)
    let (model, linear) = try cubicModel(startingAs: .polynomialNN)
    // loss_fn = torch.nn.MSELoss(reduction='sum')
    let lossFunction = MSELoss(reduction: .sum)
    let learningRate = 1e-6
    for t in 0..<2000 {
      let loss = lossFunction(model(xx), y)
      if t % 100 == 99 { print("\(t) \(f(loss))") }
      model.zeroGrad()
      loss.backward()
      withNoGrad {
        for parameter in model.parameters() { parameter -= learningRate * parameter.grad! }
      }
    }
    print(cubicResult(linear))
  }
}
