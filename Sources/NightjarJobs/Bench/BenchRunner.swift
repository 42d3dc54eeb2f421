import CNightjarShims
import Foundation
import NightjarCore
import NightjarIO

/// What `nightjar bench` measures.
public struct BenchOptions: Sendable {
    public var modelPath: String
    public var inputPath: String
    /// Rows read from the input (nil: all of it).
    public var rows: Int?
    public var threads: Int
    /// Timed repetitions of the scoring pass; the best is reported.
    public var repeats: Int
    public var features: [String]?
    public var onnxRuntimeThreads: Int?
    /// Only the CSV → feature matrix figures: no scoring, no end-to-end run (for profiling parsing).
    public var parseOnly: Bool
    /// Score with exact contributions (`--contributions`) and/or reason columns (`--reasons`).
    public var contributions = false
    public var reasons = 0
    /// A linear model's training sample, as `ScoreOptions.referenceSample`.
    public var referenceSample: String?

    public init(modelPath: String, inputPath: String, rows: Int? = nil, threads: Int = 0, repeats: Int = 3,
                features: [String]? = nil, onnxRuntimeThreads: Int? = nil, parseOnly: Bool = false) {
        self.parseOnly = parseOnly
        self.modelPath = modelPath
        self.inputPath = inputPath
        self.rows = rows
        self.threads = threads
        self.repeats = repeats
        self.features = features
        self.onnxRuntimeThreads = onnxRuntimeThreads
    }
}

/// Nightjar's own figures on one model and input.
public struct BenchReport: Sendable, Codable {
    public var model: String
    public var estimator: String
    public var rows: Int
    public var threads: Int
    public var modelLoadSeconds: Double
    /// CSV parsing alone (text fields into memory).
    public var parseRowsPerSecond: Double
    /// Text fields to the feature matrix.
    public var encodeRowsPerSecond: Double
    /// CSV to feature matrix streamed chunk by chunk on one thread, one chunk and one matrix reused
    /// (what `pandas.read_csv` does for an all-numeric file), best of the repeats.
    public var parseEncodeRowsPerSecond: Double
    /// Rows already parsed in memory: preprocessing, estimator and link (best of the repeats).
    /// Absent with `--parse-only`.
    public var scoringRowsPerSecond: Double?
    /// `nightjar score` of the same rows, CSV in → SQLite out, stages overlapped. Absent with `--parse-only`.
    public var endToEndRowsPerSecond: Double?
    /// The CPU level the kernels were compiled for (`NIGHTJAR_TARGET_CPU` at build time), so that a
    /// figure says which build it measured.
    public var targetCPU = String(cString: nightjar_target_cpu())

    enum CodingKeys: String, CodingKey {
        case model, estimator, rows, threads
        case modelLoadSeconds = "model_load_seconds"
        case parseRowsPerSecond = "parse_rows_per_second"
        case encodeRowsPerSecond = "encode_rows_per_second"
        case parseEncodeRowsPerSecond = "parse_encode_rows_per_second"
        case scoringRowsPerSecond = "scoring_rows_per_second"
        case endToEndRowsPerSecond = "end_to_end_rows_per_second"
        case targetCPU = "target_cpu"
    }

