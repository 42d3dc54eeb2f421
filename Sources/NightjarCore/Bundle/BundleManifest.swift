/// The manifest of a model bundle (`manifest.json`, schema `schemas/bundle.schema.json`): what the
/// bundle holds, the sha256 of every file, the features the model reads and how its golden rows
/// were checked when it was created.
///
/// A bundle is a directory `REGISTRY/NAME/VERSION/` holding the model file, this manifest, the
/// input contract (`contract.json`), the reference statistics of the training sample
/// (`reference.json`) and the golden rows (`golden_input.csv`, `golden_expected.csv`).
public struct BundleManifest: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public static let fileName = "manifest.json"

    public struct Feature: Codable, Sendable, Equatable {
        public var name: String
        /// `numeric`, `categorical` or `text`.
        public var type: String
        /// Category names in training order (code = index), when the model stores them.
        public var categories: [String]?

        public init(name: String, type: String, categories: [String]? = nil) {
            self.name = name
            self.type = type
            self.categories = categories
        }
    }

    /// How golden rows are compared: `|nightjar - expected| <= absolute + relative * |expected|`.
    public struct Golden: Codable, Sendable, Equatable {
        /// Key columns joining `golden_input.csv` to `golden_expected.csv`.
        public var key: [String]
        /// Output columns compared (names of the model's output columns; `golden_expected.csv` holds them).
        public var columns: [String]
        public var rows: Int
        public var absoluteTolerance: Double
        public var relativeTolerance: Double
        /// Largest absolute difference seen when the bundle was created.
        public var maxAbsoluteDifference: Double

        enum CodingKeys: String, CodingKey {
            case key, columns, rows
            case absoluteTolerance = "absolute_tolerance", relativeTolerance = "relative_tolerance"
            case maxAbsoluteDifference = "max_abs_diff"
        }

        public init(key: [String], columns: [String], rows: Int, absoluteTolerance: Double, relativeTolerance: Double,
                    maxAbsoluteDifference: Double) {
            self.key = key
            self.columns = columns
            self.rows = rows
            self.absoluteTolerance = absoluteTolerance
            self.relativeTolerance = relativeTolerance
            self.maxAbsoluteDifference = maxAbsoluteDifference
        }

        /// Whether `actual` agrees with `expected` within the tolerance (NaN agrees only with NaN).
        public func agrees(_ actual: Double, _ expected: Double) -> Bool {
            if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
            if actual == expected { return true }
            return abs(actual - expected) <= absoluteTolerance + relativeTolerance * abs(expected)
        }
    }

    public var manifestVersion: Int
    public var name: String
    public var version: String
    /// ISO 8601, UTC.
    public var created: String
    /// `xgboost-json`, `lightgbm-text` or `onnx`.
    public var format: String
    /// The model file's name inside the bundle.
    public var modelFile: String
    /// `binary`, `multiclass`, `multiclass-label` or `regression`.
    public var task: String
    public var outputs: [String]
    public var features: [Feature]
    /// Input columns bound to a model that takes one tensor (ONNX), as `--features` gave them.
    public var featureBinding: [String]?
    /// sha256 (hex) of every file of the bundle except this manifest, by file name.
    public var files: [String: String]
    public var golden: Golden
    /// The Nightjar version that re-scored the golden rows when the bundle was created.
    public var verifiedBy: String
    /// Training libraries and their versions, as the creator named them (e.g. xgboost: 3.2.0).
    public var libraries: [String: String]
    /// Where the inputs came from when the bundle was created (informational).
    public var origin: [String: String]

    enum CodingKeys: String, CodingKey {
        case manifestVersion = "manifest_version", name, version, created, format, modelFile = "model_file", task, outputs
        case features, featureBinding = "feature_binding", files, golden, verifiedBy = "verified_by", libraries, origin
    }

    public init(name: String, version: String, created: String, format: String, modelFile: String, task: String,
                outputs: [String], features: [Feature], featureBinding: [String]?, files: [String: String], golden: Golden,
                verifiedBy: String, libraries: [String: String], origin: [String: String]) {
        self.manifestVersion = BundleManifest.currentVersion
        self.name = name
        self.version = version
        self.created = created
        self.format = format
        self.modelFile = modelFile
        self.task = task
        self.outputs = outputs
        self.features = features
        self.featureBinding = featureBinding
        self.files = files
        self.golden = golden
        self.verifiedBy = verifiedBy
        self.libraries = libraries
        self.origin = origin
    }
}
