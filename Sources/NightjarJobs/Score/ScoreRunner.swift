import Foundation
import Logging
import NightjarCore
import NightjarIO

/// Runs `nightjar score`: model → CSV chunks → feature matrix → predictor → sink.
/// The stages overlap: while chunk N is scored, chunk N+1 is parsed and encoded and chunk N−1 is
/// written. Three chunk buffers circulate between them, so memory stays flat whatever the input
/// size; the sink makes the output visible only when every row is written.
public enum ScoreRunner {
    public static func run(_ options: ScoreOptions, logger: Logger = Logger(label: "nightjar.score", factory: { _ in SwiftLogNoOpLogHandler() }),
                           progress: ((Int) -> Void)? = nil) throws -> ScoreSummary {
        let started = DispatchTime.now()
        guard options.chunkRows > 0 else { throw ScoreError("--chunk-rows must be at least 1") }
        guard let kind = OutputKind.of(path: options.outputPath) else {
            throw ScoreError("\(options.outputPath): cannot tell the output format from the name; use .db/.sqlite for SQLite, .csv or .csv.lz4 for CSV")
        }
        // The first chunks are cut while the model loads on this thread (the load is one thread's
        // work: the other cores would wait). Encoding them needs the model's features: later.
        let reader = try CSVReader(path: options.inputPath)
        let readAhead = ReadAhead(reader: reader, slots: slotCount, chunkRows: options.chunkRows, maxRows: options.maxRows)
        let model: ScoringModel
        do {
            model = try loadModel(options)
        } catch {
            _ = readAhead.finish()
            throw error
        }
        let preread = readAhead.finish()
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        logger.info("model loaded", metadata: [
            "model": "\(options.modelPath)", "format": "\(model.format.rawValue)",
            "estimator": "\(model.summary)", "objective": "\(model.objective)",
        ])

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

        let (rows, chunks) = try runPipeline(
            reader: reader, preread: preread, encoder: encoder, predictor: predictor, sink: sink, options: options,
            featureCount: model.features.count, logger: logger, progress: progress)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return ScoreSummary(rows: rows, chunks: chunks, seconds: seconds, destination: sink.destination,
                            modelDescription: model.summary,
                            threads: threads)
    }

    /// One chunk's buffers, owned by one stage at a time (handed over through `StageQueue`s).
    final class Slot: @unchecked Sendable {
        var chunk: CSVChunk
        var matrix: FeatureMatrix
        var values: [Double] = []
        var firstRowNumber = 1
        var error: (any Error)?

        init(columnCount: Int, featureCount: Int) {
            chunk = CSVChunk(columnCount: columnCount)
            matrix = FeatureMatrix(rows: 0, features: featureCount)
        }
    }

    /// Cuts up to `slots` chunks of text on a thread of its own, from the reader's first row; the
    /// chunks (the last one holding the error, if reading failed) come back from `finish()`.
    final class ReadAhead: @unchecked Sendable {
        /// Written by the thread only, read after `finish()` joined it.
        private var slots: [Slot] = []
        private var thread: StageThread?

        init(reader: CSVReader, slots count: Int, chunkRows: Int, maxRows: Int?) {
            let box = Handover(value: reader)
            thread = StageThread(name: "nightjar.read-ahead") { [self] in
                let reader = box.value
                var read = 0
                for _ in 0..<count {
                    let slot = Slot(columnCount: reader.columnCount, featureCount: 0)
                    do {
                        guard try ScoreRunner.readNext(reader, into: slot, read: read, chunkRows: chunkRows, maxRows: maxRows) else { break }
                        read += slot.chunk.rowCount
                        slots.append(slot)
                    } catch {
                        slot.error = error
                        slots.append(slot)
                        break
                    }
                }
            }
        }

        /// Waits for the thread; the chunks it read, in order.
        func finish() -> [Slot] {
            thread?.wait()
            thread = nil
            return slots
        }
    }

