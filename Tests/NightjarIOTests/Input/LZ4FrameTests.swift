import Foundation
import Testing
@testable import NightjarIO

@Suite struct LZ4FrameTests {
    func compress(_ text: String, to path: String) throws {
        let out = try openByteOutput(path: path)
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { try out.write(UnsafeRawBufferPointer($0)) }
        try out.finish()
    }

    @Test func roundTripThroughCSVReader() throws {
        var text = "id,x\n"
        for i in 0..<100_000 { text += "r\(i),\(Double(i) * 0.5)\n" }
        let path = temporaryDirectory().appendingPathComponent("in.csv.lz4").path
        try compress(text, to: path)
        let compressedSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(compressedSize < text.utf8.count * 3 / 4)
        // Magic number of an LZ4 frame.
        let head = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(4)
        #expect(Array(head) == [0x04, 0x22, 0x4D, 0x18])
        let reader = try CSVReader(path: path)
        var chunk = CSVChunk(columnCount: 2)
        var rows = 0
        var last = ""
        while try reader.readChunk(maxRows: 7000, into: &chunk) {
            rows += chunk.rowCount
            last = chunk.batch.string(row: chunk.rowCount - 1, column: 1)
        }
        #expect(rows == 100_000)
        #expect(last == "49999.5")
    }

    @Test func corruptFrameNamesFileAndOffset() throws {
        var text = "id,x\n"
        for i in 0..<20_000 { text += "r\(i),\(i)\n" }
        let path = temporaryDirectory().appendingPathComponent("bad.csv.lz4").path
        try compress(text, to: path)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in 40..<60 { data[i] ^= 0x5A }
        try data.write(to: URL(fileURLWithPath: path))
        #expect {
            let reader = try CSVReader(path: path)
            var chunk = CSVChunk(columnCount: reader.columnCount)
            while try reader.readChunk(maxRows: 1000, into: &chunk) {}
        } throws: { error in
            let s = "\(error)"
            return s.hasPrefix(path) && s.contains("LZ4") && s.contains("byte")
        }
    }

    @Test func truncatedFrameIsAnError() throws {
        let path = temporaryDirectory().appendingPathComponent("cut.csv.lz4").path
        try compress("a,b\n" + String(repeating: "1,2\n", count: 50_000), to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        #expect {
            let reader = try CSVReader(path: path)
            var chunk = CSVChunk(columnCount: reader.columnCount)
            while try reader.readChunk(maxRows: 1000, into: &chunk) {}
        } throws: { error in "\(error)".contains("truncated") }
    }

    @Test func notAnLZ4File() throws {
        let path = write("a,b\n1,2\n", name: "plain.csv.lz4")
        #expect { try CSVReader(path: path) } throws: { error in "\(error)".contains("LZ4") && "\(error)".contains(path) }
    }
}
