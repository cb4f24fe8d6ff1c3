// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "swift-autograd",
  // Atomic (the Synchronization module) needs macOS 15.
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Autograd", targets: ["Autograd"]),
    .library(name: "AutogradNN", targets: ["AutogradNN"]),
    .library(name: "AutogradDistributed", targets: ["AutogradDistributed"]),
    .library(name: "AutogradModels", targets: ["AutogradModels"]),
    .executable(name: "autograd", targets: ["AutogradCLI"]),
    .executable(name: "autograd-bench", targets: ["AutogradBench"]),
  ],
  dependencies: [
    // Command-line parsing for the `autograd` tool.
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // `Real`: elementary functions (exp, log, tanh, ...) generic over Float and Double.
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    // `OrderedDictionary`: a module's state keyed by name in the order PyTorch gives it.
    .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    // `swift package generate-documentation`: the DocC catalogs built into browsable docs (a plugin;
    // nothing of it is linked into the libraries).
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    // The innermost loops (GEMM, vectorized math, the Adam step) in C, so that AVX2/FMA code can be
    // chosen at run time without compiler flags; see ARCHITECTURE.md, "Kernels and compiler flags".
    // dlopen, for the opt-in system BLAS, lives in libdl on glibc before 2.34.
    .target(name: "CAutogradKernels", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
    .target(
      name: "Autograd",
      dependencies: [
        "CAutogradKernels",
        .product(name: "RealModule", package: "swift-numerics"),
      ]
    ),
    // Modules, layers, optimizers, data loading and checkpoints, built on the tensor library.
    .target(
      name: "AutogradNN",
      dependencies: ["Autograd", .product(name: "OrderedCollections", package: "swift-collections")]
    ),
    // MPI, loaded at run time with dlopen: the one C file that knows Open MPI's and MPICH's ABIs.
    .target(name: "CAutogradMPI", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
    // Training across processes and machines: process groups, data-parallel training, sharding.
    .target(name: "AutogradDistributed", dependencies: ["Autograd", "AutogradNN", "CAutogradMPI"]),
    // Pretrained models built from the layers: a BERT encoder that loads Hugging Face's files.
    .target(name: "AutogradModels", dependencies: ["Autograd", "AutogradNN"]),
    // The lecture's programs, as library code so that the CLI, tests and benchmarks share them.
    .target(
      name: "AutogradExamples",
      dependencies: ["Autograd", "AutogradNN", "AutogradDistributed"],
      resources: [
        .copy("Resources/digits.csv"), .copy("Resources/DIGITS-LICENSE.md"), .copy("Resources/Tutorials"),
      ]
    ),
    .executableTarget(
      name: "AutogradCLI",
      dependencies: [
        "Autograd", "AutogradNN", "AutogradDistributed", "AutogradExamples", "AutogradModels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // The benchmark workloads W1-W8 and D1-D3 (run in release; see BENCHMARKS.md).
    .executableTarget(
      name: "AutogradBench",
      dependencies: [
        "Autograd", "AutogradNN", "AutogradDistributed", "AutogradExamples", "AutogradModels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/AutogradBench"
    ),
    .testTarget(name: "AutogradTests", dependencies: ["Autograd"]),
    .testTarget(name: "AutogradNNTests", dependencies: ["AutogradNN", "Autograd"], exclude: ["Fixtures"]),
    // The programs the distributed tests start under mpirun, one rank each.
    .executableTarget(
      name: "DistributedTestWorker",
      dependencies: ["Autograd", "AutogradNN", "AutogradDistributed"],
      path: "Tests/DistributedTestWorker"
    ),
    // Running the package's programs from tests (finding them, time limits, their output).
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(
      name: "AutogradDistributedTests",
      dependencies: [
        "AutogradDistributed", "Autograd", "AutogradNN", "DistributedTestWorker", "AutogradCLI", "TestSupport",
      ]
    ),
    .testTarget(
      name: "AutogradCLITests", dependencies: ["AutogradCLI", "Autograd", "AutogradExamples", "TestSupport"]),
    .testTarget(
      name: "AutogradModelsTests", dependencies: ["AutogradModels", "AutogradNN", "Autograd"], exclude: ["Fixtures"]),
    .testTarget(
      name: "AutogradExamplesTests",
      dependencies: ["AutogradExamples", "Autograd"],
      exclude: ["Fixtures"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
