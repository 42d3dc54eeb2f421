import FuzzSupport

/// Model loading and scoring on arbitrary bytes, seeded with ONNX models (corpus/onnx/).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ModelFuzz.run(data, size, path: "fuzz.onnx")
}
