import Foundation

/// One run of a job for one logical date, as kept in the run store (`nightjar_runs`).
public struct RunRecord: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case running, succeeded, failed, interrupted
    }

    public enum Trigger: String, Sendable, Codable {
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

    enum CodingKeys: String, CodingKey {
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

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", chunk, fileIndex = "file_index", sourceFile = "source_file"
        case startOffset = "start_offset", endOffset = "end_offset", endLine = "end_line", rows
        case outputOffset = "output_offset", committedAt = "committed_at", seconds, lastKey = "last_key", shard
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
