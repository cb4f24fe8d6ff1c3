import Testing

@testable import Autograd

/// Pointwise backward rules write into a gradient that nothing else holds instead of allocating
/// (`RuleContext.ownsGradient`); anything that still holds it must see it unchanged.
@Suite("Rules that own their gradient") struct OwnedGradientTests {
  @Test(arguments: [DType.float32, .float64])
  func aGradientNobodyElseHoldsIsReusedAlongTheChain(dtype: DType) {
    let x = Tensor([1.5, -2.0], dtype: dtype, requiresGrad: true)
    let scaled = x * 3
    let negated = -scaled
    let divided = negated / 4
    let y = 2 - divided
    let l = y * Tensor([5.0, 7.0], dtype: dtype)
    // The caller holds the seed, so l's rule makes y's gradient; every rule from there reuses it.
    // (Freed gradients go to the storage pool and come back, so one buffer seen at every step,
    // not just at both ends, is what shows that none was made.)
    let log = GradientStorages(watching: y, divided, negated, scaled)
    l.backward(Tensor.ones([2], dtype: dtype))
    #expect(x.grad!.scalars(as: Double.self) == [3.75, 5.25])
    #expect(log.seen.count == 4 && Set(log.seen + [ObjectIdentifier(x.grad!.storage)]).count == 1)
  }

  @Test(arguments: [DType.float32, .float64])
  func theOnesBackwardMakesAreTheRootRulesToWriteInto(dtype: DType) {
    let w = Tensor([1.5], dtype: dtype, requiresGrad: true)
    let y = w * 3
    let seed = GradientStorages(watching: y)
    y.backward()
    #expect(w.grad!.scalars(as: Double.self) == [3])
    #expect(seed.seen == [ObjectIdentifier(w.grad!.storage)])
    // A gradient the caller passes is still the caller's: it is read, never written.
    let given = Tensor([2.0], dtype: dtype)
    (w * 3).backward(given)
    #expect(given.scalars(as: Double.self) == [2] && w.grad!.scalars(as: Double.self) == [9])
  }

  @Test(arguments: [DType.float32, .float64])
  func aLeafsContributionsAreSummedIntoTheFirst(dtype: DType) {
    // The lecture's (y - x w)(y - x w): two edges lead to w, and each product's rule writes w's
    // share into the gradient it got. The second share is added into the first, which then
    // becomes w.grad: no third buffer (both shares are alive when a sum would allocate one, so
    // the storage pool cannot hand one of theirs back).
    let w = Tensor([1.0], dtype: dtype, requiresGrad: true)
    let (first, second) = (2.0 * w, 2.0 * w)
    let shares = GradientStorages(watching: first, second)
    ((4.0 - first) * (4.0 - second)).backward()
    // dl/dw = -2 (4 - 2w) * 2 = -8.
    #expect(w.grad!.scalars(as: Double.self) == [-8])
    #expect(Set(shares.seen).count == 2 && shares.seen.contains(ObjectIdentifier(w.grad!.storage)))
  }

  @Test(arguments: [DType.float32, .float64])
  func aNodesGradientsAreSummedIntoTheFirst(dtype: DType) {
    // h is used twice: its node gets a gradient along each edge and adds the second into the first.
    let w = Tensor([1.0], dtype: dtype, requiresGrad: true)
    let h = 2.0 * w
    let (first, second) = (4.0 - h, 4.0 - h)
    let (shares, total) = (GradientStorages(watching: first, second), GradientStorages(watching: h))
    (first * second).backward()
    #expect(w.grad!.scalars(as: Double.self) == [-8])
    #expect(Set(shares.seen).count == 2 && total.seen.count == 1 && shares.seen.contains(total.seen[0]))
  }

  @Test func aGradientAHookKeptIsNotOverwritten() {
    let x = Tensor(2.0, dtype: .float64, requiresGrad: true)
    let y = x * 3
    var kept: Tensor?
    y.registerHook { g in
      kept = g
      return nil
    }
    let z = -y
    (z * z).backward()
    // dl/dz = 2z = -12, dl/dy = 12, dl/dx = 36.
    #expect(kept?.item() == 12)
    #expect(x.grad?.item() == 36)
  }

  @Test func aProductOfTwoTensorsThatNeedGradients() {
    let a = Tensor([1.0, 2.0, 3.0], dtype: .float64, requiresGrad: true)
    let b = Tensor([4.0, 5.0, 6.0], dtype: .float64, requiresGrad: true)
    let c = Tensor(2.0, dtype: .float64, requiresGrad: true)
    ((a * b) * c).sum().backward()
    #expect(a.grad!.scalars(as: Double.self) == [8, 10, 12])
    #expect(b.grad!.scalars(as: Double.self) == [2, 4, 6])
    #expect(c.grad!.scalars(as: Double.self) == [32])
    // x * x: both edges lead to x; the second product goes into the gradient, the first does not.
    let x = Tensor([3.0, -1.0], dtype: .float64, requiresGrad: true)
    (x * x * 0.5).backward(Tensor([1.0, 1.0], dtype: .float64))
    #expect(x.grad!.scalars(as: Double.self) == [3, -1])
  }

  @Test func secondOrderGradientsRecordTheRulesAsBefore() {
    let x = Tensor(3.0, dtype: .float64, requiresGrad: true)
    let y = -(x * x) * 2
    let dx = grad(of: y, withRespectTo: [x], createGraph: true)[0]!
    #expect(dx.item() == -12)
    let dxx = grad(of: dx, withRespectTo: [x])[0]!
    #expect(dxx.item() == -4)
  }
}

/// The storage of each gradient that reaches the tensors watched, in the order they arrive (hooks
/// that look and keep nothing, so that a rule may still own the gradient).
private final class GradientStorages {
  private(set) var seen: [ObjectIdentifier] = []

  init(watching tensors: Tensor...) {
    for t in tensors {
      t.registerHook { g in
        self.seen.append(ObjectIdentifier(g.storage))
        return nil
      }
    }
  }
}
