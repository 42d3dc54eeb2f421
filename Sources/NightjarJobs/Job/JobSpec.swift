import Foundation
import NightjarIO

/// A recurring scoring job, as described by a `jobs/*.yaml` file (schema: `schemas/job.schema.json`).
/// Paths are resolved against the job file's directory.
public struct JobSpec: Sendable, Equatable {
    public struct Model: Sendable, Equatable {
        /// A model file or a bundle directory; empty when the model is named through the registry.
        public var path: String
        /// Name recorded on every output row; defaults to the file's name without extension.
        public var name: String
        /// Version recorded on every output row; defaults to `sha256:<first 12 hex digits>`.
        public var version: String?
        /// `churn@champion` or `churn@3`: a bundle of the registry, the alias resolved when a run starts.
        public var reference: ModelReference? = nil
    }

    public enum Source: Sendable, Equatable {
        /// A CSV path or glob, possibly templated over the logical date (`{{ ds }}`).
        case csv(pattern: String)
        /// Rows of a query, streamed in key order; `{{ ds }}` in the query is bound as parameter $1.
        case postgres(PostgresSettings, query: String, key: String)
    }

    /// Where PostgreSQL connection settings come from: an environment variable holding a libpq
    /// connection string, or a libpq service name — never a password in the job file.
    public struct PostgresSettings: Sendable, Equatable {
        public var dsnEnv: String?
        public var service: String?

        public init(dsnEnv: String?, service: String?) {
            self.dsnEnv = dsnEnv
            self.service = service
        }

        /// The libpq connection string, from the environment.
        public func conninfo(job: String) throws -> String {
            if let dsnEnv {
                guard let value = ProcessInfo.processInfo.environment[dsnEnv], !value.isEmpty else {
                    throw ScoreError("job \(job): the environment variable \(dsnEnv) (dsn_env) is not set; set it to a libpq connection string such as 'host=db dbname=analytics user=nightjar'")
                }
                return value
            }
            // A libpq value in single quotes, backslash-escaped: the name cannot add other settings.
            let quoted = (service ?? "").replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            return "service='\(quoted)'"
        }

        public var description: String { dsnEnv.map { "$\($0)" } ?? "service \(service ?? "")" }
    }

    public enum Sink: Sendable, Equatable {
        case sqlite(path: String, table: String)
        /// A CSV file (templated over the logical date; `.csv` or `.csv.lz4`).
        case csv(path: String)
        /// A PostgreSQL table (`schema.table` or `table`), written with COPY.
        case postgres(PostgresSettings, table: String)
    }

    /// What a run does with a key seen twice in its input (`duplicate_keys:`): part of the input
    /// contract whenever the job names a key.
    public enum DuplicateKeys: String, Sendable, Equatable, CaseIterable {
        /// Stop the run with an error naming the file, line and key (the default).
        case fail
        /// Set the later rows aside in `nightjar_rejects` (reason `duplicate_key`); the first is scored.
        case reject
        /// Score every row, duplicates included.
        case keep
    }

    public enum WriteMode: String, Sendable, Equatable, CaseIterable {
        /// Re-running a logical date replaces exactly that date's rows, atomically.
        case replacePartition = "replace_partition"
        /// Rows are added; re-running a date adds them again.
        case append
    }

    public enum CatchUp: Sendable, Equatable {
        case none
        case latest
        case all(limit: Int)
    }

    public struct Schedule: Sendable, Equatable {
        public var cron: CronExpression
        public var timeZone: TimeZone
        public var catchUp: CatchUp
    }

    public struct Retries: Sendable, Equatable {
        public var count: Int
        /// Wait before the first retry, in seconds; doubles with each retry up to `maxBackoff`.
        public var backoff: Double
        public var maxBackoff: Double

        public static let none = Retries(count: 0, backoff: 60, maxBackoff: 3600)

        public func delay(beforeRetry n: Int) -> Double {
            min(maxBackoff, backoff * pow(2, Double(max(0, n - 1))))
        }
    }

    /// The file it was read from.
    public var file: String
    public var name: String
    public var description: String?
    public var model: Model
    /// Input columns fed to a model whose graph takes one tensor (ONNX); nil for named features.
    public var features: [String]?
    public var source: Source
    public var keys: [String]
    /// Keys seen twice in a run's input (see `DuplicateKeys`).
    public var duplicateKeys: DuplicateKeys = .fail
    /// Prediction columns to keep (nil: all of the model's).
    public var outputs: [String]?
    public var chunkRows: Int
    public var threads: Int
    public var sink: Sink
    public var writeMode: WriteMode
    /// Run store file (SQLite), unless `statePostgres` names a PostgreSQL run store.
    public var state: String
    /// A run store in PostgreSQL (`state: { postgres: { dsn_env: … } }`), shared by many machines.
    public var statePostgres: PostgresSettings? = nil
    public var schedule: Schedule?
    public var retries: Retries
    /// Seconds; nil for no limit.
    public var timeout: Double?
    /// The model registry (`NAME/VERSION/` bundle directories) that `model: NAME@ALIAS` names.
    public var registry: String = ""
    /// Share of input rows that may break the input contract before the run stops (0…1).
    public var maxRejectFraction: Double = 0.01
    /// PSI thresholds that mark a run warned or failed.
    public var drift: DriftThresholds = DriftThresholds()
    /// Where run metrics go.
    public var metrics: Metrics = Metrics()

