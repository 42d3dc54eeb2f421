import Foundation
import NightjarCore
import NightjarIO

/// The pipeline's first stage: reads the next chunk from the source, sets aside the rows that
/// break the input contract, and encodes the rest into the champion's feature matrix (and the
/// matrices of challengers that read other features). Runs on the read thread (`ChunkPrefetcher`).
final class ChunkReader {
    let source: ChunkSource
    let keys: [String]
    let chunkRows: Int
    /// Rows to read at most (`score --max-rows`).
    let maxRows: Int?
    let split: JobSpec.Split?
    let features: [ModelFeature]
    let quality: RunQuality?
    let challengers: [RunExecutor.Contender]
    let splitContender: RunExecutor.Contender?
    let writerLayout: OutputLayout
    let runID: String
    let shardIndex: Int
    /// What a key seen twice does (`duplicate_keys:`); `.keep` checks nothing.
    let duplicateKeys: JobSpec.DuplicateKeys
    /// The keys seen so far in the run (seeded from the committed rows when resuming).
    private var seen: KeySet

    private var headerVersion = -1
    private var encoder: FeatureEncoder?
    private var layout: OutputLayout
    private var checker: ContractChecker?
    private var keyColumns: [Int] = []
    private var rowsBefore: Int
    private var firstChunk: Bool
    private var challengerEncoders: [FeatureEncoder?] = []
    private var splitEncoder: FeatureEncoder?
    private var splitColumns: [Int] = []

    /// - Parameters:
    ///   - rowsBefore: rows read by the chunks committed before this process started (a resumed run).
    init(source: ChunkSource, keys: [String], chunkRows: Int, maxRows: Int? = nil, split: JobSpec.Split? = nil,
         features: [ModelFeature], quality: RunQuality?, challengers: [RunExecutor.Contender] = [],
         splitContender: RunExecutor.Contender? = nil, writerLayout: OutputLayout, runID: String, shardIndex: Int, rowsBefore: Int,
         duplicateKeys: JobSpec.DuplicateKeys = .keep, seenKeys: KeySet = KeySet()) {
        self.duplicateKeys = duplicateKeys
        self.seen = seenKeys
        self.source = source
        self.keys = keys
        self.chunkRows = chunkRows
        self.maxRows = maxRows
        self.split = split
        self.features = features
        self.quality = quality
        self.challengers = challengers
        self.splitContender = splitContender
        self.writerLayout = writerLayout
        self.layout = writerLayout
        self.runID = runID
        self.shardIndex = shardIndex
        self.rowsBefore = rowsBefore
        self.firstChunk = rowsBefore == 0
    }

