import Foundation
import NightjarCore

/// Writes predictions as CSV (LZ4-compressed when the path ends in `.lz4`). Rows go to a
/// temporary file beside the target, renamed over it on commit: the file appears complete or
/// not at all.
public final class CSVSink: PredictionSink {
    public let path: String
    private let temporaryPath: String
    private let layout: OutputLayout
    private var output: (any ByteOutput)?
    private var text: [UInt8] = []

    public var destination: String { path }

    public init(path: String, layout: OutputLayout) throws {
        self.path = path
        self.layout = layout
        let url = URL(fileURLWithPath: path)
        let directory = try OutputDirectory.create(for: path)
        temporaryPath = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        output = try openByteOutput(path: temporaryPath, displayPath: path)
        let header = CSVSink.headerLine(layout.columnNames)
        try header.withUnsafeBytes { (b) throws in try output!.write(b) }
    }

    /// Appends a field, quoted when it holds a comma, quote or line break.
    static func appendField(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        if bytes.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            out.append(0x22)
            for b in bytes {
                if b == 0x22 { out.append(0x22) }
                out.append(b)
            }
            out.append(0x22)
        } else {
            out.append(contentsOf: bytes)
        }
    }

    public func write(_ chunk: ScoredChunk) throws {
        text.removeAll(keepingCapacity: true)
        CSVSink.format(chunk, layout: layout, metadata: [], into: &text)
        try text.withUnsafeBytes { (b) throws in try output!.write(b) }
    }

    /// Appends the chunk's rows as CSV lines; `metadata` values are appended to every row.
    static func format(_ chunk: ScoredChunk, layout: OutputLayout, metadata: [[UInt8]], into text: inout [UInt8]) {
        let width = layout.predictions.count
        let batch = chunk.batch
        for r in 0..<batch.rowCount {
            if layout.rowNumberColumn {
                text.append(contentsOf: String(chunk.firstRowNumber + Int64(r)).utf8)
                text.append(0x2C)
            } else {
                for key in layout.keyColumns {
                    CSVSink.appendField(batch.bytes[batch.fieldRange(row: r, column: key.index)], to: &text)
                    text.append(0x2C)
                }
            }
            for c in 0..<width {
                if c > 0 { text.append(0x2C) }
                let v = chunk.values[r * width + c]
                if v.isNaN { continue }
                layout.appendValue(v, column: c, to: &text)
            }
            for m in metadata {
                text.append(0x2C)
                text.append(contentsOf: m)
            }
            text.append(0x0A)
        }
    }

    static func headerLine(_ names: [String]) -> [UInt8] {
        var header: [UInt8] = []
        for (i, name) in names.enumerated() {
            if i > 0 { header.append(0x2C) }
            appendField(Array(name.utf8)[...], to: &header)
        }
        header.append(0x0A)
        return header
    }

    public func commit() throws {
        guard let output else { return }
        try output.finish()
        self.output = nil
        if rename(temporaryPath, path) != 0 {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw InputError(path: path, message: "cannot move the finished output into place: \(message)")
        }
    }

    public func abort() {
        output?.close()
        output = nil
        unlink(temporaryPath)
    }

    deinit { if output != nil { abort() } }
}
