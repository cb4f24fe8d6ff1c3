import ArgumentParser

@main
struct AutogradCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "autograd",
    abstract: "Tensors with reverse-mode automatic differentiation: the lecture's programs and tools.",
    subcommands: [
      ExerciseCommand.self, TwoLayerNetCommand.self, TrainCommand.self, EvaluateCommand.self, GraphCommand.self,
      ExplainCommand.self,
    ]
  )
}
