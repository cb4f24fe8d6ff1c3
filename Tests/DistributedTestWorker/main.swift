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

let scenarios: [String: (ProcessGroup) throws -> Void] = [
  "collectives": Scenarios.collectives,
  "mismatch": Scenarios.mismatch,
  "agree": Scenarios.agree,
]

let arguments = CommandLine.arguments
guard arguments.count >= 2, let scenario = scenarios[arguments[1]] else {
  FileHandle.standardError.write(Data("usage: DistributedTestWorker \(scenarios.keys.sorted().joined(separator: "|"))\n".utf8))
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
  try scenario(group)
} catch {
  fail(group, "\(error)")
}
print("rank \(group.rank) of \(group.size): \(arguments[1]) passed")
