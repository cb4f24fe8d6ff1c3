import AutogradExamples
import Testing

@testable import AutogradCLI

@Suite("Progress bar") struct ProgressBarTests {
  let progress = DigitsClassifier.BatchProgress(
    epoch: 12, samplesDone: 1024, samplesTotal: 1437, runningLoss: 0.123456, seconds: 0.25)

  /// A line as wide as the terminal wraps, and each redraw leaves a stale line behind.
  @Test(arguments: [200, 120, 80, 60, 50, 40, 30, 20, 10])
  func theLineIsNarrowerThanTheTerminal(columns: Int) {
    let line = ProgressBar.line(progress, total: 30, columns: columns)
    #expect(line.count < columns, "\(line.count) columns: \(line)")
    if columns >= 30 { #expect(line.contains("epoch 12/30") && line.contains("loss 0.1235"), "\(line)") }
  }

  @Test func wideTerminalsGetEveryField() {
    let line = ProgressBar.line(progress, total: 30, columns: 120)
    for field in ["epoch 12/30 [", "1024/1437", "items/s", "s left", "loss 0.1235"] {
      #expect(line.contains(field), "\(line)")
    }
    #expect(ProgressBar.line(progress, total: 30, columns: 80).contains("1024/1437"))
  }
}
