import NightjarIO

/// What `nightjar score` was asked to do.
public struct ScoreOptions: Sendable {
    public var modelPath: String
    public var inputPath: String
    public var outputPath: String
    /// SQLite table name (SQLite outputs only).
    public var table: String
    /// Input columns copied to the output to identify rows.
    public var keys: [String]
    public var threads: Int
    public var chunkRows: Int
    /// Add the margin (score before the link) columns.
    public var includeMargin: Bool
    /// What to do when the SQLite table exists.
    public var ifExists: SQLiteSink.Mode
    /// Ordered CSV columns filling an ONNX input that is one tensor of several columns.
    public var features: [String]?
    /// ONNX tree models: reproduce ONNX Runtime's float32 summation order for this many intra-op
    /// threads; nil = ONNX Runtime's default on this machine (its physical core count).
    public var onnxRuntimeThreads: Int?
    /// Stop after this many data rows (nil: the whole input). Used by `nightjar bench`.
    public var maxRows: Int?
    /// Add exact per-feature contributions (`contrib_<feature>`, `contrib_bias`).
    public var contributions = false
    /// Add the K features that pushed each score most (`reason_1 … reason_K`, `reason_i_contribution`).
    public var reasons = 0
    /// A linear model's training sample (CSV): the means its contributions are measured from, for a
    /// model file scored without its bundle. Not read for other models.
    public var referenceSample: String?

    public static let defaultChunkRows = 50_000
    public static let defaultTable = "predictions"

    public init(
        modelPath: String, inputPath: String, outputPath: String, table: String = ScoreOptions.defaultTable,
        keys: [String] = [], threads: Int = 0, chunkRows: Int = ScoreOptions.defaultChunkRows,
        includeMargin: Bool = false, ifExists: SQLiteSink.Mode = .replace,
        features: [String]? = nil, onnxRuntimeThreads: Int? = nil
    ) {
        self.modelPath = modelPath
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.table = table
        self.keys = keys
        self.threads = threads
        self.chunkRows = chunkRows
        self.includeMargin = includeMargin
        self.ifExists = ifExists
        self.features = features
        self.onnxRuntimeThreads = onnxRuntimeThreads
    }
}

/// The kinds of output `score` writes, chosen by the output path's extension.
public enum OutputKind: Sendable, Equatable {
    case sqlite
    case csv

    public static func of(path: String) -> OutputKind? {
        let lower = path.lowercased()
        if lower.hasSuffix(".db") || lower.hasSuffix(".sqlite") || lower.hasSuffix(".sqlite3") { return .sqlite }
        if lower.hasSuffix(".csv") || lower.hasSuffix(".csv.lz4") { return .csv }
        return nil
    }
}

/// What a finished `score` did.
public struct ScoreSummary: Sendable {
    public var rows: Int
    public var chunks: Int
    public var seconds: Double
    public var destination: String
    public var modelDescription: String
    public var threads: Int

    public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
}