    /// One JSON object on one line.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// Runs `nightjar bench`: loads the model, reads the rows into memory, times scoring alone, then
/// the whole pipeline (`ScoreRunner`) into a temporary SQLite file.
public enum BenchRunner {
    public static func run(_ options: BenchOptions) throws -> BenchReport {
        guard options.repeats >= 1 else { throw ScoreError("--repeat must be at least 1") }
        if let rows = options.rows, rows < 1 { throw ScoreError("--rows must be at least 1") }
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        var scoreOptions = ScoreOptions(modelPath: options.modelPath, inputPath: options.inputPath, outputPath: "bench.db",
                                        threads: threads, features: options.features,
                                        onnxRuntimeThreads: options.onnxRuntimeThreads)
        scoreOptions.contributions = options.contributions
        scoreOptions.reasons = options.reasons
        scoreOptions.referenceSample = options.referenceSample
        var clock = Stopwatch()
        let model = try ScoreRunner.loadModel(scoreOptions)
        let loadSeconds = clock.lap()
        try ScoreRunner.refuseUnexplainable(model, scoreOptions)

        // Parse: every chunk kept, as text.
        let reader = try CSVReader(path: options.inputPath)
        let encoder: FeatureEncoder
        do {
            encoder = try FeatureEncoder(features: model.features, header: reader.header)
        } catch {
            throw InputError(path: options.inputPath, line: 1, message: error.description)
        }
        let limit = options.rows ?? Int.max
        var chunks: [CSVChunk] = []
        var rows = 0
        clock = Stopwatch()
        while rows < limit {
            var chunk = CSVChunk(columnCount: reader.columnCount)
            guard try reader.readChunk(maxRows: Swift.min(ScoreOptions.defaultChunkRows, limit - rows), into: &chunk) else { break }
            rows += chunk.rowCount
            chunks.append(chunk)
        }
        let parseSeconds = clock.lap()
        guard rows > 0 else { throw InputError(path: options.inputPath, message: "no data rows to benchmark") }

        // Encode into one matrix.
        var matrix = FeatureMatrix(rows: rows, features: model.features.count)
        var part = FeatureMatrix(rows: 0, features: model.features.count)
        var at = 0
        clock = Stopwatch()
        for chunk in chunks {
            do {
                try encoder.encode(chunk.batch, into: &part)
            } catch {
                throw InputError(path: options.inputPath, line: chunk.lines[error.row], message: error.description)
            }
            let count = part.rows * part.stride
            matrix.values.withUnsafeMutableBufferPointer { dst in
                part.values.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + at).update(from: src.baseAddress!, count: count)
                }
            }
            at += count
        }
        let encodeSeconds = clock.lap()
        chunks = []

        // CSV to numbers streamed, best of the repeats.
        var bestParseEncode = Double.infinity
        for _ in 0..<options.repeats {
            clock = Stopwatch()
            try streamParseEncode(path: options.inputPath, rows: rows, encoder: encoder, into: &part)
            bestParseEncode = Swift.min(bestParseEncode, clock.lap())
        }
        func report(scoring: Double?, endToEnd: Double?) -> BenchReport {
            BenchReport(
                model: options.modelPath, estimator: model.summary, rows: rows, threads: threads,
                modelLoadSeconds: loadSeconds,
                parseRowsPerSecond: Double(rows) / parseSeconds,
                encodeRowsPerSecond: Double(rows) / encodeSeconds,
                parseEncodeRowsPerSecond: Double(rows) / bestParseEncode,
                scoringRowsPerSecond: scoring, endToEndRowsPerSecond: endToEnd)
        }
        if options.parseOnly { return report(scoring: nil, endToEnd: nil) }

        // Scoring alone, best of the repeats (after one untimed pass).
        let predictor = Predictor(model: model, includeMargin: false, threads: threads,
                                  contributions: options.contributions, reasons: options.reasons)
        var out: [Double] = []
        predictor.score(matrix, into: &out)
        var best = Double.infinity
        for _ in 0..<options.repeats {
            clock = Stopwatch()
            predictor.score(matrix, into: &out)
            best = Swift.min(best, clock.lap())
        }
        matrix = FeatureMatrix(rows: 0, features: 0)

        // End to end into a temporary SQLite file.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var e2e = scoreOptions
        e2e.outputPath = dir.appendingPathComponent("bench.db").path
        e2e.maxRows = rows
        let summary = try ScoreRunner.run(e2e)

        return report(scoring: Double(rows) / best, endToEnd: summary.rowsPerSecond)
    }
}

extension BenchRunner {
    /// Reads `rows` rows of `path` into numbers, one chunk and one matrix reused, as a run does.
    /// A function of its own so that a profiler can count this pass alone
    /// (`valgrind --tool=callgrind --toggle-collect='*streamParseEncode*'`).
    @inline(never)
    static func streamParseEncode(path: String, rows: Int, encoder: FeatureEncoder, into part: inout FeatureMatrix) throws {
        let reader = try CSVReader(path: path)
        var chunk = CSVChunk(columnCount: reader.columnCount)
        var streamed = 0
        while streamed < rows,
              try reader.readChunk(maxRows: Swift.min(ScoreOptions.defaultChunkRows, rows - streamed), into: &chunk) {
            do {
                try encoder.encode(chunk.batch, into: &part)
            } catch {
                throw InputError(path: path, line: chunk.lines[error.row], message: error.description)
            }
            streamed += chunk.rowCount
        }
    }
}

/// Monotonic wall-clock laps.
struct Stopwatch {
    private var start = DispatchTime.now().uptimeNanoseconds
    /// Seconds since the start or the previous lap.
    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { start = now }
        return Double(now - start) / 1e9
    }
}
