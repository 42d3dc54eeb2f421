import Foundation

/// Run metrics in the Prometheus text exposition format (version 0.0.4), for the node exporter's
/// textfile collector or for a Pushgateway.
///
/// Batch runs are too short-lived to be scraped, so they leave their numbers where Prometheus can
/// find them. Names and types follow Prometheus' conventions, so `promtool check metrics` passes:
/// gauges describe the latest run of a job (no `_total` suffix), counters end in `_total`, units
/// are `_seconds`. Every sample is labelled with `nightjar_job`, never `job`: Prometheus sets `job`
/// to its own scrape job and would rename ours to `exported_job`. No label changes from one run to
/// the next (the logical date and the outcome are values), so a job keeps one series per metric.
/// Alerts read naturally: "no success for 26 hours" is
/// `time() - nightjar_run_last_success_timestamp_seconds > 26 * 3600`.
///
/// Output is sorted (metric families by name, samples by label values), so two renders of the same
/// run are byte-identical and the file diffs cleanly.
public enum MetricsExporter {
    /// One sample of a family: label pairs in the order written, and the value.
    struct Sample {
        var labels: [(String, String)]
        var value: Double
    }

    /// The Prometheus metric types Nightjar writes.
    enum Kind: String {
        case gauge, counter
    }

    /// One metric family.
    struct Family {
        var name: String
        var help: String
        var kind: Kind = .gauge
        var samples: [Sample]
    }

    /// The label that names the Nightjar job on every sample.
    static let jobLabel = "nightjar_job"

    /// The metric families of a run.
    ///
    /// `jobLabel` is false for the Pushgateway, where the job is part of the grouping key in the URL
    /// (`nightjar_job=<job>`) and the gateway adds it to every sample.
    static func families(_ m: RunMetrics, includeLastSuccess: Bool, jobLabel: Bool = true) -> [Family] {
        let job: [(String, String)] = jobLabel ? [(Self.jobLabel, m.job)] : []
        var families: [Family] = [
            Family(name: "nightjar_run_end_timestamp_seconds",
                   help: "Unix time the latest run of the job ended, whatever its outcome.",
                   samples: [Sample(labels: job, value: m.endTimestamp)]),
            Family(name: "nightjar_run_success",
                   help: "Whether the latest run of the job succeeded (1) or not (0).",
                   samples: [Sample(labels: job, value: m.status == "succeeded" ? 1 : 0)]),
            Family(name: "nightjar_run_duration_seconds",
                   help: "Seconds the latest run of the job was at work (a resumed run's downtime excluded).",
                   samples: [Sample(labels: job, value: m.durationSeconds)]),
            Family(name: "nightjar_run_logical_date_timestamp_seconds",
                   help: "Unix time of 00:00 UTC of the logical date of the latest run of the job.",
                   samples: logicalDateTimestamp(m.logicalDate).map { [Sample(labels: job, value: $0)] } ?? []),
            // A gauge: the row count of one run, replaced by the next run's.
            Family(name: "nightjar_run_rows",
                   help: "Rows of the latest run of the job per stage (read, rejected, scored, written); written is 0 when the run published nothing.",
                   samples: m.rows.sorted { $0.key < $1.key }.map {
                       Sample(labels: job + [("stage", $0.key)], value: Double($0.value))
                   }),
            Family(name: "nightjar_run_rejected_rows",
                   help: "Rows the latest run of the job rejected (they broke the input contract).",
                   samples: [Sample(labels: job, value: Double(m.rejectedRows))]),
            Family(name: "nightjar_run_drift_status",
                   help: "Worst drift of the latest run of the job: 0 ok, 1 warn, 2 fail, NaN not measured.",
                   samples: [Sample(labels: job, value: driftValue(m.driftStatus))]),
            Family(name: "nightjar_feature_psi",
                   help: "Population stability index of each input feature in the latest run against the training reference.",
                   samples: m.featurePSI.sorted { $0.key < $1.key }.map {
                       Sample(labels: job + [("feature", $0.key)], value: $0.value)
                   }),
            Family(name: "nightjar_run_info",
                   help: "Always 1; labels name the model and Nightjar version of the latest run of the job.",
                   samples: [Sample(labels: job + [("model", m.modelName), ("model_version", m.modelVersion),
                                                    ("nightjar_version", m.nightjarVersion)], value: 1)]),
        ]
        if let p = m.predictionPSI {
            families.append(Family(name: "nightjar_prediction_psi",
                                   help: "Population stability index of the predictions of the latest run against the training reference.",
                                   samples: [Sample(labels: job, value: p)]))
        }
        if let n = m.autoRollbacks {
            families.append(Family(name: "nightjar_model_auto_rollbacks_total",
                                   help: "Automatic rollbacks of the job's model alias recorded in the run store so far.",
                                   kind: .counter, samples: [Sample(labels: job, value: Double(n))]))
        }
        families.append(Family(name: "nightjar_shadow_flip_rate",
                               help: "Share of rows whose label a shadow challenger flipped against the champion in the latest run.",
                               samples: m.shadowFlipRate.sorted { $0.key < $1.key }.map { Sample(labels: job + [("challenger", $0.key)], value: $0.value) }))
        families.append(Family(name: "nightjar_shadow_prediction_psi",
                               help: "PSI of a shadow challenger's predictions against the champion's in the latest run.",
                               samples: m.shadowPredictionPSI.sorted { $0.key < $1.key }.map { Sample(labels: job + [("challenger", $0.key)], value: $0.value) }))
        families += evaluationFamilies(m.evaluations, job: job)
        if includeLastSuccess, let t = m.lastSuccessTimestamp {
            families.append(Family(name: "nightjar_run_last_success_timestamp_seconds",
                                   help: "Unix time the last successful run of the job ended.",
                                   samples: [Sample(labels: job, value: t)]))
        }
        if includeLastSuccess, let n = m.lastSuccessRowsWritten {
            families.append(Family(name: "nightjar_run_last_success_rows_written",
                                   help: "Rows the last successful run of the job published.",
                                   samples: [Sample(labels: job, value: Double(n))]))
        }
        return families.filter { !$0.samples.isEmpty }.sorted { $0.name < $1.name }
    }

