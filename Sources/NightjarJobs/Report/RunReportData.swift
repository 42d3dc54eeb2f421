/// Everything the HTML run report shows, as plain values.
///
/// The report renderer never touches the run store itself: whoever builds the report (the CLI)
/// fills this from the store, so the renderer stays a pure function that tests can feed directly.
public struct RunReportData: Sendable, Equatable {
    public var job: String
    public var runID: String
    public var logicalDate: String
    /// succeeded, failed, interrupted or running.
    public var status: String
    /// ok, warn or fail: the worst feature or prediction drift status of the run.
    public var driftStatus: String
    /// ISO 8601.
    public var startedAt: String
    public var endedAt: String?
    public var durationSeconds: Double?
    public var rowsRead: Int
    public var rowsScored: Int
    public var rowsWritten: Int
    public var rowsRejected: Int
    public var error: String?
    public var model: ModelLineage
    /// One row per input feature, in any order (the report sorts them).
    public var features: [FeatureDriftRow]
    public var predictionPSI: Double?
    /// Predictions of this run against the training reference; nil when no reference was recorded.
    public var histogram: ScoreHistogram?
    public var rejectReasons: [RejectReasonCount]
    /// A few example rejected rows (about 20), so a reader sees what the bad values look like.
    public var sampleRejects: [RejectSample]
    /// The PSI thresholds the run used, drawn on the drift chart.
    public var driftWarn: Double
    public var driftFail: Double
    /// Shadow challengers compared with this run's champion.
    public var shadows: [ShadowComparisonRecord] = []
    /// The outcomes of the rows this run published (`nightjar evaluate`); empty: not yet evaluated.
    public var evaluations: [EvaluationRecord] = []
    /// What moved tonight's scores (jobs with `explain:`, SQLite and PostgreSQL sinks): per
    /// feature, the mean |contribution| of the champion's rows and the share of rows it was the
    /// first reason of.
    public var explanations: [FeatureExplanation] = []
    /// Why the explanations could not be read back from the output (shown in their place).
    public var explanationsNote: String?

    public init(
        job: String, runID: String, logicalDate: String, status: String, driftStatus: String,
        startedAt: String, endedAt: String? = nil, durationSeconds: Double? = nil,
        rowsRead: Int, rowsScored: Int, rowsWritten: Int, rowsRejected: Int, error: String? = nil,
        model: ModelLineage, features: [FeatureDriftRow] = [], predictionPSI: Double? = nil,
        histogram: ScoreHistogram? = nil, rejectReasons: [RejectReasonCount] = [],
        sampleRejects: [RejectSample] = [], driftWarn: Double = 0.1, driftFail: Double = 0.25
    ) {
        self.job = job
        self.runID = runID
        self.logicalDate = logicalDate
        self.status = status
        self.driftStatus = driftStatus
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationSeconds = durationSeconds
        self.rowsRead = rowsRead
        self.rowsScored = rowsScored
        self.rowsWritten = rowsWritten
        self.rowsRejected = rowsRejected
        self.error = error
        self.model = model
        self.features = features
        self.predictionPSI = predictionPSI
        self.histogram = histogram
        self.rejectReasons = rejectReasons
        self.sampleRejects = sampleRejects
        self.driftWarn = driftWarn
        self.driftFail = driftFail
    }
}

/// Which model scored the run and where it came from, so a report can be traced back to a file.
public struct ModelLineage: Sendable, Equatable {
    public var name: String
    public var version: String
    public var sha256: String
    public var path: String
    public var alias: String?
    public var format: String?
    public var createdAt: String?
    public var verifiedBy: String?
    /// Training library → version, e.g. "xgboost": "2.1.1".
    public var libraries: [String: String]
    public var nightjarVersion: String

    public init(
        name: String, version: String, sha256: String, path: String, alias: String? = nil,
        format: String? = nil, createdAt: String? = nil, verifiedBy: String? = nil,
        libraries: [String: String] = [:], nightjarVersion: String
    ) {
        self.name = name
        self.version = version
        self.sha256 = sha256
        self.path = path
        self.alias = alias
        self.format = format
        self.createdAt = createdAt
        self.verifiedBy = verifiedBy
        self.libraries = libraries
        self.nightjarVersion = nightjarVersion
    }
}

/// One input feature's statistics for a run next to its training reference.
public struct FeatureDriftRow: Sendable, Equatable {
    public var name: String
    /// Share of null values in this run, 0...1.
    public var nullRate: Double
    public var referenceNullRate: Double?
    public var mean: Double?
    public var min: Double?
    public var max: Double?
    public var psi: Double
    /// ok, warn or fail.
    public var status: String

    public init(
        name: String, nullRate: Double, referenceNullRate: Double? = nil, mean: Double? = nil,
        min: Double? = nil, max: Double? = nil, psi: Double, status: String
    ) {
        self.name = name
        self.nullRate = nullRate
        self.referenceNullRate = referenceNullRate
        self.mean = mean
        self.min = min
        self.max = max
        self.psi = psi
        self.status = status
    }
}

/// Counts per bin of one prediction column, for the training reference and for this run.
public struct ScoreHistogram: Sendable, Equatable {
    public var column: String
    /// Interior cut points in ascending order; there are `edges.count + 1` bins.
    public var edges: [Double]
    public var reference: [Int]
    public var current: [Int]

    public init(column: String, edges: [Double], reference: [Int], current: [Int]) {
        self.column = column
        self.edges = edges
        self.reference = reference
        self.current = current
    }
}

/// How many rows were rejected for one reason on one column.
public struct RejectReasonCount: Sendable, Equatable {
    public var column: String
    public var reason: String
    public var count: Int

    public init(column: String, reason: String, count: Int) {
        self.column = column
        self.reason = reason
        self.count = count
    }
}

/// One rejected row, identified by its key, with the offending value.
public struct RejectSample: Sendable, Equatable {
    public var key: String
    public var column: String
    public var value: String
    public var reason: String

    public init(key: String, column: String, value: String, reason: String) {
        self.key = key
        self.column = column
        self.value = value
        self.reason = reason
    }
}

