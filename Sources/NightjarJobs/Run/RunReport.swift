import Foundation

/// Text and JSON views of the run store for `nightjar runs`.
public enum RunReport {
    public static func table(_ runs: [RunRecord]) -> String {
        let header = ["RUN", "JOB", "DATE", "TRIGGER", "STATUS", "MODEL", "ROWS", "REJECTED", "DRIFT", "STARTED", "SECONDS"]
        var rows = [header]
        for r in runs {
            rows.append([r.runID, r.job, r.logicalDate, r.trigger.rawValue, r.status.rawValue,
                         "\(r.modelName ?? "-")@\(r.modelVersion ?? "-")", String(r.rowsWritten), String(r.rowsRejected), r.driftStatus?.rawValue ?? "-",
                         String(r.startedAt.prefix(19)), duration(r).map { String(format: "%.2f", $0) } ?? "-"])
        }
        return align(rows)
    }

    /// The run's active time: its attempts' seconds at work (a resumed run's downtime excluded);
    /// for runs recorded before active time was, start to end.
    public static func duration(_ r: RunRecord) -> Double? {
        if let active = r.activeSeconds, r.endedAt != nil { return active }
        guard let s = Timestamp.parse(r.startedAt), let e = r.endedAt.flatMap(Timestamp.parse) else { return nil }
        return e.timeIntervalSince(s)
    }

    static func align(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = first.map(\.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { row in
            row.enumerated().map { i, c in i == row.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    public static func detail(_ r: RunRecord, chunks: [ChunkRecord], shards: [ShardRecord] = [], features: [FeatureStatRecord] = [],
                              rejects: [RejectCount] = [], shadows: [ShadowComparisonRecord] = []) -> String {
        var lines: [String] = []
        func add(_ k: String, _ v: String?) { lines.append(k.padding(toLength: 16, withPad: " ", startingAt: 0) + (v ?? "-")) }
        add("run", r.runID); add("job", r.job); add("logical date", r.logicalDate); add("trigger", r.trigger.rawValue)
        add("status", r.status.rawValue); add("attempt", String(r.attempt)); add("scheduled for", r.scheduledFor)
        add("started", r.startedAt); add("ended", r.endedAt)
        if let d = duration(r) {
            add("duration", String(format: "%.2f s (%.0f rows/s)", d, d > 0 ? Double(r.rowsWritten) / d : 0))
        }
        add("rows", "read \(r.rowsRead), rejected \(r.rowsRejected), scored \(r.rowsScored), written \(r.rowsWritten)")
        add("model", "\(r.modelName ?? "-")@\(r.modelVersion ?? "")\(r.modelAlias.map { " (alias \($0) when the run started)" } ?? "") (\(r.modelPath ?? "-"))")
        if let b = r.bundlePath { add("bundle", b) }
        add("model sha256", r.modelSHA256)
        add("source", r.source); add("sink", r.sink)
        add("nightjar", r.nightjarVersion); add("host", "\(r.host ?? "-") (pid \(r.pid.map(String.init) ?? "-"))")
        if let e = r.error { add("error", e) }
        if let d = r.driftStatus {
            add("drift", "\(d.rawValue)\(r.predictionPSI.map { String(format: ", predictions PSI %.4f", $0) } ?? "")")
        }
        if !features.isEmpty {
            lines.append("")
            lines.append("most drifted features:")
            var rows = [["FEATURE", "PSI", "STATUS", "NULL RATE", "MEAN", "MIN", "MAX"]]
            func number(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "-" }
            for f in features.sorted(by: { $0.psi > $1.psi }).prefix(10) {
                rows.append([f.feature, String(format: "%.4f", f.psi), f.status.rawValue, String(format: "%.2f%%", f.nullRate * 100),
                             number(f.mean), number(f.min), number(f.max)])
            }
            lines.append(align(rows))
        }
        if !shadows.isEmpty {
            lines.append("")
            lines.append("shadow challengers against the champion (\(r.modelName ?? "")@\(r.modelVersion ?? "")):")
            lines.append(shadowTable(shadows))
        }
        if !rejects.isEmpty {
            lines.append("")
            lines.append("rejected rows by column and reason (rows in nightjar_rejects):")
            var rows = [["COLUMN", "REASON", "ROWS"]]
            for c in rejects { rows.append([c.column, c.reason, String(c.count)]) }
            lines.append(align(rows))
        }
        if !shards.isEmpty {
            lines.append("")
            lines.append("shards: \(shards.filter { $0.status == .succeeded }.count) of \(shards.first!.shards) finished")
            var rows = [["SHARD", "STATUS", "ROWS", "CHUNKS", "HOST", "PID", "ERROR"]]
            for s in shards {
                rows.append(["\(s.shard)/\(s.shards)", s.status.rawValue, String(s.rows), String(s.chunks), s.host, String(s.pid), s.error ?? ""])
            }
            lines.append(align(rows))
        }
        lines.append("")
        lines.append("chunks: \(chunks.count)")
        var rows = [["CHUNK", "FILE", "BYTES", "ROWS", "REJECTED", "SECONDS", "COMMITTED"]]
        for c in chunks {
            rows.append([String(c.chunk), URL(fileURLWithPath: c.sourceFile).lastPathComponent, "\(c.startOffset)-\(c.endOffset)",
                         String(c.rows), String(c.rowsRejected), String(format: "%.3f", c.seconds), String(c.committedAt.prefix(23))])
        }
        lines.append(align(rows))
        return lines.joined(separator: "\n")
    }

    public static func shadowTable(_ shadows: [ShadowComparisonRecord]) -> String {
        var rows = [["CHALLENGER", "VERSION", "ROWS", "MEAN |Δ|", "MAX |Δ|", "CORRELATION", "FLIPPED", "PSI", "µs/ROW (CHAMPION → CHALLENGER)"]]
        for c in shadows {
            rows.append([c.challenger, c.modelVersion, String(c.rows), String(format: "%.5f", c.meanAbsDiff), String(format: "%.5f", c.maxAbsDiff),
                         c.correlation.map { String(format: "%.4f", $0) } ?? "-", String(format: "%.2f%%", c.flipRate * 100),
                         String(format: "%.4f", c.predictionPSI), String(format: "%.2f → %.2f", c.championMicrosPerRow, c.challengerMicrosPerRow)])
        }
        return align(rows)
    }

    public static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // JSON has no NaN or infinity: without this, one such value (a PSI over an empty
        // reference bin) made the whole output empty.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    public struct Detail: Encodable {
        public var run: RunRecord
        public var chunks: [ChunkRecord]
        public var shards: [ShardRecord]
        public var features: [FeatureStatRecord]
        public var rejects: [RejectCount]
        public var shadows: [ShadowComparisonRecord]
        public init(run: RunRecord, chunks: [ChunkRecord], shards: [ShardRecord] = [], features: [FeatureStatRecord] = [],
                    rejects: [RejectCount] = [], shadows: [ShadowComparisonRecord] = []) {
            self.shadows = shadows
            self.run = run
            self.chunks = chunks
            self.shards = shards
            self.features = features
            self.rejects = rejects
        }
    }
}
