import Foundation
import NightjarCore
import NightjarIO

/// What `nightjar bundle create` is given.
public struct BundleOptions: Sendable {
    public var modelPath: String
    public var name: String
    public var version: String
    public var registry: String
    /// Training rows: the input contract and the reference statistics are derived from them.
    public var trainSample: String
    /// The training library's predictions, keyed.
    public var expected: String
    /// The rows `expected` scores (default: the training sample).
    public var goldenInput: String?
    /// `OUTPUT` or `OUTPUT=EXPECTED_COLUMN`; default: every model output found in `expected`.
    public var expectedColumns: [String] = []
    /// Key columns joining golden input and expected rows (default: the first column of `expected`).
    public var key: [String] = []
    /// Golden rows kept in the bundle (all matched rows are checked at creation).
    public var goldenRows: Int = 1000
    public var absoluteTolerance: Double = 1e-6
    public var relativeTolerance: Double = 1e-5
    /// Input columns bound to a model that takes one tensor (ONNX).
    public var features: [String]?
    /// Training libraries and versions, recorded in the manifest.
    public var libraries: [String: String] = [:]
    public var onnxRuntimeThreads: Int?
    /// A hand-edited input contract (JSON) to use instead of the one derived from the training sample.
    public var contract: String?

    public init(modelPath: String, name: String, version: String, registry: String, trainSample: String, expected: String) {
        self.modelPath = modelPath
        self.name = name
        self.version = version
        self.registry = registry
        self.trainSample = trainSample
        self.expected = expected
    }
}

