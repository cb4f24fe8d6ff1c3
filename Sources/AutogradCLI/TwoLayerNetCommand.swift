import ArgumentParser
import Autograd
import AutogradExamples
import Foundation

struct TwoLayerNetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "two-layer-net",
    abstract: "Train the tutorial's two-layer network relu(x @ w1) @ w2 and print 'step loss' lines."
  )

  @Option(help: "Directory with x.npy, y.npy, w1.npy and w2.npy (default: random data from --seed).")
  var data: String?

  @Option(parsing: .unconditional, help: "Seed for the random data when --data is not given.")
  var seed: UInt64 = 0

  @Option(parsing: .unconditional, help: "Number of gradient-descent steps.")
  var steps = 500

  @Option(parsing: .unconditional, help: "Learning rate.")
  var learningRate = 1e-6

  func validate() throws {
    guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    guard learningRate > 0, learningRate.isFinite else {
      throw ValidationError("--learning-rate must be positive, got \(learningRate)")
    }
  }

  func run() throws {
    let net: TwoLayerNet
    if let data {
      net = try TwoLayerNet(directory: URL(fileURLWithPath: data))
    } else {
      net = TwoLayerNet(seed: seed)
    }
    let loss = net.train(steps: steps, learningRate: learningRate) { step, loss in
      print("\(step) \(pythonRepr(loss))")
    }
    // An example that stops learning is a failure, not an output.
    guard loss.isFinite else { throw ExitCode.failure }
  }
}
