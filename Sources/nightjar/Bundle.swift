import ArgumentParser
import Foundation
import NightjarJobs

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Create and verify versioned model bundles.",
        subcommands: [Create.self, Verify.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a bundle REGISTRY/NAME/VERSION/ that proves it reproduces the training library's predictions.",
            discussion: """
                Re-scores the rows of --expected (the training library's own outputs, keyed) and refuses to create the
                bundle if Nightjar disagrees beyond the tolerance, printing the worst rows. The input contract and the
                reference statistics are derived from --train-sample.
                """)
        @Option(help: "The model file (XGBoost JSON, LightGBM text, ONNX).") var model: String
        @Option(help: "Model name in the registry.") var name: String
        @Option(help: "Version (a new directory; bundles are immutable).") var version: String
        @Option(help: "Registry directory.") var registry = "models"
        @Option(name: .customLong("train-sample"), help: "Training rows (CSV): input contract and reference statistics.") var trainSample: String
        @Option(help: "The training library's predictions (CSV, keyed).") var expected: String
        @Option(name: .customLong("golden-input"), help: "The rows --expected scores (default: the training sample).") var goldenInput: String?
        @Option(name: .customLong("expected-column"), help: "OUTPUT or OUTPUT=COLUMN to compare (repeatable; default: every model output in --expected).")
        var expectedColumns: [String] = []
        @Option(help: "Key column(s) joining rows and expected predictions, comma-separated (default: the first column of --expected).") var key: String?
        @Option(name: .customLong("golden-rows"), help: "Golden rows kept in the bundle and re-scored before every run.") var goldenRows = 1000
        @Option(help: "Absolute tolerance.") var tolerance = 1e-6
        @Option(name: .customLong("relative-tolerance"), help: "Relative tolerance.") var relativeTolerance = 1e-5
        @Option(help: "Input columns, in order, comma-separated: for an ONNX model that takes one tensor, or to name an XGBoost/LightGBM model's features.") var features: String?
        @Option(help: "A hand-edited input contract (JSON, e.g. an earlier bundle's contract.json) instead of the derived one.") var contract: String?
        @Option(name: .customLong("library"), help: "Training library and version, e.g. xgboost=3.2.0 (repeatable).") var libraries: [String] = []

        func run() throws {
            var o = BundleOptions(modelPath: model, name: name, version: version, registry: registry, trainSample: trainSample, expected: expected)
            o.goldenInput = goldenInput
            o.expectedColumns = expectedColumns
            o.key = key.map { $0.split(separator: ",").map(String.init) } ?? []
            o.goldenRows = goldenRows
            o.contract = contract
            o.absoluteTolerance = tolerance
            o.relativeTolerance = relativeTolerance
            o.features = features.map { $0.split(separator: ",").map(String.init) }
            for l in libraries {
                let parts = l.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--library \(l): expected NAME=VERSION, e.g. xgboost=3.2.0") }
                o.libraries[parts[0]] = parts[1]
            }
            let (bundle, check) = try runReportingErrors { try BundleBuilder.create(o) }
            print("created \(bundle.directory)")
            print("  golden rows: \(check.rows) re-scored, max abs difference \(check.maxAbsoluteDifference) (kept \(bundle.manifest.golden.rows))")
            print("  files: \(bundle.manifest.files.keys.sorted().joined(separator: ", "))")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a bundle: file hashes, then golden rows re-scored.")
        @Argument(help: "Bundle directory.") var path: String

        func run() throws {
            let (bundle, check) = try runReportingErrors { () -> (ModelBundle, GoldenRows.Check) in
                let b = try ModelBundle(directory: path)
                return (b, try b.verify().check)
            }
            print("\(bundle.manifest.name)@\(bundle.manifest.version): files match their sha256; \(check.rows) golden rows agree (max abs difference \(check.maxAbsoluteDifference))")
        }
    }
}
