/// Traps unless `condition` holds: the check for a programmer error (shapes that do not fit, a graph
/// already freed, a dtype an op does not take), with a message that names the op the user called
/// and the values at fault, `matmul: inner dimensions differ, [2, 3] vs [4, 5]`.
///
/// Why not `precondition`: Swift drops its message under `-O`, so a user of a release build would
/// read only "precondition failure". `fatalError` keeps its message in every configuration except
/// `-Ounchecked`. Internal invariants that no caller can break may still use `precondition`.
@inline(__always)
package func trapUnless(
  _ condition: Bool, _ message: @autoclosure () -> String,
  file: StaticString = #fileID, line: UInt = #line
) {
  if !condition { trap(message(), file: file, line: line) }
}

/// Traps with `message` in every build configuration; see `trapUnless(_:_:file:line:)`.
package func trap(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
  fatalError(message, file: file, line: line)
}
