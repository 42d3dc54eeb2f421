import Foundation
import Testing
import NightjarCore
@testable import NightjarIO

@Suite struct CSVShardRangeTests {
    /// Byte ranges cut at line starts give every row to exactly one shard, with the right line numbers.
    @Test(arguments: [1, 2, 3, 4, 7])
    func rangesPartitionTheRows(_ shards: Int) throws {
        var text = "id,value\n"
        for i in 0..<5_000 { text += "r\(i),\(String(repeating: "x", count: i % 37))\n" }
        let path = write(text, name: "big.csv")
        var seen: [String] = []
        var lines: [Int] = []
        for k in 1...shards {
            let reader = try CSVReader(path: path)
            let range = try CSVShardRange.compute(path: path, shard: k, of: shards, dataOffset: reader.dataOffset)
            try reader.resume(at: range.start, line: range.line)
            reader.stopOffset = range.end
            var chunk = CSVChunk(columnCount: 2)
            while try reader.readChunk(maxRows: 333, into: &chunk) {
                for r in 0..<chunk.rowCount { seen.append(chunk.batch.string(row: r, column: 0)) }
                lines.append(contentsOf: chunk.lines)
            }
        }
        #expect(seen == (0..<5_000).map { "r\($0)" })
        #expect(lines == Array(2...5_001))
    }

    @Test func compressedFilesAreNotSplit() throws {
        let path = write("a\n1\n", name: "in.csv.lz4")
        #expect { try CSVShardRange.compute(path: path, shard: 1, of: 2, dataOffset: 2) } throws: { "\($0)".contains("split the input into several files") }
    }
}