    /// Reads, screens and encodes the next chunk into the spare buffers given; nil at the end.
    func next(batch: inout TextBatch, matrix: inout FeatureMatrix) throws -> ChunkPrefetcher.Item? {
        let started = Date()
        var checkpoint = ChunkRecord(runID: runID, chunk: 0, fileIndex: 0, sourceFile: "", startOffset: 0, endOffset: 0,
                                     endLine: 0, rows: 0, outputOffset: nil, committedAt: "", seconds: 0, shard: shardIndex)
        let limit = maxRows.map { $0 - rowsBefore } ?? Int.max
        guard limit > 0, try source.next(maxRows: Swift.min(chunkRows, limit), into: &batch, checkpoint: &checkpoint) else { return nil }
        if source.headerVersion != headerVersion { try headerChanged() }
        try checkKeys(batch)
        let rowsRead = batch.rowCount
        // Keys seen twice, on the rows as read (lines exact); what stays is screened next.
        var screened = RunQuality.Screened()
        var kept: [Int]? = nil
        if duplicateKeys != .keep, !keyColumns.isEmpty {
            kept = try screenDuplicates(&batch, into: &screened)
        }
        // The input contract: rows that break it are set aside before encoding, never scored.
        if let checker, let quality {
            let original: (Int) -> Int = { row in kept.map { $0[row] } ?? row }
            var contract = try quality.screen(&batch, checker: checker, keyColumns: keyColumns, rowsBefore: rowsBefore, firstChunk: firstChunk,
                                              runID: runID, shard: shardIndex, location: { self.source.location(row: original($0)) })
            if kept != nil {
                for i in contract.rejects.indices {
                    contract.rejects[i].rowNumber = rowsBefore + original(contract.rejects[i].rowNumber - rowsBefore - 1) + 1
                }
            }
            screened.rejects += contract.rejects
            screened.rejectedRows += contract.rejectedRows
        }
        rowsBefore += rowsRead
        firstChunk = false
        if matrix.stride != features.count { matrix = FeatureMatrix(rows: 0, features: features.count) }
        try encode(encoder!, batch, into: &matrix)
        var item = ChunkPrefetcher.Item(batch: batch, matrix: matrix, checkpoint: checkpoint, layout: layout,
                                        keyTypes: source.keyTypes, fraction: source.fraction, started: started,
                                        rowsRead: rowsRead, screened: screened)
        // Challengers reading other features get their own matrix; a split's challenger its rows'.
        item.challengerMatrices = try challengerEncoders.map { try $0.map { try encoded($0, batch) } }
        if let split, let splitEncoder {
            let mask = (0..<batch.rowCount).map { r in
                SplitHash.isChallenger(splitColumns.map { batch.bytes[batch.fieldRange(row: r, column: $0)] }, share: split.share)
            }
            item.splitMask = mask
            if mask.contains(true) {
                let rows = mask.indices.filter { mask[$0] }
                item.splitMatrix = try encoded(splitEncoder, batch.keeping(mask)) { rows[$0] }
            }
        }
        return item
    }

    /// A new file (or the first): encoders, key positions and the contract checker follow its header.
    private func headerChanged() throws {
        headerVersion = source.headerVersion
        let header = source.header
        let file = source.location(row: 0).file
        do throws(MissingColumnsError) {
            encoder = try FeatureEncoder(features: features, header: header)
        } catch {
            throw InputError(path: file, line: 1, message: error.description)
        }
        let keys = try ChunkReader.keyColumns(self.keys, header: header, file: file)
        layout = OutputLayout(keyColumns: keys, predictions: writerLayout.predictions, float32Values: writerLayout.float32Values)
        checker = try quality?.checker(header: header, file: file)
        keyColumns = keys.map(\.index)
        func contenderEncoder(_ c: RunExecutor.Contender) throws -> FeatureEncoder {
            do throws(MissingColumnsError) {
                return try FeatureEncoder(features: c.model.features, header: header)
            } catch {
                throw InputError(path: file, line: 1, message: "challenger \(c.reference): \(error.description)")
            }
        }
        challengerEncoders = try challengers.map { $0.sharesFeatures ? nil : try contenderEncoder($0) }
        splitEncoder = try splitContender.map { try contenderEncoder($0) }
        if let split {
            splitColumns = try split.by.map { name in
                guard let i = header.firstIndex(of: name) else {
                    throw InputError(path: file, line: 1, message: "split.by column '\(name)' is not in the input")
                }
                return i
            }
        }
    }

    /// Key values are written as text that every reader must be able to decode: valid UTF-8
    /// without NUL bytes (Python's sqlite3, for one, cannot read a table holding anything else).
    private func checkKeys(_ batch: TextBatch) throws {
        guard !keyColumns.isEmpty else { return }
        try batch.bytes.withUnsafeBufferPointer { bytes in
            for r in 0..<batch.rowCount {
                for (k, c) in keyColumns.enumerated() {
                    let field = UnsafeBufferPointer(rebasing: bytes[batch.fieldRange(row: r, column: c)])
                    // ASCII without NUL, the usual key: one pass, no decoding.
                    if field.allSatisfy({ $0 != 0 && $0 < 0x80 }) { continue }
                    let problem: String
                    if field.contains(0) {
                        problem = "holds a NUL byte"
                    } else if String(validating: field, as: UTF8.self) == nil {
                        problem = "is not valid UTF-8"
                    } else {
                        continue
                    }
                    let (file, line) = source.location(row: r)
                    throw InputError(path: file, line: line, column: c + 1, columnName: keys[k],
                                     message: "the key \(QuotedValue.quote(String(decoding: field, as: UTF8.self))) \(problem); keys are written as text and must be valid UTF-8 without NUL")
                }
            }
        }
    }

