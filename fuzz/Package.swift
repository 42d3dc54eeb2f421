// swift-tools-version:6.0
// Coverage-guided fuzz targets (libFuzzer), kept out of the product package: `swift build` and
// `swift test` at the root never see them. Build and run them with ./run.sh (see the README's
// "Fuzzing and sanitizers"). Each executable target defines LLVMFuzzerTestOneInput and hands it to
// libFuzzer's driver from its main.swift (FuzzSupport/Driver.swift says why); built with
// -sanitize=fuzzer,address for coverage feedback and AddressSanitizer.
import PackageDescription

let core = Target.Dependency.product(name: "NightjarCore", package: "nightjar-root")
let io = Target.Dependency.product(name: "NightjarIO", package: "nightjar-root")
let jobs = Target.Dependency.product(name: "NightjarJobs", package: "nightjar-root")

let package = Package(
    name: "NightjarFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "nightjar-root", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [core]),
        .executableTarget(name: "fuzz-csv", dependencies: [core, io, "FuzzSupport"]),
        .executableTarget(name: "fuzz-xgboost", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-lightgbm", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-onnx", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-job", dependencies: [jobs, "FuzzSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
