import Foundation

/// One run of a job for one logical date, as kept in the run store (`nightjar_runs`).
public struct RunRecord: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case running, succeeded, failed, interrupted
    }

    public enum Trigger: String, Sendable, Codable, CaseIterable {
        case manual, schedule, backfill, retry
    }

    public var runID: String
    public var job: String
    public var logicalDate: String
    public var trigger: Trigger
    public var status: Status
    public var attempt: Int
    public var scheduledFor: String?
    public var startedAt: String
    public var endedAt: String?
    public var rowsRead: Int
    public var rowsScored: Int
    public var rowsWritten: Int
    public var chunks: Int
    public var modelName: String?
    public var modelVersion: String?
    public var modelSHA256: String?
    public var modelPath: String?
    public var source: String?
    public var sink: String?
    public var nightjarVersion: String?
    public var host: String?
    public var pid: Int?
    public var error: String?
    /// The bundle directory the model came from (nil for a bare model file).
    public var bundlePath: String? = nil
    /// The registry alias the job named (`churn@champion` → `champion`), resolved when the run started.
    public var modelAlias: String? = nil
    /// Rows that broke the input contract (not scored; listed in `nightjar_rejects`).
    public var rowsRejected: Int = 0
    /// PSI of the predictions against the bundle's reference.
    public var predictionPSI: Double? = nil
    /// The worst drift of any feature or of the predictions (nil without reference statistics).
    public var driftStatus: DriftStatus? = nil
    /// The run's merged statistics (`ChunkStatistics` as JSON), for reports.
    public var stats: String? = nil
    /// Seconds the run's attempts were at work, summed: a run killed and resumed a day later
    /// reports the time it ran, not the downtime in between (nil: recorded by an earlier version).
    public var activeSeconds: Double? = nil

    enum CodingKeys: String, CodingKey {
        case bundlePath = "bundle_path", modelAlias = "model_alias", rowsRejected = "rows_rejected"
        case predictionPSI = "prediction_psi", driftStatus = "drift_status", stats, activeSeconds = "active_seconds"
        case runID = "run_id", job, logicalDate = "logical_date", trigger, status, attempt
        case scheduledFor = "scheduled_for", startedAt = "started_at", endedAt = "ended_at"
        case rowsRead = "rows_read", rowsScored = "rows_scored", rowsWritten = "rows_written", chunks
        case modelName = "model_name", modelVersion = "model_version", modelSHA256 = "model_sha256", modelPath = "model_path"
        case source, sink, nightjarVersion = "nightjar_version", host, pid, error
    }
}

/// One committed chunk of a run (`nightjar_chunks`): the checkpoint a resumed run continues from.
public struct ChunkRecord: Sendable, Equatable, Codable {
    public var runID: String
    public var chunk: Int
    public var fileIndex: Int
    public var sourceFile: String
    public var startOffset: Int64
    public var endOffset: Int64
    /// Line of the next unread row in the source file.
    public var endLine: Int
    public var rows: Int
    /// Bytes of the output file after this chunk (CSV sinks).
    public var outputOffset: Int64?
    public var committedAt: String
    public var seconds: Double
    /// Key of the chunk's last row (PostgreSQL sources): a resumed run continues after it.
    public var lastKey: String? = nil
    /// The shard that committed it (1-based; 0 for an unsharded run).
    public var shard: Int = 0
    /// Rows of the chunk that broke the input contract (counted in `rows`, not written).
    public var rowsRejected: Int = 0
    /// Statistics of the chunk's scored rows (`ChunkStatistics` as JSON), merged at the end of the run.
    public var stats: String? = nil

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", chunk, fileIndex = "file_index", sourceFile = "source_file"
        case startOffset = "start_offset", endOffset = "end_offset", endLine = "end_line", rows
        case outputOffset = "output_offset", committedAt = "committed_at", seconds, lastKey = "last_key", shard
        case rowsRejected = "rows_rejected", stats
    }
}

enum Timestamp {
    static func now() -> String { format(Date()) }

    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}

/// One shard of a run split with `--shard i/n` (`nightjar_shards`).
public struct ShardRecord: Sendable, Equatable, Codable {
    public var runID: String
    public var shard: Int
    public var shards: Int
    public var status: RunRecord.Status
    public var rows: Int
    public var chunks: Int
    public var host: String
    public var pid: Int
    public var startedAt: String
    public var endedAt: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", shard, shards, status, rows, chunks, host, pid, startedAt = "started_at", endedAt = "ended_at", error
    }
}
