import Foundation
import NightjarIO

extension PostgresRunStore {
    // MARK: Aliases

    public func aliases(model: String?) throws -> [ModelAlias] {
        let columns = ModelAlias.storeColumns
        let select = "SELECT \(columns.list(["updated_at": PostgresRunStore.iso("updated_at")])) FROM nightjar.model_aliases"
        let result = model == nil
            ? try connection.execute("\(select) ORDER BY model, alias")
            : try connection.execute("\(select) WHERE model = $1 ORDER BY alias", [model])
        return try result.rows.map { try ModelAlias(row: row("nightjar.model_aliases", columns, $0)) }
    }

    public func aliasEvents(model: String, alias: String?) throws -> [AliasEvent] {
        let columns = AliasEvent.storeColumns
        var sql = "SELECT \(columns.list(["at": PostgresRunStore.iso("at")])) FROM nightjar.alias_events WHERE model = $1"
        var args: [String?] = [model]
        if let alias { sql += " AND alias = $2"; args.append(alias) }
        return try connection.execute(sql + " ORDER BY event_id", args).rows.map { try AliasEvent(row: row("nightjar.alias_events", columns, $0)) }
    }

    public func apply(_ e: AliasEvent) throws {
        try transaction {
            try connection.execute("""
                INSERT INTO nightjar.alias_events (model, alias, action, version, previous_version, at, reason, run_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [e.model, e.alias, e.action.rawValue, e.version, e.previousVersion, e.at, e.reason, e.runID])
            try connection.execute("""
                INSERT INTO nightjar.model_aliases (model, alias, version, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
                """, [e.model, e.alias, e.version, e.at])
        }
    }

    // MARK: Rejects and statistics

    public func replaceRejects(runID: String, shard: Int, chunk: Int, _ rejects: [RejectRecord]) throws {
        try transaction {
            try connection.execute("DELETE FROM nightjar.rejects WHERE run_id = $1 AND shard = $2 AND chunk = $3", [runID, String(shard), String(chunk)])
            // Multi-row inserts of up to 1,000 rows (8 parameters each, well under PostgreSQL's 65,535).
            var at = 0
            while at < rejects.count {
                let part = rejects[at..<min(rejects.count, at + 1000)]
                var marks: [String] = []
                var args: [String?] = []
                for r in part {
                    let base = args.count
                    marks.append("(" + (1...8).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
                    args += [r.runID, String(r.shard), String(r.chunk), String(r.rowNumber), r.key, r.column, r.value, r.reason]
                }
                try connection.execute("""
                    INSERT INTO nightjar.rejects (run_id, shard, chunk, row_number, key, column_name, value, reason) VALUES \(marks.joined(separator: ", "))
                    ON CONFLICT DO NOTHING
                    """, args)
                at += part.count
            }
        }
    }

    public func deleteRejects(runID: String, shard: Int, fromChunk: Int) throws {
        try connection.execute("DELETE FROM nightjar.rejects WHERE run_id = $1 AND shard = $2 AND chunk >= $3", [runID, String(shard), String(fromChunk)])
    }

    public func rejectCounts(runID: String) throws -> [RejectCount] {
        try connection.execute("""
            SELECT column_name, reason, count(*) FROM nightjar.rejects WHERE run_id = $1
            GROUP BY column_name, reason ORDER BY count(*) DESC, column_name, reason
            """, [runID]).rows.map { try RejectCount(row: row("nightjar.rejects", RejectCount.storeColumns, $0)) }
    }

    public func rejects(runID: String, limit: Int) throws -> [RejectRecord] {
        try connection.execute("""
            SELECT \(RejectRecord.storeColumns.list()) FROM nightjar.rejects WHERE run_id = $1
            ORDER BY shard, chunk, row_number, column_name LIMIT $2
            """, [runID, String(limit)]).rows.map { try RejectRecord(row: row("nightjar.rejects", RejectRecord.storeColumns, $0)) }
    }

    public func replaceFeatureStats(runID: String, _ stats: [FeatureStatRecord]) throws {
        try transaction {
            try connection.execute("DELETE FROM nightjar.feature_stats WHERE run_id = $1", [runID])
            for f in stats {
                func number(_ v: Double?) -> String? { v.flatMap { $0.isFinite ? "\($0)" : nil } }
                try connection.execute("""
                    INSERT INTO nightjar.feature_stats (run_id, feature, rows, null_rate, mean, min, max, psi, status)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """, [runID, f.feature, String(f.rows), "\(f.nullRate)", number(f.mean), number(f.min), number(f.max), "\(f.psi)", f.status.rawValue])
            }
        }
    }

    public func featureStats(runID: String) throws -> [FeatureStatRecord] {
        try connection.execute("""
            SELECT \(FeatureStatRecord.storeColumns.list()) FROM nightjar.feature_stats WHERE run_id = $1 ORDER BY psi DESC, feature
            """, [runID]).rows.map { try FeatureStatRecord(row: row("nightjar.feature_stats", FeatureStatRecord.storeColumns, $0)) }
    }

    /// A result row, for the records' decoders.
    func row(_ table: String, _ columns: RunStoreColumns, _ text: [String?]) -> RunStoreRow {
        RunStoreRow(location: location, table: table, columns: columns, text: text)
    }

    /// A timestamptz column as ISO 8601 in UTC with milliseconds, like the SQLite store's text.
    static func iso(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    func transaction(_ body: () throws -> Void) throws {
        try connection.execute("BEGIN")
        do {
            try body()
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}

extension PostgresRunStore {
    static let shadowColumns = ShadowComparisonRecord.storeColumns.list()

    public func replaceShadowComparisons(runID: String, _ comparisons: [ShadowComparisonRecord]) throws {
        try transaction {
            try connection.execute("DELETE FROM nightjar.shadow_comparisons WHERE run_id = $1", [runID])
            for c in comparisons {
                try connection.execute("INSERT INTO nightjar.shadow_comparisons (\(PostgresRunStore.shadowColumns)) VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                                       [c.runID, c.job, c.logicalDate, c.challenger, c.modelName, c.modelVersion, c.championVersion, String(c.rows),
                                        "\(c.meanAbsDiff)", "\(c.maxAbsDiff)", c.correlation.map { "\($0)" }, "\(c.flipRate)", "\(c.predictionPSI)",
                                        "\(c.championMicrosPerRow)", "\(c.challengerMicrosPerRow)"])
            }
        }
    }

    private func shadowRows(_ sql: String, _ args: [String?]) throws -> [ShadowComparisonRecord] {
        try connection.execute(sql, args).rows.map { try ShadowComparisonRecord(row: row("nightjar.shadow_comparisons", ShadowComparisonRecord.storeColumns, $0)) }
    }

    public func shadowComparisons(runID: String) throws -> [ShadowComparisonRecord] {
        try shadowRows("SELECT \(ShadowComparisonRecord.storeColumns.list(["logical_date": "logical_date::text"])) FROM nightjar.shadow_comparisons WHERE run_id = $1 ORDER BY challenger", [runID])
    }

    public func shadowHistory(model: String, version: String, limit: Int) throws -> [ShadowComparisonRecord] {
        let columns = ShadowComparisonRecord.storeColumns.list(prefix: "c.", ["logical_date": "c.logical_date::text"])
        return try shadowRows("""
            SELECT \(columns) FROM nightjar.shadow_comparisons c JOIN nightjar.runs r USING (run_id)
            WHERE c.model_name = $1 AND c.model_version = $2 AND r.status = 'succeeded' ORDER BY r.started_at DESC LIMIT $3
            """, [model, version, String(limit)])
    }
}
