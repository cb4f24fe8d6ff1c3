import Autograd
import Testing

@testable import AutogradNN

/// The module of the article "Writing your own module", as written there.
private final class TwoTower: Layer {
  let left: Linear
  let right: Linear
  @Parameter var scale: Tensor
  @Buffer var calls: Tensor

  init(features: Int, hidden: Int) {
    left = Linear(inputSize: features, outputSize: hidden)
    right = Linear(inputSize: features, outputSize: hidden)
    scale = Tensor.ones([hidden])
    calls = Tensor.zeros([1])
  }

  override func forward(_ x: Tensor) -> Tensor {
    withNoGrad { calls += 1 }
    return (left(x).relu() + right(x).tanh()) * scale
  }
}

@Suite("Writing your own module (article)") struct WritingYourOwnModuleTests {
  @Test func theArticlesModuleWorksAsItSays() {
    let model = TwoTower(features: 4, hidden: 8)
    #expect(model.namedParameters().map(\.0) == ["scale", "left.weight", "left.bias", "right.weight", "right.bias"])
    let y = model(Tensor.randn([2, 4]))
    y.sum().backward()
    #expect(model.parameters().allSatisfy { $0.grad != nil })
    #expect(model.calls.item() == 1 && model.namedBuffers().map(\.0) == ["calls"])
    #expect(
      "\(model)" == """
        TwoTower(
          (left): Linear(inputSize: 4, outputSize: 8, bias: true)
          (right): Linear(inputSize: 4, outputSize: 8, bias: true)
        )
        """)
  }
}
