import Foundation
import Logging
import NightjarCore
import NightjarIO

/// Runs `nightjar score`: a job without a checkpoint. The CSV file goes through the run's chunk
/// pipeline (`ChunkPipeline`: read + encode → score → write, overlapped) into a sink that makes the
/// output visible only when every row is written.
public enum ScoreRunner {
    /// Chunks cut while the model loads.
    static let readAheadChunks = 3

    public static func run(_ options: ScoreOptions, logger: Logger = Logger(label: "nightjar.score", factory: { _ in SwiftLogNoOpLogHandler() }),
                           progress: ((Int) -> Void)? = nil) throws -> ScoreSummary {
        let started = DispatchTime.now()
        guard options.chunkRows > 0 else { throw ScoreError("--chunk-rows must be at least 1") }
        guard let kind = OutputKind.of(path: options.outputPath) else {
            throw ScoreError("\(options.outputPath): cannot tell the output format from the name; use .db/.sqlite for SQLite, .csv or .csv.lz4 for CSV")
        }
        // The first chunks are cut while the model loads on this thread (the load is one thread's
        // work: the other cores would wait). Encoding them needs the model's features: later.
        let source = try CSVFilesSource(files: [options.inputPath], resumeAfter: nil, runID: "score")
        defer { source.close() }
        source.readAhead(chunks: readAheadChunks, chunkRows: options.chunkRows, maxRows: options.maxRows)
        let model = try loadModel(options)
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        logger.info("model loaded", metadata: [
            "model": "\(options.modelPath)", "format": "\(model.format.rawValue)",
            "estimator": "\(model.summary)", "objective": "\(model.objective)",
        ])
        do {
            _ = try FeatureEncoder(features: model.features, header: source.header)
        } catch {
            throw InputError(path: options.inputPath, line: 1, message: error.description)
        }
        let keyColumns = try ChunkReader.keyColumns(options.keys, header: source.header, file: options.inputPath)
        try refuseUnexplainable(model, options)
        let predictor = Predictor(model: model, includeMargin: options.includeMargin, threads: threads,
                                  contributions: options.contributions, reasons: options.reasons)
        let layout = OutputLayout(keyColumns: keyColumns, predictions: predictor.columns, float32Values: model.float32Outputs)
        let sink: any PredictionSink
        switch kind {
        case .sqlite: sink = try SQLiteSink(path: options.outputPath, table: options.table, layout: layout, mode: options.ifExists)
        case .csv: sink = try CSVSink(path: options.outputPath, layout: layout)
        }
        let destination = SinkDestination(sink: sink)
        let reader = ChunkReader(source: source, keys: options.keys, chunkRows: options.chunkRows, maxRows: options.maxRows,
                                 features: model.features, quality: nil, writerLayout: layout, runID: "", shardIndex: 0, rowsBefore: 0)
        let scorer = ChunkScorer(predictor: predictor, quality: nil, championProjection: Array(predictor.columns.indices))
        var hooks = ChunkCommitter.Hooks()
        hooks.didCommit = { counts, _, _ in
            progress?(counts.rowsRead)
            logger.debug("chunk scored", metadata: ["chunk": "\(counts.chunks)", "rows": "\(counts.rowsRead)"])
        }
        let (counts, failure) = ChunkPipeline(reader: reader, scorer: scorer, destination: destination, hooks: hooks).run()
        do {
            if let failure { throw failure }
            try destination.finish(runID: "", date: "")
        } catch {
            destination.abort()
            throw error
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return ScoreSummary(rows: counts.rowsRead, chunks: counts.chunks, seconds: seconds, destination: sink.destination,
                            modelDescription: model.summary, threads: threads)
    }

    /// Refuses `--contributions` / `--reasons` for a model that cannot give exact contributions,
    /// naming the flag, the file and why (before any row is read).
    static func refuseUnexplainable(_ model: ScoringModel, _ options: ScoreOptions) throws {
        if options.contributions || options.reasons > 0, let why = model.contributionsUnavailable {
            throw ScoreError("\(options.contributions ? "--contributions" : "--reasons"): \(options.modelPath): \(why)")
        }
    }

    /// Loads the model, binds `--features` (a multi-column ONNX input, or an XGBoost/LightGBM model's
    /// features, in order), and picks ONNX Runtime's summation order.
    static func loadModel(_ options: ScoreOptions) throws -> ScoringModel {
        var model = try ModelLoader.load(path: options.modelPath)
        do {
            model = try model.bindingFeatures(options.features)
        } catch {
            throw ScoreError("\(options.modelPath): \(error.description)")
        }
        model = model.reproducingONNXRuntime(threads: options.onnxRuntimeThreads ?? ONNXRuntimeDefaults.intraOpThreads)
        if let sample = options.referenceSample, case .linear = model.estimator {
            model.linearReference = try linearMeans(model, sample: sample)
        }
        return model
    }

    /// A linear model's training means (its contributions' reference) over the rows of `sample`.
    static func linearMeans(_ model: ScoringModel, sample: String) throws -> [Double] {
        let table = try CSVTable.read(path: sample)
        guard table.rowCount > 0 else {
            throw InputError(path: sample, line: 2, message: "no rows: --reference-sample needs the training sample the contributions are measured from")
        }
        let matrix = try GoldenRows.encode(model, table: table, rows: Array(0..<table.rowCount))
        return LinearContributions.means(of: model, matrix: matrix)
    }
}
