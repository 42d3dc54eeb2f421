import Foundation
import NightjarIO

extension PostgresRunStore {
    // MARK: Aliases

    public func aliases(model: String?) throws -> [ModelAlias] {
        let result = model == nil
            ? try connection.execute("SELECT model, alias, version, \(PostgresRunStore.iso("updated_at")) FROM nightjar.model_aliases ORDER BY model, alias")
            : try connection.execute("SELECT model, alias, version, \(PostgresRunStore.iso("updated_at")) FROM nightjar.model_aliases WHERE model = $1 ORDER BY alias", [model])
        return result.rows.map { ModelAlias(model: $0[0]!, alias: $0[1]!, version: $0[2]!, updatedAt: $0[3]!) }
    }

    public func aliasEvents(model: String, alias: String?) throws -> [AliasEvent] {
        var sql = "SELECT model, alias, action, version, previous_version, \(PostgresRunStore.iso("at")), reason, run_id FROM nightjar.alias_events WHERE model = $1"
        var args: [String?] = [model]
        if let alias { sql += " AND alias = $2"; args.append(alias) }
        return try connection.execute(sql + " ORDER BY event_id", args).rows.map { r in
            AliasEvent(model: r[0]!, alias: r[1]!, action: AliasEvent.Action(rawValue: r[2]!) ?? .promote, version: r[3]!,
                       previousVersion: r[4], at: r[5]!, reason: r[6], runID: r[7])
        }
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
            """, [runID]).rows.map { RejectCount(column: $0[0]!, reason: $0[1]!, count: Int($0[2]!)!) }
    }

    public func rejects(runID: String, limit: Int) throws -> [RejectRecord] {
        try connection.execute("""
            SELECT run_id, shard, chunk, row_number, key, column_name, value, reason FROM nightjar.rejects WHERE run_id = $1
            ORDER BY shard, chunk, row_number, column_name LIMIT $2
            """, [runID, String(limit)]).rows.map { r in
            RejectRecord(runID: r[0]!, shard: Int(r[1]!)!, chunk: Int(r[2]!)!, rowNumber: Int(r[3]!)!, key: r[4]!, column: r[5]!,
                         value: r[6]!, reason: r[7]!)
        }
    }

    public func replaceFeatureStats(runID: String, _ stats: [FeatureStatRecord]) throws {
        try transaction {
            try connection.execute("DELETE FROM nightjar.feature_stats WHERE run_id = $1", [runID])
            for f in stats {
                func number(_ v: Double?) -> String? { v.flatMap { $0.isFinite ? "\($0)" : nil } }
                try connection.execute("""
                    INSERT INTO nightjar.feature_stats (run_id, feature, rows, null_rate, mean, min, max, psi, status)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """, [runID, f.feature, String(f.rows), "\(f.nullRate)", number(f.mean), number(f.min), number(f.max), "\(f.psi)", f.status])
            }
        }
    }

    public func featureStats(runID: String) throws -> [FeatureStatRecord] {
        try connection.execute("""
            SELECT feature, rows, null_rate, mean, min, max, psi, status FROM nightjar.feature_stats WHERE run_id = $1 ORDER BY psi DESC, feature
            """, [runID]).rows.map { r in
            FeatureStatRecord(runID: runID, feature: r[0]!, rows: Int(r[1]!)!, nullRate: Double(r[2]!)!, mean: r[3].flatMap(Double.init),
                              min: r[4].flatMap(Double.init), max: r[5].flatMap(Double.init), psi: Double(r[6]!)!, status: r[7]!)
        }
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
    static let shadowColumns = "run_id, job, logical_date, challenger, model_name, model_version, champion_version, rows, mean_abs_diff, max_abs_diff, correlation, flip_rate, prediction_psi, champion_us_per_row, challenger_us_per_row"

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
        try connection.execute(sql, args).rows.map { r in
            ShadowComparisonRecord(runID: r[0]!, job: r[1]!, logicalDate: r[2]!, challenger: r[3]!, modelName: r[4]!, modelVersion: r[5]!,
                                   championVersion: r[6]!, rows: Int(r[7]!)!, meanAbsDiff: Double(r[8]!)!, maxAbsDiff: Double(r[9]!)!,
                                   correlation: r[10].flatMap(Double.init), flipRate: Double(r[11]!)!, predictionPSI: Double(r[12]!)!,
                                   championMicrosPerRow: Double(r[13]!)!, challengerMicrosPerRow: Double(r[14]!)!)
        }
    }

    public func shadowComparisons(runID: String) throws -> [ShadowComparisonRecord] {
        try shadowRows("SELECT \(PostgresRunStore.shadowColumns.replacingOccurrences(of: "logical_date", with: "logical_date::text")) FROM nightjar.shadow_comparisons WHERE run_id = $1 ORDER BY challenger", [runID])
    }

    public func shadowHistory(model: String, version: String, limit: Int) throws -> [ShadowComparisonRecord] {
        let columns = PostgresRunStore.shadowColumns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: ", ").replacingOccurrences(of: "c.logical_date", with: "c.logical_date::text")
        return try shadowRows("""
            SELECT \(columns) FROM nightjar.shadow_comparisons c JOIN nightjar.runs r USING (run_id)
            WHERE c.model_name = $1 AND c.model_version = $2 AND r.status = 'succeeded' ORDER BY r.started_at DESC LIMIT $3
            """, [model, version, String(limit)])
    }
}
