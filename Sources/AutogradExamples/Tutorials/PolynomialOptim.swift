import Autograd
import AutogradNN

extension Tutorial {
  /// `polynomial_optim`: the model of `polynomial_nn`, trained by an optimizer (RMSprop) instead
  /// of an update written by hand.
  static func polynomialOptim(_ print: (String) -> Void) throws {
    let (x, y) = sineData()
    let xx = cubicFeatures(x)
    let (model, linear) = try cubicModel(startingAs: .polynomialOptim)
    let lossFunction = MSELoss(reduction: .sum)
    // optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    let optimizer = RMSprop(parameters: model.parameters(), learningRate: 1e-3)
    for t in 0..<2000 {
      let loss = lossFunction(model(xx), y)
      if t % 100 == 99 { print("\(t) \(f(loss))") }
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
    }
    print(cubicResult(linear))
  }
}
