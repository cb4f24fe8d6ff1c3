import ArgumentParser
import Foundation

@main
struct AutogradCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "autograd",
    abstract: "Tensors with reverse-mode automatic differentiation: the lecture's programs and tools.",
    subcommands: [
      ExerciseCommand.self, TwoLayerNetCommand.self, TrainCommand.self, EvaluateCommand.self, GraphCommand.self,
      ExplainCommand.self, TutorialCommand.self, EmbedCommand.self,
    ]
  )
}

/// A failure while a command runs (a file it cannot write, a name the expression does not know):
/// the tool prints `Error: ` and the message, and exits 1. `ValidationError` is for arguments that
/// are wrong on their face; it exits 64 with the usage line.
struct CommandError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Checks, before a long run, that a file can be written at `path`: its folder exists and takes
/// files, and the file, if present, is writable.
func checkWritable(_ path: String, option: String) throws {
  let url = URL(fileURLWithPath: path)
  let folder = url.deletingLastPathComponent().path
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
    throw CommandError("\(option): cannot write \(path): the folder \(folder) does not exist")
  }
  var isFolder: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
    guard !isFolder.boolValue else { throw CommandError("\(option): cannot write \(path): it is a folder") }
    guard FileManager.default.isWritableFile(atPath: path) else {
      throw CommandError("\(option): cannot write \(path): the file is not writable")
    }
  } else if !FileManager.default.isWritableFile(atPath: folder) {
    throw CommandError("\(option): cannot write \(path): the folder \(folder) is not writable")
  }
}