    /// Removes the rows whose key the run has seen already (`duplicate_keys: reject`), or stops
    /// the run at the first one (`fail`). Returns the original indices of the rows kept.
    private func screenDuplicates(_ batch: inout TextBatch, into screened: inout RunQuality.Screened) throws -> [Int] {
        var keep = [Bool](repeating: true, count: batch.rowCount)
        var kept: [Int] = []
        kept.reserveCapacity(batch.rowCount)
        var hashes = [UInt64](repeating: 0, count: batch.rowCount)
        var inserted = [Bool](repeating: true, count: batch.rowCount)
        batch.bytes.withUnsafeBufferPointer { bytes in
            for r in 0..<batch.rowCount {
                var h = KeySet.start
                for c in keyColumns { h = KeySet.combine(h, UnsafeBufferPointer(rebasing: bytes[batch.fieldRange(row: r, column: c)])) }
                hashes[r] = KeySet.finish(h)
            }
        }
        hashes.withUnsafeBufferPointer { h in inserted.withUnsafeMutableBufferPointer { seen.insert(hashes: h, inserted: $0) } }
        try batch.bytes.withUnsafeBufferPointer { bytes in
            for r in 0..<batch.rowCount {
                if inserted[r] { kept.append(r); continue }
                let key = keyColumns.map { String(decoding: bytes[batch.fieldRange(row: r, column: $0)], as: UTF8.self) }.joined(separator: ",")
                if duplicateKeys == .fail {
                    let (file, line) = source.location(row: r)
                    throw InputError(path: file, line: line, column: keyColumns[0] + 1, columnName: keys[0],
                                     message: "the key \(QuotedValue.quote(key)) appears more than once in the run's input; duplicate_keys: fail (the default) stops the run — fix the source, or set duplicate_keys: reject (later rows set aside) or keep (all scored)")
                }
                keep[r] = false
                screened.rejects.append(RejectRecord(runID: runID, shard: shardIndex, chunk: 0, rowNumber: rowsBefore + r + 1, key: String(key.prefix(200)),
                                                     column: keys.joined(separator: ","), value: String(key.prefix(200)), reason: "duplicate_key"))
                screened.rejectedRows += 1
            }
        }
        if kept.count < batch.rowCount { batch = batch.keeping(keep) }
        return kept
    }

    /// The positions of the key columns in `header`; a missing one is an error naming the file.
    static func keyColumns(_ keys: [String], header: [String], file: String) throws -> [(name: String, index: Int)] {
        try keys.map { k in
            guard let i = header.firstIndex(of: k) else {
                throw InputError(path: file, line: 1, message: "key column '\(k)' is not in the header (columns: \(header.joined(separator: ", ")))")
            }
            return (k, i)
        }
    }

    private func encoded(_ encoder: FeatureEncoder, _ rows: TextBatch, original: (Int) -> Int = { $0 }) throws -> FeatureMatrix {
        var m = FeatureMatrix(rows: 0, features: encoder.features.count)
        try encode(encoder, rows, into: &m, original: original)
        return m
    }

    /// Encodes `rows`; an unreadable value becomes one error naming the file, line and column.
    /// `original` maps a row of `rows` to its row in the chunk read (a split's rows are a subset).
    private func encode(_ encoder: FeatureEncoder, _ rows: TextBatch, into matrix: inout FeatureMatrix,
                        original: (Int) -> Int = { $0 }) throws {
        do throws(EncodingError) {
            try encoder.encode(rows, into: &matrix)
        } catch {
            let column = encoder.columnIndex[encoder.features.firstIndex { $0.name == error.column } ?? 0]
            let (file, line) = source.location(row: original(error.row))
            throw InputError(path: file, line: line, column: column + 1, columnName: error.column,
                             message: error.description.replacingOccurrences(of: "column '\(error.column)': ", with: ""))
        }
    }
}
