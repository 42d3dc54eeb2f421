import FuzzSupport

/// Model loading and scoring on arbitrary bytes, seeded with LightGBM text models (corpus/lightgbm/).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLightGBM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ModelFuzz.run(data, size, path: "fuzz.txt")
}
