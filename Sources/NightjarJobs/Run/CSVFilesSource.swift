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
                throw ScoreError("the input files changed since run \(runID) started (expected \(last.sourceFile)); start over with --restart")
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

    func next(maxRows: Int, into batch: inout TextBatch, checkpoint: inout ChunkRecord) throws -> Bool {
        while let r = reader {
            // The caller's spare batch becomes the next chunk's storage: buffers are recycled, not reallocated.
            if batch.columnCount == r.columnCount { swap(&batch, &chunk.batch) }
            if try r.readChunk(maxRows: maxRows, into: &chunk) {
                swap(&batch, &chunk.batch)
                checkpoint.fileIndex = fileIndex
                checkpoint.sourceFile = files[fileIndex]
                checkpoint.startOffset = chunk.startOffset
                checkpoint.endOffset = chunk.endOffset
                checkpoint.endLine = r.line
                checkpoint.rows = batch.rowCount
                return true
            }
            bytesBefore += CSVFilesSource.size(files[fileIndex])
            position += 1
            try open()
        }
        return false
    }

    func location(row: Int) -> (file: String, line: Int?) {
        (files[min(fileIndex, files.count - 1)], row < chunk.lines.count ? chunk.lines[row] : nil)
    }

    func close() {}
}