    public struct DriftThresholds: Sendable, Equatable {
        public var warn: Double = 0.1
        public var fail: Double = 0.25
        /// Per-feature (and `prediction`) overrides.
        public var overrides: [String: (warn: Double, fail: Double)] = [:]

        public init() {}

        public func thresholds(for feature: String) -> (warn: Double, fail: Double) { overrides[feature] ?? (warn, fail) }

        public func status(_ psi: Double, feature: String) -> DriftStatus {
            let t = thresholds(for: feature)
            return psi >= t.fail ? .fail : psi >= t.warn ? .warn : .ok
        }

        public static func == (a: DriftThresholds, b: DriftThresholds) -> Bool {
            a.warn == b.warn && a.fail == b.fail && a.overrides.count == b.overrides.count
                && a.overrides.allSatisfy { k, v in b.overrides[k].map { $0.warn == v.warn && $0.fail == v.fail } ?? false }
        }
    }

    /// Challengers score the same rows in the same pass; their rows go to the shadow table.
    public var challengers: [ModelReference] = []
    /// An A/B split: rows whose key hashes below `share` are scored (and written) by the challenger.
    public var split: Split? = nil
    /// Probability at which a label flips, for comparisons (binary models).
    public var threshold: Double = 0.5
    /// Bounds that return a newly promoted champion's alias to the previous version.
    public var rollback: RollbackPolicy? = nil
    /// Outcome rules applied by `nightjar evaluate`: promote a challenger that did better on real
    /// outcomes, roll back a newly promoted champion that did worse.
    public var promoteWhen: OutcomeRule? = nil
    public var rollbackWhen: OutcomeRule? = nil
    /// Why each score (`explain:`): exact contributions and/or the top reasons on every output row,
    /// the champion's, the split's and each shadow challenger's.
    public var explain: Explain? = nil

    public struct Explain: Sendable, Equatable {
        /// `contributions: all`: `contrib_<feature>` and `contrib_bias` columns.
        public var contributions = false
        /// `reasons: K`: `reason_1 … reason_K` and `reason_i_contribution` columns.
        public var reasons = 0
        public init() {}
    }

    /// A decision on evaluated outcomes (`promote_when:` / `rollback_when:`): on each of the last
    /// `days` evaluated dates, with at least `minRows` labelled rows on both sides, `metric` is
    /// better (promotion) or worse (rollback) by at least `margin` than the version it is compared
    /// with; a rollback rule may instead (or also) give `limit`, a value the metric must not pass
    /// (below it for AUC-like metrics, above it for losses).
    public struct OutcomeRule: Sendable, Equatable {
        public var metric: OutcomeMetricName
        public var margin: Double? = nil
        public var limit: Double? = nil
        public var minRows: Int = 1000
        public var days: Int = 1
        /// Promotion only: the difference must also be statistically significant (its 95% interval
        /// excludes 0) where the arm's comparison measured this metric (AUC for binary classifiers).
        public var significant: Bool = false
        public init(metric: OutcomeMetricName) { self.metric = metric }
    }

    public struct Split: Sendable, Equatable {
        /// Key columns hashed (SplitHash); default the job's key.
        public var by: [String]
        public var challenger: ModelReference
        public var share: Double
    }

    public struct RollbackPolicy: Sendable, Equatable {
        public var maxRejectFraction: Double? = nil
        public var maxPredictionPSI: Double? = nil
        /// Failed runs in a row of the new champion.
        public var maxFailures: Int? = nil
        /// Runs after a promotion during which the bounds apply ("newly promoted").
        public var probationRuns: Int = 3
        public init() {}
    }

    public struct Metrics: Sendable, Equatable {
        /// A Prometheus textfile-collector file, rewritten atomically after every run.
        public var textfile: String? = nil
        /// A Pushgateway base URL.
        public var pushgateway: String? = nil
        public init() {}
    }

    /// The time zone for logical dates: the schedule's, else UTC.
    public var timeZone: TimeZone { schedule?.timeZone ?? TimeZone(identifier: "UTC")! }
}

extension JobSpec {
    /// Column names a key may not take whatever the model: the lineage columns every output has
    /// (and `lineage_id`, a column of PostgreSQL outputs' rows tables).
    public static func reservedKeyNames(sink: Sink) -> [String] {
        if case .postgres = sink { return OutputLineage.columns + ["lineage_id"] }
        return OutputLineage.columns
    }
}
