import Autograd
import Foundation
import Testing

@testable import AutogradNN

private func optimizer(_ lr: Double = 1) -> SGD {
  SGD(
    groups: [
      ParameterGroup([Tensor([1.0], requiresGrad: true)]),
      ParameterGroup([Tensor([1.0], requiresGrad: true)], learningRate: 10),
    ],
    learningRate: lr)
}

private func rates(_ schedule: LearningRateSchedule, steps: Int) -> [Double] {
  (0..<steps).map { _ in
    schedule.step()
    return schedule.learningRate
  }
}

private func close(_ a: [Double], _ b: [Double]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) < 1e-12 }
}

@Suite("Learning-rate schedules") struct ScheduleTests {
  @Test func stepMultiStepExponential() {
    #expect(close(rates(StepLR(optimizer: optimizer(), stepSize: 2, gamma: 0.5), steps: 5), [1, 0.5, 0.5, 0.25, 0.25]))
    #expect(
      close(
        rates(MultiStepLR(optimizer: optimizer(), milestones: [3, 1], gamma: 0.1), steps: 4), [0.1, 0.1, 0.01, 0.01]))
    #expect(close(rates(ExponentialLR(optimizer: optimizer(), gamma: 0.9), steps: 3), [0.9, 0.81, 0.729]))
  }

  @Test func groupRatesScaleToo() {
    let o = optimizer()
    StepLR(optimizer: o, stepSize: 1, gamma: 0.5).step()
    #expect(o.groups[1].learningRate == 5)
  }

  @Test func cosineAndLinearWarmup() {
    let cosine = rates(CosineAnnealingLR(optimizer: optimizer(2), period: 4, minimumRate: 0.2), steps: 5)
    let expected = (1...5).map { 0.2 + 1.8 * (1 + cos(Double.pi * Double(Swift.min($0, 4)) / 4)) / 2 }
    #expect(close(cosine, expected))
    let o = optimizer(0.9)
    let warmup = LinearLR(optimizer: o, startFactor: 0.5, steps: 2)
    #expect(o.learningRate == 0.45)
    #expect(close(rates(warmup, steps: 3), [0.675, 0.9, 0.9]))
  }

  @Test func oneCycleRisesToTheMaximumAndFallsFarBelowTheStart() {
    let o = optimizer()
    let schedule = OneCycleLR(optimizer: o, maxRate: 0.1, totalSteps: 100)
    #expect(Swift.abs(o.learningRate - 0.004) < 1e-15)
    let path = rates(schedule, steps: 99)
    let peak = path.indices.max { path[$0] < path[$1] }!
    #expect(Swift.abs(path[peak] - 0.1) < 1e-12 && peak == 28)
    #expect(Swift.abs(path.last! - 0.004 / 1e4) < 1e-12)
  }

  @Test func reduceOnPlateauWaitsForPatience() {
    let o = optimizer()
    let plateau = ReduceLROnPlateau(optimizer: o, factor: 0.5, patience: 2)
    for metric in [1.0, 0.9, 0.9, 0.9] { plateau.step(metric: metric) }
    #expect(o.learningRate == 1)
    plateau.step(metric: 0.95)
    #expect(o.learningRate == 0.5)
    #expect(o.groups[1].learningRate == 5)
  }
}
