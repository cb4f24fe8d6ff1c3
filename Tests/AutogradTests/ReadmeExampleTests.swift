import Autograd
import Testing

@Suite("README") struct ReadmeExampleTests {
  @Test func usageExampleTrainsToTwo() {
    // The README's usage example, as written there.
    let x = Tensor([1, 2, 3])
    let w = Tensor([1.0], requiresGrad: true)
    for _ in 0..<100 {
      let loss = ((x * w - 2 * x).pow(2)).mean()
      loss.backward()
      withNoGrad { w -= 0.1 * w.grad! }
      w.grad!.zero()
    }
    #expect(w.description == "tensor([2.], requires_grad=True)")
    #expect(Swift.abs(w.item() - 2) < 1e-5)
  }

  @Test func docCatalogExample() {
    let w = Tensor([1.0], requiresGrad: true)
    let loss = (2 - 1 * w).pow(2).sum()
    loss.backward()
    #expect(w.grad!.description == "tensor([-2.])")
  }
}
