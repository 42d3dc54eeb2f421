import FuzzSupport

/// Model loading and scoring on arbitrary bytes, seeded with XGBoost JSON models (corpus/xgboost/).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXGBoost(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ModelFuzz.run(data, size, path: "fuzz.json")
}
