import Autograd
import AutogradDistributed
import AutogradExamples
import AutogradNN
import Foundation

/// The distributed workloads, run under `mpirun` (see BENCHMARKS.md, "Training on several
/// processes"). Every rank runs them; rank 0 reports.
enum DistributedWorkloads {
  /// D1: the digits CNN (as `autograd train --model cnn`) trained for 5 epochs on the first 1437
  /// digits, Adam, batch 32 per process. `together`: every rank on its share, through
  /// `DistributedDataParallel`; otherwise rank 0 alone on all of it, without any wrapper, while
  /// the others sleep. Only the training loop is timed; returns the samples per second.
  static func cnnThroughput(
    group: ProcessGroup, features: Tensor, labels: Tensor, together: Bool,
    epochs: Int = 5
  ) throws -> Double {
    let train = TensorDataset(features[..<1437], labels[..<1437])
    let (rank, ranks) = together ? (group.rank, group.size) : (0, 1)
    if !together && group.rank != 0 {
      try sleepUntilRankZeroIsDone(group)
      return 0
    }
    var g = RandomGenerator(seed: 0)
    let model = DigitsClassifier.makeModel(.cnn, generator: &g)
    (model.layers[0] as! Standardize).fit(features[..<1437])
    let parallel = together && group.size > 1 ? try DistributedDataParallel(model, group: group) : nil
    let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
    let sampler = DistributedSampler(count: train.count, rank: rank, ranks: ranks, seed: 1)
    let loader = DataLoader(train, batchSize: 32, sampler: sampler)
    if together { try group.barrier() }
    let start = DispatchTime.now().uptimeNanoseconds
    for epoch in 0..<epochs {
      sampler.epoch = epoch
      for (inputs, labels) in loader {
        optimizer.zeroGrad()
        crossEntropy(parallel?(inputs) ?? model(inputs), labels).backward()
        optimizer.step()
      }
    }
    if together { try group.barrier() }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    if !together { try sleepUntilRankZeroIsDone(group) }
    return Double(epochs * sampler.count * ranks) / seconds
  }

  /// A barrier that the ranks other than 0 wait at asleep, polling every millisecond, so that they
  /// leave rank 0's measurement the machine (MPI's own barrier spins on a core).
  private static func sleepUntilRankZeroIsDone(_ group: ProcessGroup) throws {
    let pending = try group.allReduceAsync(Tensor.zeros([1]))
    while try !pending.isCompleted() { usleep(1000) }
  }

  /// D2: one all-reduce (sum, in place) of 64 MiB of float32, after a warm-up, each run timed
  /// alone after a barrier as `Benchmarks/mpi_allreduce.c` times MPI's own; the caller reports the
  /// bus bandwidth, 2 (n - 1) / n x bytes / seconds, as that program does.
  static func allReduce(group: ProcessGroup, runs: Int) throws -> Bench.Timing {
    let tensor = Tensor.ones([16 << 20])
    try group.allReduce(tensor)
    var times: [Double] = []
    for _ in 0..<runs {
      try group.barrier()
      let start = DispatchTime.now().uptimeNanoseconds
      try group.allReduce(tensor)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    let median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2
    return Bench.Timing(median: median, min: times[0], max: times[runs - 1], runs: runs, result: [:])
  }

  /// D3: the time data-parallel training adds to one step (forward, backward, averaging) of an MLP
  /// of 3.2 M parameters (784 → 1024 → 1024 → 1024 → 10, 13 MB of float32 gradients), batch 64 per
  /// rank, for a given bucket capacity; `nil` trains without the wrapper.
  static func dataParallelStep(group: ProcessGroup, bucketCapacity: Int?) throws -> () throws -> [String: Double] {
    var g = RandomGenerator(seed: 0)
    let model = Sequential(
      Linear(inputSize: 784, outputSize: 1024, generator: &g), ReLU(),
      Linear(inputSize: 1024, outputSize: 1024, generator: &g), ReLU(),
      Linear(inputSize: 1024, outputSize: 1024, generator: &g), ReLU(),
      Linear(inputSize: 1024, outputSize: 10, generator: &g))
    let x = Tensor.randn([64, 784], generator: &g)
    let labels = Tensor(integers: (0..<64).map { $0 % 10 })
    let parallel = try bucketCapacity.map { try DistributedDataParallel(model, group: group, bucketCapacity: $0) }
    return {
      model.zeroGrad()
      crossEntropy(parallel?(x) ?? model(x), labels).backward()
      return ["buckets": Double(parallel?.bucketCount ?? 0)]
    }
  }
}
