import Foundation
import NightjarIO

extension SQLiteRunStore {
    /// Runs `body` in an immediate transaction (the write lock taken at once); rolls back if it throws.
    func transaction(_ body: () throws -> Void) throws {
        try db.execute("BEGIN IMMEDIATE")
        do {
            try body()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: Aliases

    public func aliases(model: String?) throws -> [ModelAlias] {
        let s = try db.prepare("SELECT \(ModelAlias.storeColumns.list()) FROM nightjar_model_aliases\(model == nil ? "" : " WHERE model = ?") ORDER BY model, alias")
        if let model { s.bind(1, string: model) }
        var out: [ModelAlias] = []
        while try s.step() { out.append(try ModelAlias(row: row("nightjar_model_aliases", ModelAlias.storeColumns, s))) }
        return out
    }

    public func aliasEvents(model: String, alias: String?) throws -> [AliasEvent] {
        let s = try db.prepare("SELECT \(AliasEvent.storeColumns.list()) FROM nightjar_alias_events WHERE model = ?\(alias == nil ? "" : " AND alias = ?") ORDER BY event_id")
        s.bind(1, string: model)
        if let alias { s.bind(2, string: alias) }
        var out: [AliasEvent] = []
        while try s.step() { out.append(try AliasEvent(row: row("nightjar_alias_events", AliasEvent.storeColumns, s))) }
        return out
    }

    public func apply(_ e: AliasEvent) throws {
        try transaction {
        let insert = try db.prepare("INSERT INTO nightjar_alias_events (model, alias, action, version, previous_version, at, reason, run_id) VALUES (?,?,?,?,?,?,?,?)")
        for (i, v) in [e.model, e.alias, e.action.rawValue, e.version, e.previousVersion, e.at, e.reason, e.runID].enumerated() {
            if let v { insert.bind(Int32(i + 1), string: v) } else { insert.bindNull(Int32(i + 1)) }
        }
        try insert.step()
        let set = try db.prepare("INSERT OR REPLACE INTO nightjar_model_aliases (model, alias, version, updated_at) VALUES (?,?,?,?)")
        set.bind(1, string: e.model); set.bind(2, string: e.alias); set.bind(3, string: e.version); set.bind(4, string: e.at)
        try set.step()
        }
    }

    // MARK: Rejects and statistics

    public func replaceRejects(runID: String, shard: Int, chunk: Int, _ rejects: [RejectRecord]) throws {
        try transaction {
        let delete = try db.prepare("DELETE FROM nightjar_rejects WHERE run_id = ? AND shard = ? AND chunk = ?")
        delete.bind(1, string: runID); delete.bind(2, int: Int64(shard)); delete.bind(3, int: Int64(chunk))
        try delete.step()
        let insert = try db.prepare("INSERT OR REPLACE INTO nightjar_rejects (run_id, shard, chunk, row_number, key, column_name, value, reason) VALUES (?,?,?,?,?,?,?,?)")
        for r in rejects {
            insert.reset()
            insert.bind(1, string: r.runID); insert.bind(2, int: Int64(r.shard)); insert.bind(3, int: Int64(r.chunk))
            insert.bind(4, int: Int64(r.rowNumber)); insert.bind(5, string: r.key); insert.bind(6, string: r.column)
            insert.bind(7, string: r.value); insert.bind(8, string: r.reason)
            try insert.step()
        }
        }
    }

    public func deleteRejects(runID: String, shard: Int, fromChunk: Int) throws {
        let s = try db.prepare("DELETE FROM nightjar_rejects WHERE run_id = ? AND shard = ? AND chunk >= ?")
        s.bind(1, string: runID); s.bind(2, int: Int64(shard)); s.bind(3, int: Int64(fromChunk))
        try s.step()
    }

    public func rejectCounts(runID: String) throws -> [RejectCount] {
        let s = try db.prepare("SELECT column_name, reason, count(*) FROM nightjar_rejects WHERE run_id = ? GROUP BY column_name, reason ORDER BY count(*) DESC, column_name, reason")
        s.bind(1, string: runID)
        var out: [RejectCount] = []
        while try s.step() { out.append(try RejectCount(row: row("nightjar_rejects", RejectCount.storeColumns, s))) }
        return out
    }

    public func rejects(runID: String, limit: Int) throws -> [RejectRecord] {
        let s = try db.prepare("SELECT \(RejectRecord.storeColumns.list()) FROM nightjar_rejects WHERE run_id = ? ORDER BY shard, chunk, row_number, column_name LIMIT ?")
        s.bind(1, string: runID); s.bind(2, int: Int64(limit))
        var out: [RejectRecord] = []
        while try s.step() { out.append(try RejectRecord(row: row("nightjar_rejects", RejectRecord.storeColumns, s))) }
        return out
    }

    public func replaceFeatureStats(runID: String, _ stats: [FeatureStatRecord]) throws {
        try transaction {
        let delete = try db.prepare("DELETE FROM nightjar_feature_stats WHERE run_id = ?")
        delete.bind(1, string: runID)
        try delete.step()
        let insert = try db.prepare("INSERT INTO nightjar_feature_stats (run_id, feature, rows, null_rate, mean, min, max, psi, status) VALUES (?,?,?,?,?,?,?,?,?)")
        for f in stats {
            insert.reset()
            insert.bind(1, string: runID); insert.bind(2, string: f.feature); insert.bind(3, int: Int64(f.rows))
            insert.bind(4, double: f.nullRate)
            for (i, v) in [f.mean, f.min, f.max].enumerated() {
                if let v, v.isFinite { insert.bind(Int32(5 + i), double: v) } else { insert.bindNull(Int32(5 + i)) }
            }
            insert.bind(8, double: f.psi); insert.bind(9, string: f.status.rawValue)
            try insert.step()
        }
        }
    }

    public func featureStats(runID: String) throws -> [FeatureStatRecord] {
        let s = try db.prepare("SELECT \(FeatureStatRecord.storeColumns.list()) FROM nightjar_feature_stats WHERE run_id = ? ORDER BY psi DESC, feature")
        s.bind(1, string: runID)
        var out: [FeatureStatRecord] = []
        while try s.step() { out.append(try FeatureStatRecord(row: row("nightjar_feature_stats", FeatureStatRecord.storeColumns, s))) }
        return out
    }

    /// The statement's current row, for the records' decoders.
    func row(_ table: String, _ columns: RunStoreColumns, _ s: SQLiteStatement) -> RunStoreRow {
        RunStoreRow(location: path, table: table, columns: columns, statement: s)
    }
}

extension SQLiteRunStore {
    static let shadowColumns = ShadowComparisonRecord.storeColumns.list()

    public func replaceShadowComparisons(runID: String, _ comparisons: [ShadowComparisonRecord]) throws {
        try transaction {
        let delete = try db.prepare("DELETE FROM nightjar_shadow_comparisons WHERE run_id = ?")
        delete.bind(1, string: runID)
        try delete.step()
        let insert = try db.prepare("INSERT INTO nightjar_shadow_comparisons (\(SQLiteRunStore.shadowColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        for c in comparisons {
            insert.reset()
            for (i, t) in [c.runID, c.job, c.logicalDate, c.challenger, c.modelName, c.modelVersion, c.championVersion].enumerated() {
                insert.bind(Int32(i + 1), string: t)
            }
            insert.bind(8, int: Int64(c.rows))
            insert.bind(9, double: c.meanAbsDiff); insert.bind(10, double: c.maxAbsDiff)
            if let r = c.correlation { insert.bind(11, double: r) } else { insert.bindNull(11) }
            insert.bind(12, double: c.flipRate); insert.bind(13, double: c.predictionPSI)
            insert.bind(14, double: c.championMicrosPerRow); insert.bind(15, double: c.challengerMicrosPerRow)
            try insert.step()
        }
        }
    }

    private func shadowRows(_ sql: String, _ bind: (SQLiteStatement) -> Void) throws -> [ShadowComparisonRecord] {
        let s = try db.prepare(sql)
        bind(s)
        var out: [ShadowComparisonRecord] = []
        while try s.step() {
            out.append(try ShadowComparisonRecord(row: row("nightjar_shadow_comparisons", ShadowComparisonRecord.storeColumns, s)))
        }
        return out
    }

    public func shadowComparisons(runID: String) throws -> [ShadowComparisonRecord] {
        try shadowRows("SELECT \(SQLiteRunStore.shadowColumns) FROM nightjar_shadow_comparisons WHERE run_id = ? ORDER BY challenger") { $0.bind(1, string: runID) }
    }

    public func shadowHistory(model: String, version: String, limit: Int) throws -> [ShadowComparisonRecord] {
        let columns = ShadowComparisonRecord.storeColumns.list(prefix: "c.")
        return try shadowRows("""
            SELECT \(columns) FROM nightjar_shadow_comparisons c JOIN nightjar_runs r USING (run_id)
            WHERE c.model_name = ? AND c.model_version = ? AND r.status = 'succeeded' ORDER BY r.started_at DESC LIMIT ?
            """) { s in s.bind(1, string: model); s.bind(2, string: version); s.bind(3, int: Int64(limit)) }
    }
}
