import ArgumentParser
import AutogradExamples
import Foundation

extension Tutorial: ExpressibleByArgument {}

struct TutorialCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tutorial",
    abstract: "Run a program of PyTorch's \"Learning PyTorch with Examples\", ported: fit sin(x) with a cubic.",
    discussion: """
      Each program prints what the PyTorch program prints: the loss every 100 steps (every 2000 for \
      dynamic_net), then the fitted polynomial. Without a name, lists the programs.
      """
  )

  @Argument(help: "The program: \(Tutorial.allCases.map(\.rawValue).joined(separator: ", ")).")
  var name: Tutorial?

  func run() throws {
    guard let name else {
      for tutorial in Tutorial.allCases {
        print("\(tutorial.rawValue.padding(toLength: 28, withPad: " ", startingAt: 0))\(tutorial.summary)")
      }
      return
    }
    do { try name.run { print($0) } } catch { throw CommandError("\(error)") }
  }
}
