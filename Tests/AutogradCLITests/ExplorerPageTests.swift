import Foundation
import TestSupport
import Testing

/// The page of `autograd graph --html`, loaded in headless Chromium as a learner opens it from
/// disk: the DOM after its script ran, at a given step (`#step=N`) and with a box's details open
/// (`&node=K`).
///
/// Without Chromium on the PATH these tests print a notice and check nothing, unless
/// `AUTOGRAD_REQUIRE_CHROMIUM=1` (as in CI, which installs Debian's `chromium`), where they fail.
@Suite("The back-propagation explorer in a browser") struct ExplorerPageTests {
  static let chromium = ChildProcess.onPath("chromium") ?? ChildProcess.onPath("chromium-browser")
  static let isRequired = ProcessInfo.processInfo.environment["AUTOGRAD_REQUIRE_CHROMIUM"] == "1"

  /// Writes the page for `arguments` (after `graph --html PAGE`) and returns its DOM at `fragment`,
  /// or `nil` (with a notice) when Chromium is absent and not required.
  func dom(_ arguments: [String], fragment: String) throws -> String? {
    guard let (chromium, tool) = try browserAndTool() else { return nil }
    let page = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID()).html")
    defer { try? FileManager.default.removeItem(at: page) }
    let written = try ChildProcess.run(tool, ["graph", "--html", page.path] + arguments)
    #expect(written.status == 0, "\(written.output)")
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-chromium-\(UUID())")
    defer { try? FileManager.default.removeItem(at: profile) }
    let browser = try ChildProcess.run(
      chromium,
      [
        "--headless", "--disable-gpu", "--no-sandbox", "--user-data-dir=\(profile.path)", "--dump-dom",
        page.absoluteString + fragment,
      ], timeout: 120)
    #expect(browser.status == 0)
    return browser.output
  }

  /// A PNG of the page for `arguments` at `fragment`, as a learner's window shows it, or `nil`
  /// (with a notice) when Chromium is absent and not required.
  func screenshot(_ arguments: [String], fragment: String) throws -> Data? {
    guard let (chromium, tool) = try browserAndTool() else { return nil }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-shot-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let (page, png) = (folder.appendingPathComponent("page.html"), folder.appendingPathComponent("step.png"))
    #expect(try ChildProcess.run(tool, ["graph", "--html", page.path] + arguments).status == 0)
    let browser = try ChildProcess.run(
      chromium,
      [
        "--headless", "--disable-gpu", "--no-sandbox",
        "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
        "--hide-scrollbars", "--window-size=1400,900", "--screenshot=\(png.path)", page.absoluteString + fragment,
      ], timeout: 120)
    #expect(browser.status == 0, "\(browser.output)")
    return try Data(contentsOf: png)
  }

  /// Chromium and the built `autograd`, or `nil` (with a notice) when Chromium is absent and not
  /// required.
  func browserAndTool() throws -> (chromium: URL, tool: URL)? {
    guard let chromium = Self.chromium else {
      #expect(!Self.isRequired, "AUTOGRAD_REQUIRE_CHROMIUM=1 but chromium is not installed")
      print("notice: chromium is not installed, so the explorer page is not checked in a browser")
      return nil
    }
    guard let tool = ChildProcess.builtProgram("autograd") else { throw ChildProcess.Failure.missing("autograd") }
    return (chromium, tool)
  }

  /// The text of the element with `id` in `dom` (its first line of markup).
  func element(_ id: String, in dom: String) -> String {
    guard let start = dom.range(of: "id=\"\(id)\"") else { return "" }
    return String(dom[start.upperBound...].prefix(600))
  }

  @Test func theLecturesGraphStepsForwardThenBackInTheEnginesOrder() throws {
    guard let first = try dom([], fragment: "#step=0") else { return }
    #expect(element("narration", in: first).contains(">y = 2.0   (input)</pre>"), "\(element("narration", in: first))")
    let backward = try #require(try dom([], fragment: "#step=9&node=2"))
    let narration = element("narration", in: backward)
    #expect(narration.contains("y_hat = x * w   [MulBackward]") && narration.contains("sends -2.0 × 1.0 = -2.0"))
    // The box clicked (w) shows its full value and gradient; w has received its gradient by now.
    #expect(element("details", in: backward).contains("<div>w  (parameter)</div>"))
    #expect(element("details", in: backward).contains("<pre>-2</pre>"))
    #expect(
      backward.contains("class=\"node computed graded\" id=\"n2\"")
        || backward.contains("id=\"n2\" class=\"node computed graded"))
    let last = try #require(try dom([], fragment: "#step=10"))
    #expect(element("narration", in: last).contains("d(loss)/d(w) = -2.0"))
  }

  @Test func aScreenshotOfAStepIsAPicture() throws {
    guard let png = try screenshot([], fragment: "#step=9&node=2") else { return }
    // A PNG of the window, 1400 x 900 (its IHDR chunk), with the page drawn in it.
    #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    let header = png.dropFirst(16).prefix(8).map { UInt32($0) }
    #expect(header[0] << 24 | header[1] << 16 | header[2] << 8 | header[3] == 1400)
    #expect(header[4] << 24 | header[5] << 16 | header[6] << 8 | header[7] == 900)
    #expect(png.count > 20_000, "\(png.count) bytes: a blank page compresses to a few")
  }

  @Test func whereTwoPathsMeetThePageShowsTheSum() throws {
    // c = b · b reads b twice: its two shares, 6 and 6, add up to b's gradient.
    guard let page = try dom(["--expr", "b = a * 2; c = b * b", "--set", "a=3"], fragment: "#step=4") else { return }
    #expect(
      element("narration", in: page).contains("b now holds 6.0 + 6.0 = 12.0, its whole gradient"),
      "\(element("narration", in: page))")
  }

  @Test func aModelsPageExpandsItsCompositeOpsIntoEveryOp() throws {
    guard let (_, tool) = try browserAndTool() else { return }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-explorer-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = folder.appendingPathComponent("cnn.safetensors").path
    #expect(try ChildProcess.run(tool, ["train", "--model", "cnn", "--epochs", "1", "--save", model]).status == 0)
    // The calls: 26 boxes, so step 26 starts backward and step 27 is the loss's own rule.
    let calls = try #require(try dom(["--checkpoint", model], fragment: "#step=27"))
    #expect(element("narration", in: calls).contains("[CrossEntropyBackward]"), "\(element("narration", in: calls))")
    #expect(element("toggle", in: calls).contains(">every op</button>"))
    #expect(calls.contains("<section id=\"picture-every\" class=\"picture\" hidden"))
    // Every op: the cross-entropy is the ops it recorded. 34 boxes (a linear layer is one op,
    // addmm), so step 35 is the first rule: the division that ends the cross-entropy's mean.
    let everyOp = try #require(try dom(["--checkpoint", model], fragment: "#view=every&step=35"))
    let narration = element("narration", in: everyOp)
    #expect(!narration.contains("CrossEntropy") && narration.contains("[DivBackward]"), "\(narration)")
    #expect(element("toggle", in: everyOp).contains(">calls</button>"))
    #expect(everyOp.contains("<section id=\"picture\" class=\"picture\" hidden"))
    // The op being stepped through is highlighted in the expanded picture.
    #expect(everyOp.contains(/class="node[^"]* active[^"]*" id="xn\d+"/), "\(everyOp.prefix(3000))")
  }
}
