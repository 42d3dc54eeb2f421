import Foundation

/// The byte range of one shard of a CSV file: rows whose first byte falls in it. Boundaries are
/// moved to the start of the next line, so every row belongs to exactly one shard (line breaks
/// inside quoted fields are not supported when one file is split; split by files instead).
public struct CSVShardRange: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    /// Line number of the row at `start`.
    public var line: Int

    /// - Parameters: shard is 1-based, of `count`; `dataOffset` is where the header ends.
    public static func compute(path: String, shard: Int, of count: Int, dataOffset: Int64) throws -> CSVShardRange {
        guard !path.hasSuffix(".lz4") else {
            throw InputError(path: path, message: "a compressed file cannot be split into byte ranges; split the input into several files (one per shard or more)")
        }
        let size = Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        let handle = try FileInput(path: path)
        defer { handle.close() }
        func aligned(_ k: Int) throws -> Int64 {
            if k <= 0 { return dataOffset }
            if k >= count { return size }
            let raw = max(dataOffset, size * Int64(k) / Int64(count))
            if raw == dataOffset { return dataOffset }
            // First line start at or after raw: just past the first '\n' at or after raw - 1.
            try handle.seek(to: raw - 1)
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var position = raw - 1
            while true {
                let n = try buffer.withUnsafeMutableBytes { try handle.read(into: $0) }
                if n == 0 { return size }
                if let i = buffer[0..<n].firstIndex(of: 0x0A) { return position + Int64(i) + 1 }
                position += Int64(n)
            }
        }
        let start = try aligned(shard - 1)
        let end = max(start, try aligned(shard))
        // Lines before the start, for error messages that name the right line.
        var line = 1
        try handle.seek(to: 0)
        var remaining = start
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while remaining > 0 {
            let n = try buffer.withUnsafeMutableBytes { try handle.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Int(min(Int64($0.count), remaining))])) }
            if n == 0 { break }
            line += buffer[0..<n].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            remaining -= Int64(n)
        }
        return CSVShardRange(start: start, end: end, line: line)
    }
}
