// swift-tools-version:6.0
import PackageDescription

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
        .target(name: "CNightjarShims"),

        // Pure compute: batches, feature plans, forests, predictor kernels, model loaders.
        // SwiftProtobuf decodes ONNX files (the generated code is committed, see scripts/regenerate-onnx.sh).
        .target(
            name: "NightjarCore",
            dependencies: ["CNightjarShims", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
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
