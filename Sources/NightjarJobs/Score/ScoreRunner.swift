import Foundation
import Logging
import NightjarCore
import NightjarIO

/// Runs `nightjar score`: model → CSV chunks → feature matrix → predictor → sink.
/// Memory holds one chunk at a time; the sink makes the output visible only when every row is written.
public enum ScoreRunner {
    public static func run(_ options: ScoreOptions, logger: Logger = Logger(label: "nightjar.score", factory: { _ in SwiftLogNoOpLogHandler() }),
                           progress: ((Int) -> Void)? = nil) throws -> ScoreSummary {
        let started = DispatchTime.now()
        guard options.chunkRows > 0 else { throw ScoreError("--chunk-rows must be at least 1") }
        guard let kind = OutputKind.of(path: options.outputPath) else {
            throw ScoreError("\(options.outputPath): cannot tell the output format from the name; use .db/.sqlite for SQLite, .csv or .csv.lz4 for CSV")
        }
        let model = try loadModel(options)
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        logger.info("model loaded", metadata: [
            "model": "\(options.modelPath)", "format": "\(model.format.rawValue)",
            "estimator": "\(model.summary)", "objective": "\(model.objective)",
        ])

        let reader = try CSVReader(path: options.inputPath)
        let encoder: FeatureEncoder
        do {
            encoder = try FeatureEncoder(features: model.features, header: reader.header)
        } catch {
            throw InputError(path: options.inputPath, line: 1, message: error.description)
        }
        var keyColumns: [(name: String, index: Int)] = []
        for key in options.keys {
            guard let index = reader.header.firstIndex(of: key) else {
                throw InputError(path: options.inputPath, line: 1,
                                 message: "key column '\(key)' is not in the header (columns: \(reader.header.joined(separator: ", ")))")
            }
            keyColumns.append((key, index))
        }
        let predictor = Predictor(model: model, includeMargin: options.includeMargin, threads: threads)
        let layout = OutputLayout(keyColumns: keyColumns, predictions: predictor.columns,
                                  float32Values: model.float32Outputs)
        let sink: any PredictionSink
        switch kind {
        case .sqlite: sink = try SQLiteSink(path: options.outputPath, table: options.table, layout: layout, mode: options.ifExists)
        case .csv: sink = try CSVSink(path: options.outputPath, layout: layout)
        }

        var chunk = CSVChunk(columnCount: reader.columnCount)
        var matrix = FeatureMatrix(rows: 0, features: model.features.count)
        var values: [Double] = []
        var rows = 0
        var chunks = 0
        do {
            while try reader.readChunk(maxRows: options.chunkRows, into: &chunk) {
                do {
                    try encoder.encode(chunk.batch, into: &matrix)
                } catch {
                    let column = encoder.columnIndex[encoder.features.firstIndex { $0.name == error.column } ?? 0]
                    throw InputError(path: options.inputPath, line: chunk.lines[error.row], column: column + 1,
                                     columnName: error.column, message: error.description.replacingOccurrences(of: "column '\(error.column)': ", with: ""))
                }
                predictor.score(matrix, into: &values)
                try sink.write(ScoredChunk(batch: chunk.batch, values: values, firstRowNumber: Int64(rows + 1)))
                rows += chunk.rowCount
                chunks += 1
                progress?(rows)
                logger.debug("chunk scored", metadata: ["chunk": "\(chunks)", "rows": "\(rows)"])
            }
            try sink.commit()
        } catch {
            sink.abort()
            throw error
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return ScoreSummary(rows: rows, chunks: chunks, seconds: seconds, destination: sink.destination,
                            modelDescription: model.summary,
                            threads: threads)
    }

    /// Loads the model, binds a multi-column ONNX input to `--features`, and picks ONNX Runtime's
    /// summation order.
    static func loadModel(_ options: ScoreOptions) throws -> ScoringModel {
        var model = try ModelLoader.load(path: options.modelPath)
        do {
            model = try model.bindingFeatures(options.features)
        } catch {
            throw ScoreError("\(options.modelPath): \(error.description)")
        }
        return model.reproducingONNXRuntime(threads: options.onnxRuntimeThreads ?? ONNXRuntimeDefaults.intraOpThreads)
    }
}
