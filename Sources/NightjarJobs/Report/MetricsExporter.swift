import Foundation

/// Run metrics in the Prometheus text exposition format (version 0.0.4), for the node exporter's
/// textfile collector or for a Pushgateway.
///
/// Batch runs are too short-lived to be scraped, so they leave their numbers where Prometheus can
/// find them. Every metric is a gauge describing the latest run of a job, labelled with `job`, so
/// alerts read naturally: "no success for 26 hours" is
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

    /// One metric family: all of these are gauges.
    struct Family {
        var name: String
        var help: String
        var samples: [Sample]
    }

    /// The metric families of a run.
    ///
    /// `jobLabel` is false for the Pushgateway, where the job is part of the grouping key in the URL
    /// and the gateway overwrites any `job` label in the body anyway.
    static func families(_ m: RunMetrics, includeLastSuccess: Bool, jobLabel: Bool = true) -> [Family] {
        let job: [(String, String)] = jobLabel ? [("job", m.job)] : []
        var families: [Family] = [
            Family(name: "nightjar_run_end_timestamp_seconds",
                   help: "Unix time the latest run of the job ended, whatever its outcome.",
                   samples: [Sample(labels: job, value: m.endTimestamp)]),
            Family(name: "nightjar_run_success",
                   help: "Whether the latest run of the job succeeded (1) or not (0).",
                   samples: [Sample(labels: job, value: m.status == "succeeded" ? 1 : 0)]),
            Family(name: "nightjar_run_duration_seconds",
                   help: "Wall-clock duration of the latest run of the job.",
                   samples: [Sample(labels: job, value: m.durationSeconds)]),
            // A gauge, not a counter: the value is the row count of one run, replaced by the next
            // run, not a running total; rate() over it would be meaningless.
            Family(name: "nightjar_run_rows_total",
                   help: "Rows of the latest run per stage (a per-run value, hence a gauge).",
                   samples: m.rows.sorted { $0.key < $1.key }.map {
                       Sample(labels: job + [("stage", $0.key)], value: Double($0.value))
                   }),
            Family(name: "nightjar_run_rejected_rows",
                   help: "Rows the latest run of the job rejected.",
                   samples: [Sample(labels: job, value: Double(m.rejectedRows))]),
            Family(name: "nightjar_feature_psi",
                   help: "Population stability index of each input feature in the latest run against the training reference.",
                   samples: m.featurePSI.sorted { $0.key < $1.key }.map {
                       Sample(labels: job + [("feature", $0.key)], value: $0.value)
                   }),
            Family(name: "nightjar_run_info",
                   help: "Always 1; labels describe the latest run of the job.",
                   samples: [Sample(labels: job + [("logical_date", m.logicalDate), ("model_version", m.modelVersion),
                                                    ("status", m.status)], value: 1)]),
        ]
        if let p = m.predictionPSI {
            families.append(Family(name: "nightjar_prediction_psi",
                                   help: "Population stability index of the predictions of the latest run against the training reference.",
                                   samples: [Sample(labels: job, value: p)]))
        }
        if let n = m.autoRollbacks {
            families.append(Family(name: "nightjar_model_auto_rollbacks",
                                   help: "Automatic rollbacks of the job's model alias recorded in the run store so far.",
                                   samples: [Sample(labels: job, value: Double(n))]))
        }
        families.append(Family(name: "nightjar_shadow_flip_rate",
                               help: "Share of rows whose label a shadow challenger flipped against the champion in the latest run.",
                               samples: m.shadowFlipRate.sorted { $0.key < $1.key }.map { Sample(labels: job + [("challenger", $0.key)], value: $0.value) }))
        families.append(Family(name: "nightjar_shadow_prediction_psi",
                               help: "PSI of a shadow challenger's predictions against the champion's in the latest run.",
                               samples: m.shadowPredictionPSI.sorted { $0.key < $1.key }.map { Sample(labels: job + [("challenger", $0.key)], value: $0.value) }))
        if includeLastSuccess, let t = m.lastSuccessTimestamp {
            families.append(Family(name: "nightjar_run_last_success_timestamp_seconds",
                                   help: "Unix time the last successful run of the job ended.",
                                   samples: [Sample(labels: job, value: t)]))
        }
        return families.filter { !$0.samples.isEmpty }.sorted { $0.name < $1.name }
    }

    /// Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` lines, escaped label values,
    /// sorted stable output. `includeLastSuccess: false` leaves out
    /// `nightjar_run_last_success_timestamp_seconds` (as does a nil `lastSuccessTimestamp`).
    public static func render(_ m: RunMetrics, includeLastSuccess: Bool = true) -> String {
        text(families(m, includeLastSuccess: includeLastSuccess))
    }

    static func text(_ families: [Family]) -> String {
        var out = ""
        for f in families {
            out += "# HELP \(f.name) \(escapeHelp(f.help))\n"
            out += "# TYPE \(f.name) gauge\n"
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

