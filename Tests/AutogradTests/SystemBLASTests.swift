import Foundation
import Testing

@testable import Autograd

/// The opt-in system BLAS. Each check runs in a child process (an exit test): the backend is
/// process-wide, and flipping it here would change the products of tests running beside these.
@Suite("System BLAS backend") struct SystemBLASTests {
  @Test func aLibraryThatCannotBeLoadedIsReportedAndChangesNothing() async {
    await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
      do {
        try SystemBLAS.enable(library: "libno-such-blas.so.9")
        print("enabled a library that does not exist")
      } catch {
        print("\(error)")
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        guard !SystemBLAS.isEnabled, a.matmul(a).scalars(as: Float.self) == [7, 10, 15, 22] else { exit(1) }
      }
    }.map { result in
      let output = String(decoding: result.standardOutputContent, as: UTF8.self)
      #expect(output.contains("cannot use libno-such-blas.so.9 as the BLAS"))
    }
  }

  /// With the default library (OpenBLAS or Accelerate), every layout agrees with the built-in
  /// kernel; on a machine without it, enabling must fail with the library's name and leave the
  /// built-in kernel in place. The child prints which case it checked.
  @Test func productsOnTheSystemBLASMatchTheBuiltInKernel() async {
    await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
      var g = RandomGenerator(seed: 4)
      let a = Tensor.randn([70, 300], generator: &g)
      let b = Tensor.randn([300, 45], generator: &g)
      // Plain, transposed (BLAS reads them as they are) and broadcast-strided (left to our kernel).
      let cases: [(Tensor, Tensor)] = [
        (a, b), (a.transposed().contiguous().transposed(), b.transposed().contiguous().transposed()),
        (a[0..<1], b), (a, b[0..., 0..<1]), (Tensor.ones([1, 300]).expanded(to: [5, 300]), b),
      ]
      let builtIn = cases.map { $0.0.matmul($0.1).scalars(as: Float.self) }
      do {
        try SystemBLAS.enable()
      } catch {
        print("no system BLAS: \(error)")
        exit(SystemBLAS.isEnabled || !"\(error)".contains(SystemBLAS.defaultLibrary) ? 1 : 0)
      }
      guard SystemBLAS.isEnabled else { exit(1) }
      for ((lhs, rhs), expected) in zip(cases, builtIn) {
        let got = lhs.matmul(rhs).scalars(as: Float.self)
        guard got.count == expected.count,
          zip(got, expected).allSatisfy({ Swift.abs($0 - $1) <= 1e-3 * Swift.max(1, Swift.abs($1)) })
        else { exit(1) }
      }
      SystemBLAS.disable()
      guard !SystemBLAS.isEnabled, a.matmul(b).scalars(as: Float.self) == builtIn[0] else { exit(1) }
      print("checked \(cases.count) layouts against \(SystemBLAS.defaultLibrary)")
    }.map { result in
      let output = String(decoding: result.standardOutputContent, as: UTF8.self)
      #expect(output.contains("checked 5 layouts") || output.contains("no system BLAS: cannot use"), "\(output)")
    }
  }
}
