import Foundation

/// The process's resident memory right now, to show that training does not grow it step by step.
enum ResidentMemory {
  /// Megabytes resident: from /proc on Linux; elsewhere the peak so far (getrusage), which also
  /// shows growth, only less precisely.
  static func megabytes() -> Double {
    #if os(Linux)
      if let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
        let fields = text.split(separator: " ")
        if fields.count > 1, let pages = Double(fields[1]) { return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1e6 }
      }
    #endif
    return peakMegabytes()
  }

  /// The most megabytes resident at any time so far (getrusage's high-water mark).
  static func peakMegabytes() -> Double {
    var usage = rusage()
    // ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    #if os(Linux)
      getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
      return Double(usage.ru_maxrss) / 1e3
    #else
      getrusage(RUSAGE_SELF, &usage)
      return Double(usage.ru_maxrss) / 1e6
    #endif
  }
}
