import Autograd
import AutogradNN
import Foundation

/// PyTorch's tutorial series "Learning PyTorch with Examples", which the lecture's two-layer
/// network belongs to, ported program for program: each fits y = sin(x) on 2000 points of
/// [-π, π] with a cubic, first by hand and then with each of the library's tools.
///
/// Each program lives in a file of its own (`Tutorials/`), written to be read beside the PyTorch
/// program, whose lines it quotes in comments. The programs start from the random values PyTorch
/// drew (shipped as .npy files) and print what PyTorch printed: the loss every 100 steps (every
/// 2000 for `dynamicNet`) and a `Result:` line. `autograd tutorial NAME` runs one.
public enum Tutorial: String, CaseIterable, Sendable {
  /// Tensors only: the gradients are written by hand.
  case polynomialTensor = "polynomial_tensor"
  /// The same with `requiresGrad`, `backward()`, updates under `withNoGrad` and `grad = nil`.
  case polynomialAutograd = "polynomial_autograd"
  /// A function with a backward rule of its own (`customFunction`): y = a + b P3(c + d x).
  case polynomialCustomFunction = "polynomial_custom_function"
  /// `Sequential(Linear(3, 1), Flatten(0, 1))` on x, x², x³ with a summed squared error.
  case polynomialNN = "polynomial_nn"
  /// The same model trained by `RMSprop`.
  case polynomialOptim = "polynomial_optim"
  /// A module of its own with four scalar parameters, trained by `SGD`.
  case polynomialModule = "polynomial_module"
  /// Control flow and weight sharing: a fresh graph each step, with 0 to 2 extra terms that reuse
  /// one parameter.
  case dynamicNet = "dynamic_net"

  /// One line on what the program shows.
  public var summary: String {
    switch self {
    case .polynomialTensor: "tensors only, gradients written by hand"
    case .polynomialAutograd: "requiresGrad, backward(), updates under withNoGrad"
    case .polynomialCustomFunction: "a function with its own backward rule (Legendre P3)"
    case .polynomialNN: "Sequential(Linear(3, 1), Flatten(0, 1)) and MSELoss(sum), updated by hand"
    case .polynomialOptim: "the same model trained by RMSprop"
    case .polynomialModule: "a Module subclass with four scalar parameters, trained by SGD"
    case .dynamicNet: "control flow and weight sharing, SGD with momentum, 30000 steps"
    }
  }

  /// Runs the program, handing each line it prints to `print`.
  /// - Throws: `DataFileError` when the starting values that ship with the examples are missing.
  public func run(printing print: (String) -> Void) throws {
    switch self {
    case .polynomialTensor: try Self.polynomialTensor(print)
    case .polynomialAutograd: try Self.polynomialAutograd(print)
    case .polynomialCustomFunction: Self.polynomialCustomFunction(print)
    case .polynomialNN: try Self.polynomialNN(print)
    case .polynomialOptim: try Self.polynomialOptim(print)
    case .polynomialModule: try Self.polynomialModule(print)
    case .dynamicNet: try Self.dynamicNet(print)
    }
  }

  /// The data every program of the series fits: `x = torch.linspace(-math.pi, math.pi, 2000)`,
  /// `y = torch.sin(x)`, in float32.
  static func sineData() -> (x: Tensor, y: Tensor) {
    let x = Tensor.linspace(-.pi, .pi, 2000)
    return (x, x.sin())
  }

  /// The random starting values PyTorch drew for this program (`torch.manual_seed(0)`), which
  /// ship as `Resources/Tutorials/PROGRAM/NAME.npy`.
  func start(_ name: String) throws -> Tensor {
    let path = "Tutorials/\(rawValue)/\(name).npy"
    guard let url = ExampleResources.url(path) else {
      throw DataFileError(
        path: ExampleResources.expectedURL(path).path, location: "",
        reason: "the tutorial's starting values, which ship with the tool, are not beside it")
    }
    do { return try Tensor.load(npy: url) } catch {
      throw DataFileError(path: url.path, location: "", reason: "\(error)")
    }
  }

  /// A number as Python prints a float (`repr(float(v))`), as the PyTorch programs print them.
  static func f(_ value: Tensor) -> String { pythonRepr(value.item()) }
}
