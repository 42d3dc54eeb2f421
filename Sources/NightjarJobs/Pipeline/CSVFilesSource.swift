import Foundation
import NightjarCore
import NightjarIO

/// CSV files (one, or a glob's matches in name order), resumed from a byte offset.
final class CSVFilesSource: ChunkSource {
    let files: [String]
    var fileIndex = 0
    var reader: CSVReader?
    var chunk = CSVChunk(columnCount: 0)
    var headerVersion = 0
    var bytesBefore: Int64 = 0
    let totalBytes: Int64
    var resumeAt: ChunkRecord?

    /// Indices (into `files`) this source reads: all, or a shard's share.
    let selected: [Int]
    var position = 0
    /// One file split into byte ranges: this shard's range.
    let range: CSVShardRange?
    let shard: Shard?

    init(files: [String], resumeAfter last: ChunkRecord?, runID: String, shard: Shard? = nil) throws {
        self.files = files
        self.shard = shard
        if let shard, files.count > 1 {
            selected = shard.files(files.count)
        } else {
            selected = Array(files.indices)
        }
        if let shard, shard.count > 1, files.count == 1 {
            let header = try CSVReader(path: files[0])
            range = try CSVShardRange.compute(path: files[0], shard: shard.index, of: shard.count, dataOffset: header.dataOffset)
        } else {
            range = nil
        }
        totalBytes = selected.reduce(Int64(0)) { $0 + CSVFilesSource.size(files[$1]) }
        if let last {
            guard last.fileIndex < files.count, files[last.fileIndex] == last.sourceFile, let p = selected.firstIndex(of: last.fileIndex) else {
                throw ScoreError("the input files changed since run \(runID) started (expected \(last.sourceFile)); start over with --restart", kind: .input)
            }
            position = p
            for i in selected[..<position] { bytesBefore += CSVFilesSource.size(files[i]) }
            resumeAt = last
        }
        try open()
    }

    static func size(_ path: String) -> Int64 {
        Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
    }

    private func open() throws {
        guard position < selected.count else { reader = nil; return }
        fileIndex = selected[position]
        let r = try CSVReader(path: files[fileIndex])
        if let last = resumeAt, last.fileIndex == fileIndex {
            try r.resume(at: last.endOffset, line: last.endLine)
            resumeAt = nil
        } else if let range {
            try r.resume(at: range.start, line: range.line)
        }
        if let range { r.stopOffset = range.end }
        reader = r
        headerVersion += 1
    }

    var header: [String] { reader?.header ?? [] }
    var keyTypes: [String]? { nil }
    var fraction: Double? {
        guard totalBytes > 0 else { return nil }
        return Double(bytesBefore + chunk.endOffset) / Double(totalBytes)
    }

    /// Chunks cut ahead by `readAhead` (with the reader's line after each), or the error that stopped it.
    private var early: [(chunk: CSVChunk, endLine: Int)] = []
    private var earlyError: (any Error)?
    private var earlyThread: StageThread?

    /// Cuts up to `chunks` chunks of `chunkRows` rows (at most `maxRows` rows in all) on a thread of
    /// its own, while the caller does something else (`nightjar score` loads the model: one
    /// thread's work). `next` hands them out first, with the positions they were read at. Only
    /// before the first `next`, on a source that reads one file from its start.
    func readAhead(chunks: Int, chunkRows: Int, maxRows: Int?) {
        guard let r = reader, selected.count == 1, range == nil, resumeAt == nil else { return }
        let box = Handover(value: (self, r))
        earlyThread = StageThread(name: "nightjar.read-ahead") {
            let (source, reader) = box.value
            var read = 0
            for _ in 0..<chunks {
                let limit = Swift.min(chunkRows, maxRows.map { $0 - read } ?? Int.max)
                guard limit > 0 else { break }
                var chunk = CSVChunk(columnCount: reader.columnCount)
                do {
                    guard try reader.readChunk(maxRows: limit, into: &chunk) else { break }
                } catch {
                    source.earlyError = error
                    break
                }
                read += chunk.rowCount
                source.early.append((chunk, reader.line))
            }
        }
    }

    func next(maxRows: Int, into batch: inout TextBatch, checkpoint: inout ChunkRecord) throws -> Bool {
        if let thread = earlyThread {
            thread.wait()
            earlyThread = nil
            early.reverse()
        }
        if let cut = early.popLast() {
            chunk = cut.chunk
            swap(&batch, &chunk.batch)
            fill(&checkpoint, endLine: cut.endLine, rows: batch.rowCount)
            return true
        }
        if let error = earlyError {
            earlyError = nil
            throw error
        }
        while let r = reader {
            // The caller's spare batch becomes the next chunk's storage: buffers are recycled, not reallocated.
            if batch.columnCount == r.columnCount { swap(&batch, &chunk.batch) }
            if try r.readChunk(maxRows: maxRows, into: &chunk) {
                swap(&batch, &chunk.batch)
                fill(&checkpoint, endLine: r.line, rows: batch.rowCount)
                return true
            }
            bytesBefore += CSVFilesSource.size(files[fileIndex])
            position += 1
            try open()
        }
        return false
    }

    private func fill(_ checkpoint: inout ChunkRecord, endLine: Int, rows: Int) {
        checkpoint.fileIndex = fileIndex
        checkpoint.sourceFile = files[fileIndex]
        checkpoint.startOffset = chunk.startOffset
        checkpoint.endOffset = chunk.endOffset
        checkpoint.endLine = endLine
        checkpoint.rows = rows
    }

    func location(row: Int) -> (file: String, line: Int?) {
        (files[min(fileIndex, files.count - 1)], row < chunk.lines.count ? chunk.lines[row] : nil)
    }

    func close() {
        earlyThread?.wait()
        earlyThread = nil
    }
}
