import Foundation

/// Draws the training loss and the test accuracy per epoch as a self-contained SVG line chart:
/// loss on the left axis, accuracy (%) on the right, epochs below, with ticks, labels and a legend.
func trainingCurvesSVG(losses: [Double], accuracies: [Double], title: String = "Training") -> String {
  let (width, height) = (720.0, 420.0)
  let (left, right, top, bottom) = (70.0, 70.0, 66.0, 60.0)
  let plotWidth = width - left - right
  let plotHeight = height - top - bottom
  let epochs = Swift.max(losses.count, accuracies.count, 1)
  let lossMax = niceCeiling(losses.filter(\.isFinite).max() ?? 1)
  func x(_ epoch: Int) -> Double {
    left + (epochs == 1 ? plotWidth / 2 : Double(epoch - 1) / Double(epochs - 1) * plotWidth)
  }
  func yLoss(_ v: Double) -> Double { top + plotHeight * (1 - Swift.min(Swift.max(v / lossMax, 0), 1)) }
  func yAccuracy(_ v: Double) -> Double { top + plotHeight * (1 - Swift.min(Swift.max(v, 0), 1)) }
  func f(_ v: Double) -> String { String(format: "%.1f", v) }
  func escaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
      of: ">", with: "&gt;")
  }
  var svg = """
    <?xml version="1.0" encoding="UTF-8"?>
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))">
    <style>text { font-family: Helvetica, Arial, sans-serif; font-size: 12px; fill: #333; } .title { font-size: 16px; font-weight: bold; }</style>
    <rect width="100%" height="100%" fill="#ffffff"/>
    <text class="title" x="\(f(width / 2))" y="26" text-anchor="middle">\(escaped(title))</text>

    """
  // Grid and ticks: five steps on each axis.
  for i in 0...5 {
    let fraction = Double(i) / 5
    let y = top + plotHeight * (1 - fraction)
    svg +=
      "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#e5e5e5\"/>\n"
    svg +=
      "<text class=\"tick\" x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(String(format: "%.3g", lossMax * fraction))</text>\n"
    svg += "<text class=\"tick\" x=\"\(f(left + plotWidth + 8))\" y=\"\(f(y + 4))\">\(Int(fraction * 100))%</text>\n"
  }
  let step = Swift.max(1, Int((Double(epochs) / 10).rounded(.up)))
  for epoch in stride(from: 1, through: epochs, by: step) {
    svg +=
      "<line x1=\"\(f(x(epoch)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(x(epoch)))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"#333\"/>\n"
    svg +=
      "<text class=\"tick\" x=\"\(f(x(epoch)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(epoch)</text>\n"
  }
  svg +=
    "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
  svg +=
    "<text class=\"axis-label\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 18))\" text-anchor=\"middle\">epoch</text>\n"
  svg +=
    "<text class=\"axis-label\" transform=\"translate(18,\(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">training loss</text>\n"
  svg +=
    "<text class=\"axis-label\" transform=\"translate(\(f(width - 16)),\(f(top + plotHeight / 2))) rotate(90)\" text-anchor=\"middle\">test accuracy</text>\n"
  func series(_ values: [Double], _ y: (Double) -> Double, _ color: String, _ name: String) -> String {
    let points = values.enumerated().filter { $0.element.isFinite }.map { "\(f(x($0.offset + 1))),\(f(y($0.element)))" }
    var out =
      "<polyline class=\"series\" data-name=\"\(name)\" points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
    for point in points {
      let xy = point.split(separator: ",")
      out += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(color)\"/>\n"
    }
    return out
  }
  svg += series(losses, yLoss, "#d62728", "training loss")
  svg += series(accuracies, yAccuracy, "#1f77b4", "test accuracy")
  // Legend.
  svg += "<g class=\"legend\">"
  for (i, (name, color)) in [("training loss", "#d62728"), ("test accuracy", "#1f77b4")].enumerated() {
    // In its own band between the title and the plot, so it never covers a curve.
    let lx = width / 2 - 140 + Double(i) * 150
    svg += "<line x1=\"\(f(lx))\" y1=\"46\" x2=\"\(f(lx + 24))\" y2=\"46\" stroke=\"\(color)\" stroke-width=\"2\"/>"
    svg += "<text x=\"\(f(lx + 30))\" y=\"50\">\(name)</text>"
  }
  return svg + "</g>\n</svg>\n"
}

/// 1, 2 or 5 times a power of ten, at or above `v`: a round top for an axis.
private func niceCeiling(_ v: Double) -> Double {
  guard v > 0 else { return 1 }
  let power = Foundation.pow(10, Foundation.floor(Foundation.log10(v)))
  for m in [1.0, 2, 5, 10] where m * power >= v { return m * power }
  return 10 * power
}
