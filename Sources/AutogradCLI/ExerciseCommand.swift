import ArgumentParser
import AutogradExamples

struct ExerciseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exercise",
    abstract: "Run the lecture's exercise: fit y = x * w by gradient descent, printing as the PyTorch program does."
  )

  @Option(parsing: .unconditional, help: "Number of epochs.")
  var epochs = 100

  func validate() throws {
    guard epochs >= 0 else { throw ValidationError("--epochs must be non-negative, got \(epochs)") }
  }

  func run() {
    SeedExercise.run(epochs: epochs) { print($0) }
  }
}
