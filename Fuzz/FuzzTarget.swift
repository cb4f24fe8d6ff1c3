// A libFuzzer target for one of the file formats the library reads. `Fuzz/run.sh` compiles it once
// per format, with -D FORMAT_NPY, FORMAT_SAFETENSORS, FORMAT_CSV or FORMAT_IDX, against the
// library built with -sanitize=fuzzer,address. libFuzzer's own main calls the function below
// with each input; a crash, a trap or an AddressSanitizer report is a finding, a thrown error is not.
import Autograd
import AutogradNN

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  #if FORMAT_NPY
    if let tensor = try? NumpyFormat.decode(bytes) { touch(tensor) }
  #elseif FORMAT_SAFETENSORS
    if let (tensors, _) = try? Safetensors.decode(bytes) {
      for (_, tensor) in tensors { touch(tensor) }
    }
  #elseif FORMAT_CSV
    if let tensor = try? parseNumericCSV(String(decoding: bytes, as: UTF8.self)) { touch(tensor) }
  #elseif FORMAT_IDX
    if let tensor = try? IDXFormat.decode(bytes) { touch(tensor) }
  #else
    #error("compile with -D FORMAT_NPY, FORMAT_SAFETENSORS, FORMAT_CSV or FORMAT_IDX")
  #endif
  return 0
}

/// Reads every element and prints nothing: what a user does next must not crash either.
private func touch(_ tensor: Tensor) {
  precondition(tensor.shape.reduce(1, *) == tensor.count)
  _ = tensor.contiguous().scalars(as: Double.self)
  _ = tensor.description
}
