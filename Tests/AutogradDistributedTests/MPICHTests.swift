import Testing

/// The same scenarios under MPICH, whose ABI differs from Open MPI's, where Debian's `mpich` is
/// installed beside Open MPI. MPICH support is a convenience, so without it these are skipped
/// (CI installs Open MPI only).
@Suite(
  "MPICH", .enabled(if: MPIJob.mpiexecMPICH != nil, "needs MPICH's mpiexec.mpich (apt-get install mpich)"), .serialized)
struct MPICHTests {
  @Test(arguments: ["collectives", "mismatch", "agree", "unused"])
  func scenarioPassesUnderMPICH(scenario: String) throws {
    let outcome = try MPIJob.run(scenario, ranks: 2, mpich: true)
    #expect(outcome.status == 0, "\(outcome.output)")
    #expect(outcome.output.components(separatedBy: "\(scenario) passed").count == 3, "\(outcome.output)")
  }

  @Test func trainingEqualsOneProcessUnderMPICH() throws {
    let outcome = try MPIJob.run("equivalence", ranks: 3, arguments: ["float32", "adam", "600"], mpich: true)
    #expect(outcome.status == 0, "\(outcome.output)")
  }
}
