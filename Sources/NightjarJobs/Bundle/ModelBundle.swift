import CCrypto
import Foundation
import NightjarCore
import NightjarIO

/// A bundle directory opened for a run: its manifest, and the checks that must pass before any row
/// of a run is touched — every file's sha256, then the golden rows re-scored within tolerance.
public struct ModelBundle: Sendable {
    public static let contractFile = "contract.json"
    public static let referenceFile = "reference.json"
    public static let goldenInputFile = "golden_input.csv"
    public static let goldenExpectedFile = "golden_expected.csv"

    public let directory: String
    public let manifest: BundleManifest
    /// sha256 of `manifest.json` itself: identifies the whole bundle.
    public let manifestSHA256: String

    public var modelPath: String { path(manifest.modelFile) }
    public var modelSHA256: String { manifest.files[manifest.modelFile] ?? "" }

    public func path(_ file: String) -> String { URL(fileURLWithPath: directory).appendingPathComponent(file).path }

    /// Whether `path` is a bundle directory (it holds a manifest).
    public static func isBundle(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent(BundleManifest.fileName).path)
    }

    /// Reads the manifest of the bundle in `directory`.
    public init(directory: String) throws {
        self.directory = directory
        let file = URL(fileURLWithPath: directory).appendingPathComponent(BundleManifest.fileName).path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ScoreError("\(directory): not a model bundle (no \(BundleManifest.fileName)); create one with nightjar bundle create")
        }
        do {
            manifest = try JSONDecoder().decode(BundleManifest.self, from: data)
        } catch {
            throw ScoreError("\(file): not a valid bundle manifest (\(ModelBundle.describe(error))); recreate the bundle with nightjar bundle create")
        }
        guard manifest.manifestVersion <= BundleManifest.currentVersion else {
            throw ScoreError("\(file): manifest version \(manifest.manifestVersion) was written by a newer Nightjar; upgrade Nightjar")
        }
        manifestSHA256 = ModelBundle.sha256(data)
    }

    /// Checks every file listed in the manifest against its sha256.
    /// - Throws: naming the first file that is missing or was changed.
    public func verifyFiles() throws {
        for (name, want) in manifest.files.sorted(by: { $0.key < $1.key }) {
            let file = path(name)
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file), options: .mappedIfSafe) else {
                throw BundleVerificationError(bundle: directory, message: "\(name) is missing; the bundle is incomplete — restore it or create a new version")
            }
            let got = ModelBundle.sha256(data)
            guard got == want else {
                throw BundleVerificationError(bundle: directory, message: "\(name) was modified after the bundle was created (sha256 \(got.prefix(12))…, manifest says \(want.prefix(12))…); bundles are immutable — restore the file or create a new version with nightjar bundle create")
            }
        }
    }

    /// Loads the bundle's model, bound to its feature list when the graph takes one tensor; a
    /// linear model gets its training means from the reference statistics (for contributions).
    public func loadModel(onnxRuntimeThreads: Int? = nil) throws -> ScoringModel {
        var options = ScoreOptions(modelPath: modelPath, inputPath: "", outputPath: "")
        options.features = manifest.featureBinding
        options.onnxRuntimeThreads = onnxRuntimeThreads
        var model = try ScoreRunner.loadModel(options)
        if case .linear = model.estimator, manifest.files[ModelBundle.referenceFile] != nil {
            model.linearReference = try reference().linearMeans
        }
        return model
    }

    /// The golden rows of the bundle.
    public func goldenRows() throws -> GoldenRows {
        GoldenRows(input: try CSVTable.read(path: path(ModelBundle.goldenInputFile)),
                   expected: try CSVTable.read(path: path(ModelBundle.goldenExpectedFile)),
                   key: manifest.golden.key, columns: manifest.golden.columns.map { ($0, $0) })
    }

    /// Re-scores the golden rows with `model`.
    /// - Throws: naming the worst rows when any value is outside the tolerance.
    @discardableResult
    public func verifyGolden(_ model: ScoringModel) throws -> GoldenRows.Check {
        let check = try goldenRows().check(model, tolerance: manifest.golden)
        guard check.passed else {
            let worst = check.failures.prefix(3).map(\.description).joined(separator: "; ")
            throw BundleVerificationError(bundle: directory, message: "\(check.failures.count) golden value(s) of \(check.rows) rows differ beyond the tolerance (absolute \(manifest.golden.absoluteTolerance), relative \(manifest.golden.relativeTolerance)): \(worst)")
        }
        return check
    }

    /// Hashes, then golden rows: the whole check a run makes before reading its source.
    public func verify(onnxRuntimeThreads: Int? = nil) throws -> (model: ScoringModel, check: GoldenRows.Check) {
        try verifyFiles()
        let model = try loadModel(onnxRuntimeThreads: onnxRuntimeThreads)
        return (model, try verifyGolden(model))
    }

    /// Lowercase hex SHA-256 (OpenSSL's one-shot `SHA256`, which is not deprecated in 3.x).
    static func sha256(_ data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        data.withUnsafeBytes { bytes in
            _ = SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &digest)
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            return "at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// A bundle that does not prove what it claims: a file changed, or golden rows that no longer agree.
public struct BundleVerificationError: Error, CustomStringConvertible, Sendable {
    public var bundle: String
    public var message: String
    public var description: String { "bundle \(bundle) failed verification: \(message)" }
}

extension ModelBundle {
    /// The input contract (`contract.json`), as the bundle holds it (it may have been edited by hand before the bundle was created).
    public func contract() throws -> InputContract {
        try decode(InputContract.self, ModelBundle.contractFile)
    }

    /// The reference statistics of the training sample (`reference.json`).
    public func reference() throws -> ReferenceProfile {
        try decode(ReferenceProfile.self, ModelBundle.referenceFile)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ file: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path(file)) else {
            throw BundleVerificationError(bundle: directory, message: "\(file) is missing")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw BundleVerificationError(bundle: directory, message: "\(file) is not valid (\(ModelBundle.describe(error)))")
        }
    }
}
