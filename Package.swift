// swift-tools-version:6.0
import Foundation
import PackageDescription

// The CPU the compute kernels (NightjarCore) are compiled for, on x86-64. Swift has no per-function
// target attributes or runtime multiversioning, so the level is chosen at build time:
//   NIGHTJAR_TARGET_CPU=haswell         the default: AVX2 + FMA (Intel 2013+, every AMD Zen)
//   NIGHTJAR_TARGET_CPU=skylake-avx512  AVX-512 (Intel Skylake-SP+, AMD Zen 4+)
//   NIGHTJAR_TARGET_CPU=native          the better of the two that this build machine has
//   NIGHTJAR_TARGET_CPU=portable        baseline x86-64 (SSE2), for older CPUs
// Measured (nightjar bench --contributions --threads 1, one AMD EPYC): exact contributions 1.24x to
// 1.32x faster with haswell than baseline, up to 1.45x with AVX-512; plain scoring unchanged. A binary
// started on a CPU without what it was built for stops with one line saying so (CNightjarShims).
let targetCPU: String? = {
    #if arch(x86_64)
    let requested = ProcessInfo.processInfo.environment["NIGHTJAR_TARGET_CPU"] ?? "haswell"
    switch requested {
    case "haswell", "skylake-avx512": return requested
    case "portable", "x86-64", "": return nil
    case "native":
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma", "bmi2"]) { return "skylake-avx512" }
        if flags.isSuperset(of: ["avx2", "fma", "bmi2"]) { return "haswell" }
        return nil
    default:
        fatalError("NIGHTJAR_TARGET_CPU=\(requested): use haswell (the default), skylake-avx512, native or portable")
    }
    #else
    return nil
    #endif
}()
// NIGHTJAR_FMA: the level has fused multiply-add, which the kernels then use (without it, LLVM would
// call the C library's fma() lane by lane).
let kernelSettings: [SwiftSetting] = targetCPU.map { [.unsafeFlags(["-target-cpu", $0]), .define("NIGHTJAR_FMA")] } ?? []
// What the startup check in CNightjarShims requires of the CPU, and the level it names.
let cpuCheckSettings: [CSetting] = [
    .define("NIGHTJAR_TARGET_CPU", to: "\"\(targetCPU ?? "portable")\""),
] + (targetCPU != nil ? [.define("NIGHTJAR_NEEDS_AVX2")] : [])
    + (targetCPU == "skylake-avx512" ? [.define("NIGHTJAR_NEEDS_AVX512")] : [])

let package = Package(
    name: "Nightjar",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nightjar", targets: ["nightjar"]),
        .library(name: "NightjarCore", targets: ["NightjarCore"]),
        .library(name: "NightjarIO", targets: ["NightjarIO"]),
        .library(name: "NightjarJobs", targets: ["NightjarJobs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        // C libraries, wrapped as system library targets with a shim header.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .systemLibrary(
            name: "CLibpq",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // SHA-256 of model files and bundles: the system's libcrypto (OpenSSL), instead of compiling
        // BoringSSL through swift-crypto (clean release build 200 s → see the README's build note).
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),

        // What Swift cannot say: a cache prefetch hint for the linear kernel, byte masks of CSV
        // separators (header-only, inlined).
        // Also the startup check that the CPU has what the kernels were compiled for.
        .target(name: "CNightjarShims", cSettings: cpuCheckSettings),

        // Pure compute: batches, feature plans, forests, predictor kernels, model loaders.
        // SwiftProtobuf decodes ONNX files (the generated code is committed, see scripts/regenerate-onnx.sh).
        .target(
            name: "NightjarCore",
            dependencies: ["CNightjarShims", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: kernelSettings
        ),
        // I/O: CSV (plain and LZ4), SQLite.
        .target(
            name: "NightjarIO",
            dependencies: ["NightjarCore", "CNightjarShims", "CSQLite", "CLZ4", "CLibpq"]
        ),
        // Orchestration: scoring runs, summaries.
        .target(
            name: "NightjarJobs",
            dependencies: [
                "NightjarCore", "NightjarIO", "CCrypto", "CNightjarShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The CLI: parses arguments, calls NightjarJobs.
        .executableTarget(
            name: "nightjar",
            dependencies: [
                "NightjarJobs", "NightjarCore", "NightjarIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "NightjarCoreTests", dependencies: ["NightjarCore"]),
        .testTarget(name: "NightjarIOTests", dependencies: ["NightjarIO", "NightjarCore", "CSQLite"]),
        .testTarget(name: "NightjarJobsTests", dependencies: ["NightjarJobs", "NightjarIO", "NightjarCore", "CSQLite"]),
        .testTarget(name: "NightjarCLITests", dependencies: ["nightjar", "NightjarIO", "NightjarJobs", .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