    /// `ok` 0, `warn` 1, `fail` 2; NaN when the run measured no drift.
    static func driftValue(_ status: String?) -> Double {
        switch status {
        case "ok": return 0
        case "warn": return 1
        case "fail": return 2
        default: return .nan
        }
    }

    /// 00:00 UTC of a `YYYY-MM-DD` date, in Unix seconds (nil for anything else).
    static func logicalDateTimestamp(_ text: String) -> Double? {
        guard let d = LogicalDate(text),
              let date = LogicalDate.utc.date(from: DateComponents(year: d.year, month: d.month, day: d.day)) else { return nil }
        return date.timeIntervalSince1970
    }

    /// Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` lines, escaped label values,
    /// sorted stable output. `includeLastSuccess: false` leaves out the last success's metrics
    /// (`nightjar_run_last_success_*`), as does a nil `lastSuccessTimestamp`/`lastSuccessRowsWritten`.
    public static func render(_ m: RunMetrics, includeLastSuccess: Bool = true) -> String {
        text(families(m, includeLastSuccess: includeLastSuccess))
    }

    static func text(_ families: [Family]) -> String {
        var out = ""
        for f in families {
            out += "# HELP \(f.name) \(escapeHelp(f.help))\n"
            out += "# TYPE \(f.name) \(f.kind.rawValue)\n"
            for s in f.samples {
                out += f.name
                if !s.labels.isEmpty {
                    out += "{" + s.labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " " + formatValue(s.value) + "\n"
            }
        }
        return out
    }

    /// Label values escape backslash, double quote and line feed, as the format requires.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Help text escapes backslash and line feed only.
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction (row counts, whole-second timestamps read better), non-finite
    /// values as the format spells them, everything else as the shortest text that round-trips.
    static func formatValue(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}