    /// Reads the next chunk into `slot`, unless `maxRows` rows were read already; false at the end.
    static func readNext(_ reader: CSVReader, into slot: Slot, read: Int, chunkRows: Int, maxRows: Int?) throws -> Bool {
        let limit = maxRows.map { $0 - read } ?? Int.max
        guard limit > 0 else { return false }
        return try reader.readChunk(maxRows: Swift.min(chunkRows, limit), into: &slot.chunk)
    }

    /// Chunk buffers in circulation: one being read, one scored, one written.
    static let slotCount = 3

    /// Reads, scores and writes every chunk with the stages on their own threads (read + encode,
    /// score, write on the calling thread), in input order. Returns the rows and chunks written.
    static func runPipeline(
        reader: CSVReader, preread: [Slot] = [], encoder: FeatureEncoder, predictor: Predictor, sink: any PredictionSink,
        options: ScoreOptions, featureCount: Int, logger: Logger, progress: ((Int) -> Void)?
    ) throws -> (rows: Int, chunks: Int) {
        let free = StageQueue<Slot>(), toScore = StageQueue<Slot>(), toWrite = StageQueue<Slot>()
        for _ in preread.count..<slotCount { free.push(Slot(columnCount: reader.columnCount, featureCount: featureCount)) }
        for slot in preread { slot.matrix = FeatureMatrix(rows: 0, features: featureCount) }
        let readerBox = Handover(value: reader)
        let prereadBox = Handover(value: preread)
        let inputPath = options.inputPath, chunkRows = options.chunkRows, maxRows = options.maxRows

        let readStage = StageThread(name: "nightjar.read") {
            let reader = readerBox.value
            var read = 0
            // The chunks cut while the model loaded first (see `ReadAhead`), then the rest.
            var early = prereadBox.value[...]
            while true {
                let slot: Slot
                let cut: Bool
                if let next = early.popFirst() {
                    (slot, cut) = (next, true)
                } else if let next = free.pop() {
                    (slot, cut) = (next, false)
                } else {
                    break
                }
                do {
                    if let error = slot.error { throw error }
                    // A chunk cut ahead is within the row limit already.
                    guard try cut || readNext(reader, into: slot, read: read, chunkRows: chunkRows, maxRows: maxRows) else { break }
                    do {
                        try encoder.encode(slot.chunk.batch, into: &slot.matrix)
                    } catch let error as EncodingError {
                        let column = encoder.columnIndex[encoder.features.firstIndex { $0.name == error.column } ?? 0]
                        throw InputError(path: inputPath, line: slot.chunk.lines[error.row], column: column + 1,
                                         columnName: error.column,
                                         message: error.description.replacingOccurrences(of: "column '\(error.column)': ", with: ""))
                    }
                    slot.firstRowNumber = read + 1
                    read += slot.chunk.rowCount
                    toScore.push(slot)
                } catch {
                    slot.error = error
                    toScore.push(slot)
                    break
                }
            }
            toScore.close()
        }
        let scoreStage = StageThread(name: "nightjar.score") {
            while let slot = toScore.pop() {
                if slot.error == nil { predictor.score(slot.matrix, into: &slot.values) }
                toWrite.push(slot)
            }
            toWrite.close()
        }
        func stop() {
            free.close(); toScore.close(); toWrite.close()
            readStage.wait(); scoreStage.wait()
        }

        var rows = 0
        var chunks = 0
        do {
            while let slot = toWrite.pop() {
                if let error = slot.error { throw error }
                try sink.write(ScoredChunk(batch: slot.chunk.batch, values: slot.values, firstRowNumber: Int64(slot.firstRowNumber)))
                rows += slot.chunk.rowCount
                chunks += 1
                progress?(rows)
                logger.debug("chunk scored", metadata: ["chunk": "\(chunks)", "rows": "\(rows)"])
                free.push(slot)
            }
            stop()
            try sink.commit()
        } catch {
            stop()
            sink.abort()
            throw error
        }
        return (rows, chunks)
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
