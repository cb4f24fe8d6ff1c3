import Autograd
import AutogradDistributed
import AutogradNN
import Foundation

/// Training with `DistributedDataParallel` against the same training in one process.
enum TrainingScenarios {
  static let steps = 50, globalBatch = 12, examples = 120

  /// The data every rank and the reference share: 120 examples of 6 features, 4 classes.
  static func data(_ dtype: DType) -> (x: Tensor, labels: Tensor) {
    var generator = RandomGenerator(seed: 11)
    let x = Tensor.randn([examples, 6], dtype: dtype, generator: &generator)
    let labels = Tensor(integers: (0..<examples).map { _ in Int(generator.nextInt(in: 0..<4)) })
    return (x, labels)
  }

  static func model(_ dtype: DType) -> Sequential {
    var generator = RandomGenerator(seed: 3)
    return Sequential(
      Linear(inputSize: 6, outputSize: 16, dtype: dtype, generator: &generator), Tanh(),
      Linear(inputSize: 16, outputSize: 4, dtype: dtype, generator: &generator))
  }

  static func optimizer(_ name: String, _ parameters: [Tensor]) -> Optimizer {
    name == "adam"
      ? Adam(parameters: parameters, learningRate: 0.01)
      : SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9)
  }

  /// The largest difference between two models' parameters, relative to the reference's largest magnitude.
  static func largestRelativeDifference(_ model: Module, _ reference: Module) -> Double {
    zip(model.parameters(), reference.parameters()).map { p, r in
      let a = p.scalars(as: Double.self)
      let b = r.scalars(as: Double.self)
      let scale = b.map(Swift.abs).max() ?? 1
      return zip(a, b).map { Swift.abs($0 - $1) }.max()! / scale
    }.max()!
  }

  /// `equivalence DTYPE OPTIMIZER BUCKET_BYTES [accumulate]`: 50 steps on 2 or 3 ranks, each with
  /// its share of every batch of 12, give the parameters of 50 steps on the whole batches in one
  /// process. With `accumulate`, each rank takes its share in two micro-batches, the first inside
  /// `noSync`.
  static func equivalence(_ group: ProcessGroup, _ arguments: [String]) throws {
    guard arguments.count >= 3, let capacity = Int(arguments[2]) else {
      fail(group, "usage: equivalence DTYPE OPTIMIZER BUCKET_BYTES [accumulate]")
    }
    let dtype: DType = arguments[0] == "float64" ? .float64 : .float32
    let accumulate = arguments.count > 3 && arguments[3] == "accumulate"
    let tolerance = dtype == .float64 ? 1e-12 : 1e-5
    let (x, labels) = data(dtype)
    let share = globalBatch / group.size
    expect(
      group, share * group.size == globalBatch, "the batch of \(globalBatch) does not split over \(group.size) ranks")

    let reference = model(dtype)
    let referenceOptimizer = optimizer(arguments[1], reference.parameters())
    let local = model(dtype)
    // Every rank but 0 starts elsewhere: the wrapper must copy rank 0's parameters.
    if group.rank != 0 { withNoGrad { for p in local.parameters() { p.fill(Double(group.rank)) } } }
    let parallel = try DistributedDataParallel(local, group: group, bucketCapacity: capacity)
    let localOptimizer = optimizer(arguments[1], local.parameters())

    for step in 0..<steps {
      let start = (step % (examples / globalBatch)) * globalBatch
      referenceOptimizer.zeroGrad()
      crossEntropy(reference(x[start..<(start + globalBatch)]), labels[start..<(start + globalBatch)]).backward()
      referenceOptimizer.step()

      localOptimizer.zeroGrad()
      let mine = start + group.rank * share
      if accumulate {
        let half = share / 2
        parallel.noSync {
          (crossEntropy(parallel(x[mine..<(mine + half)]), labels[mine..<(mine + half)]) * 0.5).backward()
        }
        (crossEntropy(parallel(x[(mine + half)..<(mine + share)]), labels[(mine + half)..<(mine + share)]) * 0.5)
          .backward()
      } else {
        crossEntropy(parallel(x[mine..<(mine + share)]), labels[mine..<(mine + share)]).backward()
      }
      localOptimizer.step()
    }
    let difference = largestRelativeDifference(local, reference)
    print("rank \(group.rank): \(parallel.bucketCount) buckets, largest relative difference \(difference)")
    expect(
      group, difference <= tolerance, "parameters differ from one process's by \(difference), more than \(tolerance)")
  }

  /// A model with a branch that rank 1 skips on even steps.
  final class Branchy: Module {
    let trunk: Linear, extra: Linear
    init(_ dtype: DType) {
      var generator = RandomGenerator(seed: 5)
      trunk = Linear(inputSize: 6, outputSize: 4, dtype: dtype, generator: &generator)
      extra = Linear(inputSize: 6, outputSize: 4, dtype: dtype, generator: &generator)
    }
    func callAsFunction(_ x: Tensor, usingExtra: Bool) -> Tensor { usingExtra ? trunk(x) + extra(x) : trunk(x) }
  }

  static func usesExtra(rank: Int, step: Int) -> Bool { !(rank == 1 && step % 2 == 0) }

  /// `unused`: with `findUnusedParameters`, a branch that one rank skips counts as zero there;
  /// the result equals one process's gradient of the ranks' mean loss. `unused-rejected`: without
  /// it, the skipping rank stops with the parameter's name.
  static func unused(_ group: ProcessGroup, _ arguments: [String]) throws {
    let allowed = arguments.first != "rejected"
    let (x, labels) = data(.float64)
    let share = globalBatch / group.size
    let reference = Branchy(.float64)
    let local = Branchy(.float64)
    let referenceOptimizer = SGD(parameters: reference.parameters(), learningRate: 0.1)
    let parallel = try DistributedDataParallel(local, group: group, findUnusedParameters: allowed)
    let localOptimizer = SGD(parameters: local.parameters(), learningRate: 0.1)
    for step in 0..<10 {
      let start = (step % (examples / globalBatch)) * globalBatch
      referenceOptimizer.zeroGrad()
      let losses = (0..<group.size).map { rank in
        let mine = start + rank * share
        return crossEntropy(
          reference(x[mine..<(mine + share)], usingExtra: usesExtra(rank: rank, step: step)),
          labels[mine..<(mine + share)])
      }
      (losses.dropFirst().reduce(losses[0], +) / Double(group.size)).backward()
      referenceOptimizer.step()

      localOptimizer.zeroGrad()
      let mine = start + group.rank * share
      crossEntropy(
        parallel.module(x[mine..<(mine + share)], usingExtra: usesExtra(rank: group.rank, step: step)),
        labels[mine..<(mine + share)]
      ).backward()
      localOptimizer.step()
    }
    let difference = largestRelativeDifference(local, reference)
    print("rank \(group.rank): largest relative difference \(difference)")
    expect(group, difference <= 1e-12, "parameters differ from one process's by \(difference)")
  }

  /// `kill`: ranks train; rank 1 kills itself with SIGKILL at step 5. The job must end, not hang.
  static func kill(_ group: ProcessGroup, _ arguments: [String]) throws {
    let (x, labels) = data(.float32)
    let parallel = try DistributedDataParallel(model(.float32), group: group)
    let optimizer = SGD(parameters: parallel.module.parameters(), learningRate: 0.1)
    for step in 0..<1_000_000 {
      if step == 5 && group.rank == 1 { Foundation.kill(getpid(), SIGKILL) }
      optimizer.zeroGrad()
      crossEntropy(parallel(x[0..<12]), labels[0..<12]).backward()
      optimizer.step()
    }
  }
}
