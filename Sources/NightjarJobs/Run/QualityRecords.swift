import Foundation

/// Where a registry alias points (`nightjar_model_aliases`).
public struct ModelAlias: Sendable, Equatable, Codable {
    public var model: String
    public var alias: String
    public var version: String
    public var updatedAt: String

    enum CodingKeys: String, CodingKey { case model, alias, version, updatedAt = "updated_at" }
}

/// One change of an alias (`nightjar_alias_events`): promotions, rollbacks by hand and automatic rollbacks.
public struct AliasEvent: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Codable, CaseIterable {
        case promote, rollback
        case autoRollback = "auto_rollback"
    }
    public var model: String
    public var alias: String
    public var action: Action
    public var version: String
    public var previousVersion: String?
    public var at: String
    public var reason: String?
    public var runID: String?

    public init(model: String, alias: String, action: Action, version: String, previousVersion: String?, at: String,
                reason: String? = nil, runID: String? = nil) {
        self.model = model
        self.alias = alias
        self.action = action
        self.version = version
        self.previousVersion = previousVersion
        self.at = at
        self.reason = reason
        self.runID = runID
    }

    enum CodingKeys: String, CodingKey {
        case model, alias, action, version, previousVersion = "previous_version", at, reason, runID = "run_id"
    }
}

/// One broken contract rule of one input row (`nightjar_rejects`). A row breaking several rules has several records.
public struct RejectRecord: Sendable, Equatable, Codable {
    public var runID: String
    public var shard: Int
    public var chunk: Int
    /// 1-based row number in the run's input (the line in the CSV file when read from one file).
    public var rowNumber: Int
    public var key: String
    public var column: String
    public var value: String
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", shard, chunk, rowNumber = "row_number", key, column = "column_name", value, reason
    }
}

/// Rejected rows of a run counted by column and reason.
public struct RejectCount: Sendable, Equatable, Codable {
    public var column: String
    public var reason: String
    public var count: Int
}

/// How far a feature's (or the predictions') distribution moved from the training reference,
/// against the job's drift thresholds; stored as `ok`, `warn` or `fail`.
public enum DriftStatus: String, Sendable, Codable, CaseIterable, Comparable {
    case ok, warn, fail

    /// `ok` < `warn` < `fail`: the worst of several is their maximum.
    public static func < (a: DriftStatus, b: DriftStatus) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One feature's statistics for one run (`nightjar_feature_stats`).
public struct FeatureStatRecord: Sendable, Equatable, Codable {
    public var runID: String
    public var feature: String
    public var rows: Int
    public var nullRate: Double
    public var mean: Double?
    public var min: Double?
    public var max: Double?
    public var psi: Double
    /// Against the job's drift thresholds.
    public var status: DriftStatus

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", feature, rows, nullRate = "null_rate", mean, min, max, psi, status
    }
}

/// How a shadow challenger compared with the champion over one run (`nightjar_shadow_comparisons`).
public struct ShadowComparisonRecord: Sendable, Equatable, Codable {
    public var runID: String
    public var job: String
    public var logicalDate: String
    /// As the job names it, e.g. churn@challenger.
    public var challenger: String
    public var modelName: String
    public var modelVersion: String
    public var championVersion: String
    public var rows: Int
    public var meanAbsDiff: Double
    public var maxAbsDiff: Double
    public var correlation: Double?
    /// Share of rows whose label differs (at the job's threshold for binary models).
    public var flipRate: Double
    public var predictionPSI: Double
    public var championMicrosPerRow: Double
    public var challengerMicrosPerRow: Double

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", job, logicalDate = "logical_date", challenger, modelName = "model_name", modelVersion = "model_version"
        case championVersion = "champion_version", rows, meanAbsDiff = "mean_abs_diff", maxAbsDiff = "max_abs_diff", correlation
        case flipRate = "flip_rate", predictionPSI = "prediction_psi", championMicrosPerRow = "champion_us_per_row"
        case challengerMicrosPerRow = "challenger_us_per_row"
    }
}