/// Builds a bundle: checks that Nightjar reproduces the training library's predictions, derives the
/// input contract and reference statistics from the training sample, and writes the directory
/// atomically (a temporary directory renamed into place). A bundle that does not reproduce its
/// expected predictions is never written.
public enum BundleBuilder {
    public static func create(_ o: BundleOptions, nightjarVersion: String = RunExecutor.version) throws -> (bundle: ModelBundle, check: GoldenRows.Check) {
        guard ModelReference.isName(o.name) else { throw ScoreError("--name '\(o.name)': use letters, digits, '.', '_' and '-'") }
        guard ModelReference.isName(o.version) else { throw ScoreError("--version '\(o.version)': use letters, digits, '.', '_' and '-'") }
        let registry = ModelRegistry(root: o.registry)
        let target = registry.directory(name: o.name, version: o.version)
        guard !FileManager.default.fileExists(atPath: target) else {
            throw ScoreError("\(target) already exists: bundle versions are immutable; pick a new --version (existing: \(registry.versions(of: o.name).joined(separator: ", ")))")
        }
        var scoreOptions = ScoreOptions(modelPath: o.modelPath, inputPath: "", outputPath: "")
        scoreOptions.features = o.features
        scoreOptions.onnxRuntimeThreads = o.onnxRuntimeThreads
        let model = try ScoreRunner.loadModel(scoreOptions)

        let train = try CSVTable.read(path: o.trainSample)
        guard train.rowCount > 0 else { throw InputError(path: o.trainSample, line: 2, message: "no rows: the training sample is needed for the contract and the reference statistics") }
        let goldenInput = try o.goldenInput.map { try CSVTable.read(path: $0) } ?? train
        let expected = try CSVTable.read(path: o.expected)
        guard expected.rowCount > 0 else { throw InputError(path: o.expected, line: 2, message: "no rows of expected predictions") }

        // Which columns to compare.
        let outputs = model.outputColumns(includeMargin: true).map(\.name)
        var columns: [(output: String, expected: String)] = []
        if o.expectedColumns.isEmpty {
            columns = outputs.filter { expected.column($0) != nil }.map { ($0, $0) }
            guard !columns.isEmpty else {
                throw ScoreError("\(o.expected) has none of the model's output columns (\(outputs.joined(separator: ", "))); name the column to compare with --expected-column OUTPUT=COLUMN")
            }
        } else {
            for spec in o.expectedColumns {
                let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
                let output = parts[0]
                guard outputs.contains(output) else {
                    throw ScoreError("--expected-column \(spec): '\(output)' is not an output of this model (it has: \(outputs.joined(separator: ", ")))")
                }
                columns.append((output, parts.count == 2 ? parts[1] : output))
            }
        }
        let key = o.key.isEmpty ? [expected.header[0]] : o.key
        let golden = GoldenRows(input: goldenInput, expected: expected, key: key, columns: columns)
        var tolerance = BundleManifest.Golden(key: key, columns: columns.map(\.output), rows: 0, absoluteTolerance: o.absoluteTolerance,
                                              relativeTolerance: o.relativeTolerance, maxAbsoluteDifference: 0)
        let check = try golden.check(model, tolerance: tolerance)
        guard check.passed else { throw BundleRefused(check: check, tolerance: tolerance, expected: o.expected) }

        // Write into a temporary directory next to the target, then rename it into place.
        let parent = URL(fileURLWithPath: target).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let temporary = parent.appendingPathComponent(".\(o.version).creating-\(getpid())")
        try? FileManager.default.removeItem(at: temporary)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            let modelFile = URL(fileURLWithPath: o.modelPath).lastPathComponent
            try FileManager.default.copyItem(at: URL(fileURLWithPath: o.modelPath), to: temporary.appendingPathComponent(modelFile))

            // Golden rows: the first matched rows, the input as given and the expected columns under the output names.
            let pairs = Array(try golden.join().prefix(o.goldenRows))
            let inputRows = pairs.map { p in (0..<goldenInput.header.count).map { goldenInput.string(row: p.input, column: $0) } }
            try CSVTable.write(header: goldenInput.header, rows: inputRows, to: temporary.appendingPathComponent(ModelBundle.goldenInputFile).path)
            let keyColumns = key.map { goldenInput.column($0)! }
            let expectedRows = pairs.map { p in
                keyColumns.map { goldenInput.string(row: p.input, column: $0) } + columns.map { expected.string(row: p.expected, column: expected.column($0.expected)!) }
            }
            try CSVTable.write(header: key + columns.map(\.output), rows: expectedRows, to: temporary.appendingPathComponent(ModelBundle.goldenExpectedFile).path)

            var profile = try BundleBuilder.profile(model: model, train: train)
            if let edited = o.contract {
                profile.contract = try BundleBuilder.checkedContract(edited, model: model)
            }
            try profile.contract.write(to: temporary.appendingPathComponent(ModelBundle.contractFile))
            try profile.reference.write(to: temporary.appendingPathComponent(ModelBundle.referenceFile))

            var files: [String: String] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: temporary.path) {
                files[file] = ModelBundle.sha256(try Data(contentsOf: temporary.appendingPathComponent(file)))
            }
            tolerance.rows = pairs.count
            tolerance.maxAbsoluteDifference = check.maxAbsoluteDifference
            let manifest = BundleManifest(
                name: o.name, version: o.version, created: Timestamp.now(), format: model.format.rawValue, modelFile: modelFile,
                task: model.task.manifestName, outputs: model.outputColumns(includeMargin: false).map(\.name),
                features: model.features.map(BundleBuilder.describe), featureBinding: o.features, files: files, golden: tolerance,
                verifiedBy: "nightjar \(nightjarVersion)", libraries: o.libraries.merging(model.libraryVersion.map { [model.format.libraryName: $0] } ?? [:]) { a, _ in a },
                origin: ["model": o.modelPath, "train_sample": o.trainSample, "expected": o.expected, "golden_input": o.goldenInput ?? o.trainSample])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(manifest).write(to: temporary.appendingPathComponent(BundleManifest.fileName))
            try FileManager.default.moveItem(at: temporary, to: URL(fileURLWithPath: target))
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        let bundle = try ModelBundle(directory: target)
        try bundle.verifyFiles()
        return (bundle, check)
    }

    /// A hand-edited contract, checked to parse and to cover the model's columns.
    static func checkedContract(_ path: String, model: ScoringModel) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError(path: path, message: "cannot read the contract") }
        let contract: InputContract
        do {
            contract = try JSONDecoder().decode(InputContract.self, from: data)
        } catch {
            throw InputError(path: path, message: "not a valid input contract (\(ModelBundle.describe(error)))")
        }
        do {
            _ = try ContractChecker(contract: contract, header: contract.columns.map(\.name))
        } catch {
            throw InputError(path: path, message: error.description)
        }
        let covered = Set(contract.columns.map(\.name))
        let missing = model.features.map(\.name).filter { !covered.contains($0) }
        if !missing.isEmpty {
            throw InputError(path: path, message: "the contract has no rule for \(missing.joined(separator: ", ")), which the model reads; add a rule per model column")
        }
        return data
    }

    static func describe(_ f: ModelFeature) -> BundleManifest.Feature {
        switch f.kind {
        case .numeric: return .init(name: f.name, type: "numeric")
        case .categorical(let names): return .init(name: f.name, type: "categorical", categories: names)
        case .text(let vocabulary): return .init(name: f.name, type: "text", categories: vocabulary)
        }
    }
}

/// The bundle was not created: Nightjar does not reproduce the expected predictions.
public struct BundleRefused: Error, CustomStringConvertible, Sendable {
    public var check: GoldenRows.Check
    public var tolerance: BundleManifest.Golden
    public var expected: String

    public var description: String {
        var lines = ["bundle refused: \(check.failures.count) value(s) of \(check.rows) golden rows differ from \(expected) beyond the tolerance (absolute \(tolerance.absoluteTolerance), relative \(tolerance.relativeTolerance)); the worst:"]
        lines += check.failures.prefix(10).map { "  \($0)" }
        lines.append("Check that the model file, the input rows (--golden-input) and the expected column (--expected-column) belong together; a category order or a preprocessing step that differs from training shows up here.")
        return lines.joined(separator: "\n")
    }
}

extension ModelTask {
    var manifestName: String {
        switch self {
        case .binary: return "binary"
        case .multiclass: return "multiclass"
        case .multiclassLabel: return "multiclass-label"
        case .regression: return "regression"
        }
    }
}

extension ModelFormat {
    var libraryName: String {
        switch self {
        case .xgboostJSON: return "xgboost"
        case .lightgbmText: return "lightgbm"
        case .onnx: return "onnx-producer"
        }
    }
}
