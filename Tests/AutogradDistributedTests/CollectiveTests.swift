import Testing

/// Each scenario runs in `DistributedTestWorker` under mpirun, over shared memory and over TCP.
@Suite(
  "Collectives across processes", .enabled(if: MPIJob.shouldRun, "needs mpirun (apt-get install openmpi-bin)"),
  .serialized)
struct CollectiveTests {
  @Test(arguments: MPIJob.Transport.allCases, [2, 3])
  func everyCollectiveOnEveryDType(transport: MPIJob.Transport, ranks: Int) throws {
    let outcome = try MPIJob.run("collectives", ranks: ranks, transport: transport)
    #expect(outcome.status == 0, "\(outcome.output)")
    for rank in 0..<ranks { #expect(outcome.output.contains("rank \(rank) of \(ranks): collectives passed")) }
  }

  @Test(arguments: MPIJob.Transport.allCases)
  func differentShapesAreAnErrorNamingBoth(transport: MPIJob.Transport) throws {
    let outcome = try MPIJob.run("mismatch", ranks: 2, transport: transport)
    #expect(outcome.status == 0, "\(outcome.output)")
    #expect(outcome.output.contains("rank 0: allReduce of float32 [2, 3]; rank 1: allReduce of float32 [3, 2]"))
  }

  @Test func aFailureOnOneRankStopsEveryRankWithItsReason() throws {
    let outcome = try MPIJob.run("agree", ranks: 3)
    #expect(outcome.status == 0, "\(outcome.output)")
    #expect(outcome.output.components(separatedBy: "agree passed").count == 4)
  }
}
