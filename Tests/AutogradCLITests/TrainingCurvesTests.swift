import Foundation
import Testing

@testable import AutogradCLI

#if canImport(FoundationXML)
  import FoundationXML
#endif

@Suite("Training curves chart") struct TrainingCurvesTests {
  @Test func theChartIsWellFormedWithBothSeriesAxesAndLegend() throws {
    let svg = trainingCurvesSVG(losses: [2.3, 0.5, 0.2], accuracies: [0.5, 0.9, 0.97], title: "T & <test>")
    let document = try XMLDocumentCheck(svg)
    #expect(document.count(of: "polyline") == 2)
    #expect(document.count(of: "circle") == 6)
    #expect(
      svg.contains(">training loss</text>") && svg.contains(">test accuracy</text>") && svg.contains(">epoch</text>"))
    #expect(svg.contains(">100%</text>") && svg.contains("T &amp; &lt;test&gt;"))
  }
}

/// Parses XML with Foundation, counting elements by name; throws on malformed XML.
struct XMLDocumentCheck {
  private final class Counter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
      attributes: [String: String] = [:]
    ) { counts[name, default: 0] += 1 }
  }
  private let counter = Counter()
  init(_ text: String) throws {
    let parser = XMLParser(data: Data(text.utf8))
    parser.delegate = counter
    guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
  }
  func count(of element: String) -> Int { counter.counts[element, default: 0] }
}
