import Foundation
import NightjarIO

extension RunReportData {
    /// Per feature, the mean |contribution| and the share of first reasons over the champion's
    /// rows of the run, read from its SQLite output (`sqlite:PATH#TABLE` in the run record); empty
    /// when the output has no explanation columns or is not SQLite. Multi-class contributions
    /// (`contrib_<k>_<feature>`) are summed over the classes.
    static func explanations(sink: String?, runID: String, modelVersion: String?) -> [FeatureExplanation] {
        guard let sink, sink.hasPrefix("sqlite:"), let hash = sink.lastIndex(of: "#") else { return [] }
        let path = String(sink[sink.index(sink.startIndex, offsetBy: 7)..<hash]), table = String(sink[sink.index(after: hash)...])
        guard FileManager.default.fileExists(atPath: path), let db = try? SQLiteDatabase.openForReading(path: path),
              let columns = try? db.query("PRAGMA table_info(\(SQLiteDatabase.quote(table)))").compactMap({ $0.count > 1 ? $0[1] : nil }) else { return [] }
        let contributions = columns.filter { $0.hasPrefix("contrib_") && !$0.hasSuffix("_bias") && $0 != "contrib_bias" }
        let where_ = "WHERE run_id = ? AND model_version = ?"
        var byFeature: [String: (mean: Double?, share: Double?)] = [:]
        var order: [String] = []
        func feature(_ column: String) -> String {
            // contrib_<k>_<feature> (multi-class) when contrib_0_… columns exist, else contrib_<feature>.
            let rest = String(column.dropFirst("contrib_".count))
            if columns.contains(where: { $0.hasPrefix("contrib_0_") }), let underscore = rest.firstIndex(of: "_"), Int(rest[..<underscore]) != nil {
                return String(rest[rest.index(after: underscore)...])
            }
            return rest
        }
        if !contributions.isEmpty {
            let select = contributions.map { "avg(abs(\(SQLiteDatabase.quote($0))))" }.joined(separator: ", ")
            if let s = try? db.prepare("SELECT \(select) FROM \(SQLiteDatabase.quote(table)) \(where_)") {
                s.bind(1, string: runID)
                s.bind(2, string: modelVersion ?? "")
                if (try? s.step()) == true {
                    for (i, c) in contributions.enumerated() where s.string(at: i) != nil {
                        let f = feature(c)
                        if byFeature[f] == nil { order.append(f) }
                        byFeature[f, default: (nil, nil)].mean = (byFeature[f]?.mean ?? 0) + s.double(at: i)
                    }
                }
            }
        }
        if columns.contains("reason_1"), let s = try? db.prepare("""
            SELECT reason_1, count(*) * 1.0 / (SELECT count(*) FROM \(SQLiteDatabase.quote(table)) \(where_))
            FROM \(SQLiteDatabase.quote(table)) \(where_) AND reason_1 IS NOT NULL GROUP BY reason_1
            """) {
            s.bind(1, string: runID); s.bind(2, string: modelVersion ?? ""); s.bind(3, string: runID); s.bind(4, string: modelVersion ?? "")
            while (try? s.step()) == true, let f = s.string(at: 0) {
                if byFeature[f] == nil { order.append(f) }
                byFeature[f, default: (nil, nil)].share = s.double(at: 1)
            }
        }
        return order.map { FeatureExplanation(feature: $0, meanAbsContribution: byFeature[$0]?.mean, firstReasonShare: byFeature[$0]?.share) }
            .sorted { ($0.meanAbsContribution ?? $0.firstReasonShare ?? 0) > ($1.meanAbsContribution ?? $1.firstReasonShare ?? 0) }
    }
}
