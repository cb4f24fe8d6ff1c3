// One rank of a distributed test: `mpirun -np N DistributedTestWorker SCENARIO`. Each scenario
// checks its results on every rank and exits non-zero with a message on the first wrong one;
// AutogradDistributedTests starts it and reads the outcome.
import Autograd
import AutogradDistributed
import Foundation

/// Ends this rank with a failure that names the rank and what was wrong.
func fail(_ group: ProcessGroup, _ message: String) -> Never {
  FileHandle.standardError.write(Data("FAILED on rank \(group.rank): \(message)\n".utf8))
  exit(3)
}

func expect(_ group: ProcessGroup, _ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { fail(group, message()) }
}

/// Values that differ by rank and element: rank r holds r * 1000 + i at element i.
func rankValues(_ group: ProcessGroup, rank: Int? = nil, _ count: Int, dtype: DType, shape: [Int]? = nil) -> Tensor {
  let r = rank ?? group.rank
  return Tensor((0..<count).map { Double(r * 1000 + $0) }, shape: shape ?? [count], dtype: dtype)
}

/// Each scenario gets the group and the arguments after its name.
let scenarios: [String: (ProcessGroup, [String]) throws -> Void] = [
  "collectives": { group, _ in try Scenarios.collectives(group) },
  "mismatch": { group, _ in try Scenarios.mismatch(group) },
  "agree": { group, _ in try Scenarios.agree(group) },
  "equivalence": TrainingScenarios.equivalence,
  "unused": TrainingScenarios.unused,
  "kill": TrainingScenarios.kill,
]

let arguments = CommandLine.arguments
guard arguments.count >= 2, let scenario = scenarios[arguments[1]] else {
  FileHandle.standardError.write(
    Data("usage: DistributedTestWorker \(scenarios.keys.sorted().joined(separator: "|"))\n".utf8))
  exit(2)
}
let group: ProcessGroup
do {
  group = try ProcessGroup.world()
} catch {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(4)
}
do {
  // One compute thread per rank: the ranks share this machine's cores.
  Threading.setMaxThreads(1)
  try scenario(group, Array(arguments.dropFirst(2)))
} catch {
  fail(group, "\(error)")
}
print("rank \(group.rank) of \(group.size): \(arguments[1]) passed")
