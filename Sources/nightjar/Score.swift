import ArgumentParser
import Foundation
import NightjarIO
import NightjarJobs

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a CSV file with a model, into SQLite or CSV.",
        discussion: """
            The output format follows the output path: .db/.sqlite/.sqlite3 writes a SQLite table \
            (--table), .csv or .csv.lz4 writes CSV. Input files ending in .lz4 are decompressed on the fly.
            """
    )

    @Option(help: "Model file: XGBoost JSON, LightGBM text or ONNX (scikit-learn via skl2onnx, XGBoost/LightGBM via onnxmltools).")
    var model: String

    @Option(help: "Input CSV (or .csv.lz4) with a header row; columns are matched to the model's features by name.")
    var input: String

    @Option(help: "Output: a SQLite file (.db, .sqlite) or a CSV file (.csv, .csv.lz4).")
    var output: String

    @Option(help: "SQLite table to write.")
    var table: String = ScoreOptions.defaultTable

    @Option(name: .long, parsing: .singleValue, help: "Input column(s) copied to the output to identify rows (repeat, or separate with commas).")
    var key: [String] = []

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("chunk-rows"), help: "Rows read, scored and written at a time.")
    var chunkRows: Int = ScoreOptions.defaultChunkRows

    @Option(name: .long, parsing: .singleValue, help: "The CSV columns that fill the model's features, in order (repeat, or separate with commas): an ONNX input that is one tensor of several columns, or an XGBoost/LightGBM model's features (e.g. f0… or Column_0… of a model trained on a bare matrix).")
    var features: [String] = []

    @Option(name: .customLong("ort-threads"), help: "ONNX tree models: reproduce ONNX Runtime's float32 sums as it computes them with this many intra-op threads (default: its default here, the physical core count).")
    var ortThreads: Int?

    @Flag(help: "Also write the margin (the score before the link function).")
    var raw = false

    @Flag(help: "Also write each row's exact per-feature contributions in margin space (trees: TreeSHAP, as the training library's pred_contribs; linear models: coefficient × (value − training mean), see --reference-sample): contrib_<feature> and contrib_bias (multi-class contrib_<k>_<feature>); they sum to the margin.")
    var contributions = false

    @Option(help: "Also write the K features that pushed each score most: reason_1 … reason_K (feature names; towards the positive class for a binary classifier, the predicted class for a multi-class one, largest in absolute value for a regressor) and reason_1_contribution … (exact contributions, as --contributions).")
    var reasons: Int = 0

    @Option(name: .customLong("reference-sample"), help: ArgumentHelp("Linear models with --contributions/--reasons: the training sample (CSV) whose means the contributions are measured from, coefficient × (value − mean). A bundle records them; a bare model file needs this.", valueName: "csv"))
    var referenceSample: String?

    @Option(name: .customLong("if-exists"), help: "When the SQLite table exists: replace, append or fail.")
    var ifExists: String = "replace"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if chunkRows < 1 { throw ValidationError("--chunk-rows must be at least 1") }
        if let ortThreads, ortThreads < 1 { throw ValidationError("--ort-threads must be at least 1") }
        if reasons < 0 { throw ValidationError("--reasons must be 0 or more") }
        if SQLiteSink.Mode(rawValue: ifExists) == nil {
            throw ValidationError("--if-exists must be one of: replace, append, fail")
        }
    }

    func run() throws {
        var options = ScoreOptions(
            modelPath: model, inputPath: input, outputPath: output, table: table,
            keys: key.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } },
            threads: threads ?? 0, chunkRows: chunkRows, includeMargin: raw,
            ifExists: SQLiteSink.Mode(rawValue: ifExists) ?? .replace,
            features: features.isEmpty ? nil : features.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } },
            onnxRuntimeThreads: ortThreads)
        options.contributions = contributions
        options.reasons = reasons
        options.referenceSample = referenceSample
        let summary = try runReportingErrors { try ScoreRunner.run(options, logger: makeLogger(quiet: quiet)) }
        if !quiet {
            print(String(format: "scored %d rows in %.2f s (%.0f rows/s, %d threads) with %@",
                         summary.rows, summary.seconds, summary.rowsPerSecond, summary.threads, summary.modelDescription))
            print("output: \(summary.destination)")
        }
    }
}
