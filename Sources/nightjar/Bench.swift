import ArgumentParser
import Foundation
import NightjarJobs

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Nightjar on a model and a CSV: prints one JSON object (rows/s scoring in memory, end to end, parsing; model load time).",
        discussion: """
            scoring_rows_per_second: rows already parsed into memory (best of --repeat passes). \
            end_to_end_rows_per_second: the same rows from the CSV into a temporary SQLite table, as `nightjar score` does.
            """
    )

    @Option(help: "Model file: XGBoost JSON, LightGBM text or ONNX.")
    var model: String

    @Option(help: "Input CSV (or .csv.lz4) with a header row.")
    var input: String

    @Option(help: "Rows read from the input (default: all).")
    var rows: Int?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Timed scoring passes; the best is reported.")
    var `repeat`: Int = 3

    @Option(name: .long, parsing: .singleValue, help: "ONNX models whose input is one tensor of several columns: the CSV columns that fill it, in order (repeat, or separate with commas).")
    var features: [String] = []

    @Option(name: .customLong("ort-threads"), help: "ONNX tree models: reproduce ONNX Runtime's float32 sums for this many intra-op threads.")
    var ortThreads: Int?

    @Flag(help: "Time scoring with exact per-feature contributions, as `nightjar score --contributions`.")
    var contributions = false

    @Option(help: "Time scoring with this many reason columns, as `nightjar score --reasons`.")
    var reasons: Int = 0

    @Option(name: .customLong("reference-sample"), help: ArgumentHelp("Linear models with --contributions/--reasons: the training sample (CSV) the contributions are measured from, as `nightjar score --reference-sample`.", valueName: "csv"))
    var referenceSample: String?

    @Flag(name: .customLong("parse-only"), help: "Only the CSV parsing and encoding figures (no scoring, no end-to-end run).")
    var parseOnly = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let rows, rows < 1 { throw ValidationError("--rows must be at least 1") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        if reasons < 0 { throw ValidationError("--reasons must be 0 or more") }
    }

    func run() throws {
        var options = BenchOptions(
            modelPath: model, inputPath: input, rows: rows, threads: threads ?? 0, repeats: `repeat`,
            features: features.isEmpty ? nil : features.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } },
            onnxRuntimeThreads: ortThreads, parseOnly: parseOnly)
        options.contributions = contributions
        options.reasons = reasons
        options.referenceSample = referenceSample
        let report = try runReportingErrors { try BenchRunner.run(options) }
        print(report.json)
    }
}
