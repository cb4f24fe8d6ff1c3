import Autograd
import Foundation
import Testing

@testable import AutogradExamples

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite("The lecture's programs match PyTorch") struct LectureProgramTests {
  @Test func exerciseOutputMatchesByteForByte() throws {
    var lines: [String] = []
    let w = SeedExercise.run { lines.append($0) }
    let expected = try String(
      contentsOf: fixtures.appendingPathComponent("seed_exercise_expected_output.txt"), encoding: .utf8)
    let output = lines.map { $0 + "\n" }.joined()
    #expect(output == expected)
    #expect(Swift.abs(w - 2) < 1e-5)
  }

  @Test func twoLayerNetTracksTheReferenceLosses() throws {
    let reference = try String(contentsOf: fixtures.appendingPathComponent("two_layer_net/losses.txt"), encoding: .utf8)
      .split(separator: "\n").map { Double($0.split(separator: " ")[1])! }
    let net = try TwoLayerNet(directory: fixtures.appendingPathComponent("two_layer_net"))
    var losses: [Double] = []
    net.train(steps: 500) { step, loss in
      #expect(step == losses.count)
      losses.append(loss)
    }
    #expect(losses.count == reference.count)
    let relative = zip(losses, reference).map { Swift.abs($0 - $1) / Swift.abs($1) }
    #expect(relative.prefix(100).max()! < 1e-4, "steps 0-99: worst relative difference \(relative.prefix(100).max()!)")
    #expect(relative.max()! < 0.05, "all steps: worst relative difference \(relative.max()!)")
    #expect(losses.last! < 1e-4)
  }

  @Test func twoLayerNetLearnsOnRandomData() {
    let net = TwoLayerNet(seed: 1)
    var first = 0.0
    let last = net.train(steps: 200) { step, loss in if step == 0 { first = loss } }
    #expect(last < first * 1e-3)
  }

  @Test func missingDataDirectoryThrows() {
    #expect(throws: TensorIOError.self) { try TwoLayerNet(directory: URL(fileURLWithPath: "/nonexistent/dir")) }
  }
}
