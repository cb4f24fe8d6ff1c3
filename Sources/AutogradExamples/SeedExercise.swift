import Autograd

/// The lecture's exercise: fit `y = x * w` to three points by per-sample gradient descent, with
/// the gradient found by `backward()`. A line-for-line port of the lecture's PyTorch program.
public enum SeedExercise {
  /// Runs the program and passes each line it prints, without the newline, to `emit`: the lines
  /// equal the PyTorch program's output byte for byte.
  ///
  /// - Returns: The trained weight.
  @discardableResult
  public static func run(epochs: Int = 100, emit: (String) -> Void) -> Double {
    let xData: [Double] = [1, 2, 3]
    let yData: [Double] = [2, 4, 6]
    let w = Tensor([1.0], requiresGrad: true)

    func model(_ x: Double) -> Tensor { x * w }
    func loss(_ yPred: Tensor, _ y: Double) -> Tensor { (y - yPred) * (y - yPred) }

    for epoch in 0..<epochs {
      var l = Tensor(0)
      for (xValue, yValue) in zip(xData, yData) {
        let yPred = model(xValue)
        l = loss(yPred, yValue)
        l.backward()
        let grad = w.grad!.item()
        emit("\tgrad: \(pythonRepr(xValue)) \(pythonRepr(yValue)) \(pythonRepr(grad))")
        // As the lecture: 0.01 * grad is a Double, rounded to float32 for the subtraction.
        w.data = w.data - 0.01 * grad
        w.grad!.data.zero()
      }
      emit("Epoch : \(epoch) | Loss : \(pythonRepr(l.item()))")
    }
    emit("[*]predict (after training) 4 \(pythonRepr(model(4).item()))")
    return w.item()
  }
}
