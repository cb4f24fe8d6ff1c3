import Testing

@testable import Autograd

@Suite("gradCheck itself") struct GradCheckTests {
  @Test func detectsAWrongGradient() {
    // relu's gradient is not the gradient of softplus: the check must fail.
    let x = Tensor([0.5, -0.3, 1.2], dtype: .float64)
    let wrong = gradCheckReport([x]) { v in
      let y = v[0].relu()
      // Forward as softplus, backward as relu: value swapped in with no gradient of its own.
      return y + ((1 + v[0].exp()).log() - y).detached()
    }
    #expect(!wrong.passed)
    #expect(gradCheck(shape: [2, 3]) { $0.tanh().sum() })
  }
}
