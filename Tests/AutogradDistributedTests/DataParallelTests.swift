import Testing

/// `DistributedDataParallel` on 2 and 3 ranks against the same training in one process (each
/// worker trains both and compares), plus the ways a job must fail.
@Suite(
  "Data-parallel training across processes",
  .enabled(if: MPIJob.shouldRun, "needs mpirun (apt-get install openmpi-bin)"),
  .serialized)
struct DataParallelTests {
  /// Bucket sizes: one bucket for the whole model (25 MiB), one per parameter (200 bytes), and a
  /// mix (600 bytes: the last layer together, the first weight alone).
  @Test(arguments: [
    ("float32", "sgd", 25 << 20), ("float32", "adam", 600), ("float64", "sgd", 200), ("float64", "adam", 25 << 20),
  ])
  func fiftyStepsEqualOneProcessWithTheWholeBatch(dtype: String, optimizer: String, bucketBytes: Int) throws {
    for transport in MPIJob.Transport.allCases {
      for ranks in [2, 3] {
        let outcome = try MPIJob.run(
          "equivalence", ranks: ranks, transport: transport, arguments: [dtype, optimizer, "\(bucketBytes)"])
        #expect(outcome.status == 0, "\(ranks) ranks over \(transport): \(outcome.output)")
        #expect(outcome.output.components(separatedBy: "equivalence passed").count == ranks + 1)
      }
    }
  }

  @Test func gradientsAccumulatedUnderNoSyncAreAveragedOnce() throws {
    let outcome = try MPIJob.run("equivalence", ranks: 2, arguments: ["float64", "sgd", "600", "accumulate"])
    #expect(outcome.status == 0, "\(outcome.output)")
  }

  @Test func aBranchOneRankSkipsCountsAsZeroThere() throws {
    let outcome = try MPIJob.run("unused", ranks: 2)
    #expect(outcome.status == 0, "\(outcome.output)")
  }

  @Test func withoutFindUnusedParametersASkippedBranchIsATrapNamingIt() throws {
    let outcome = try MPIJob.run("unused", ranks: 2, arguments: ["rejected"])
    #expect(outcome.status != 0)
    #expect(
      outcome.output.contains("DistributedDataParallel: parameter 'extra.weight' got no gradient in this backward pass")
    )
  }

  @Test(arguments: MPIJob.Transport.allCases)
  func aKilledRankEndsTheJobWithAMessage(transport: MPIJob.Transport) throws {
    let outcome = try MPIJob.run("kill", ranks: 2, transport: transport, timeout: 60)
    #expect(outcome.status != 0)
    #expect(outcome.seconds < 30, "the job took \(outcome.seconds) s to end")
    #expect(outcome.output.contains("exited on signal 9"), "\(outcome.output)")
  }
}
