import Foundation
import NightjarCore

/// Writes one logical date's predictions to a CSV file chunk by chunk, resumably: rows go to a
/// temporary file beside the target, each chunk is flushed to disk before its checkpoint is
/// recorded, a resumed run cuts the file back to its last checkpoint, and `finish` renames it
/// into place. With `.lz4`, every chunk is its own LZ4 frame (concatenated frames are one valid
/// stream), so the file can be cut at any chunk boundary.
public final class CSVPartitionWriter {
    public let path: String
    public let temporaryPath: String
    private let layout: OutputLayout
    private let metadata: [[UInt8]]
    private let metadataNames: [String]
    private let fd: Int32
    private let compressed: Bool
    private var text: [UInt8] = []
    /// Bytes of the temporary file so far.
    public private(set) var offset: Int64

    /// - Parameters:
    ///   - resumeAt: the output offset of the last committed chunk, or nil to start a new file.
    public init(path: String, runID: String, layout: OutputLayout, metadata: [(name: String, value: String)], resumeAt: Int64?) throws {
        self.path = path
        self.layout = layout
        self.metadataNames = metadata.map(\.name)
        var values: [[UInt8]] = []
        for m in metadata {
            var field: [UInt8] = []
            CSVSink.appendField(Array(m.value.utf8)[...], to: &field)
            values.append(field)
        }
        self.metadata = values
        self.compressed = path.hasSuffix(".lz4")
        try OutputDirectory.create(for: path)
        temporaryPath = try CSVPartitionWriter.partialPath(path: path, runID: runID)
        let flags = resumeAt == nil ? (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_CLOEXEC)
        fd = open(temporaryPath, flags, 0o644)
        guard fd >= 0 else { throw InputError(path: temporaryPath, message: "cannot open: \(String(cString: strerror(errno)))", kind: .temporary) }
        if let resumeAt {
            var st = stat()
            fstat(fd, &st)
            guard Int64(st.st_size) >= resumeAt else {
                close(fd)
                throw InputError(path: temporaryPath, message: "the partial output is shorter (\(st.st_size) bytes) than its checkpoint (\(resumeAt)); restart the run with --restart")
            }
            guard ftruncate(fd, off_t(resumeAt)) == 0, lseek(fd, off_t(resumeAt), SEEK_SET) >= 0 else {
                close(fd)
                throw InputError(path: temporaryPath, message: "cannot cut back to the checkpoint: \(String(cString: strerror(errno)))")
            }
            offset = resumeAt
        } else {
            offset = 0
            try append(CSVSink.headerLine(layout.columnNames + metadataNames))
            try sync()
        }
    }

    deinit { close(fd) }

    /// Where the partial output of a run is kept until it is complete.
    public static func partialPath(path: String, runID: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let safeRun = String(runID.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(safeRun)").path
    }

    private func append(_ plain: [UInt8]) throws {
        var bytes = plain
        if compressed {
            // One frame per call: compress into memory, then write.
            let memory = MemoryOutput()
            let frame = try LZ4FrameOutput(sink: memory, path: path)
            try plain.withUnsafeBytes { try frame.write($0) }
            try frame.finish()
            bytes = memory.bytes
        }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(path: temporaryPath, message: "write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        offset += Int64(bytes.count)
    }

    private func sync() throws {
        guard fsync(fd) == 0 else { throw InputError(path: temporaryPath, message: "fsync failed: \(String(cString: strerror(errno)))") }
    }

    /// Appends a chunk and flushes it to disk; returns the offset to record in the checkpoint.
    public func write(_ chunk: ScoredChunk, layout chunkLayout: OutputLayout? = nil) throws -> Int64 {
        text.removeAll(keepingCapacity: true)
        CSVSink.format(chunk, layout: chunkLayout ?? layout, metadata: metadata, into: &text)
        try append(text)
        try sync()
        return offset
    }

    /// Moves the finished file into place (replacing an earlier one).
    public func finish() throws {
        try sync()
        guard rename(temporaryPath, path) == 0 else {
            throw InputError(path: path, message: "cannot move the finished output into place: \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the partial file.
    public func discard() {
        unlink(temporaryPath)
    }
}

/// Collects bytes in memory (used to frame one LZ4 chunk).
final class MemoryOutput: ByteOutput {
    var bytes: [UInt8] = []
    func write(_ b: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: b) }
    func finish() throws {}
    func close() {}
}
