import Foundation

/// The files that ship with the examples (the digits data, the tutorials' starting values), in the
/// resource bundle SwiftPM builds beside the executable (or beside the test bundle).
///
/// Looked up by hand rather than through `Bundle.module`, whose accessor stops the process when
/// the bundle is missing: an `autograd` binary copied elsewhere has none.
enum ExampleResources {
  private static let bundle = "swift-autograd_AutogradExamples"

  /// The folder of the running executable, where SwiftPM puts the bundle.
  static var executableFolder: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
  }

  /// Where the resource `path` (relative to `Resources/`) would be beside the executable, for messages.
  static func expectedURL(_ path: String) -> URL {
    executableFolder.appendingPathComponent("\(bundle).resources/\(path)")
  }

  /// The resource `path` (relative to `Resources/`), or `nil` when no bundle beside the executable has it.
  static func url(_ path: String) -> URL? {
    func found(in directories: [URL]) -> URL? {
      directories.lazy.flatMap { directory in
        ["\(bundle).resources/\(path)", "\(bundle).bundle/Contents/Resources/\(path)", "\(bundle).bundle/\(path)"]
          .map { directory.appendingPathComponent($0) }
      }
      .first { FileManager.default.fileExists(atPath: $0.path) }
    }
    if let url = found(in: [executableFolder, Bundle.main.bundleURL.deletingLastPathComponent()]) { return url }
    #if os(macOS)
      // Last, beside any loaded bundle (a test bundle under Xcode's runner). Not on Linux, where
      // Foundation leaks the list it builds (LeakSanitizer reports it) and SwiftPM's layout puts
      // the data beside the executable.
      if let url = found(in: Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }) { return url }
    #endif
    return nil
  }
}
