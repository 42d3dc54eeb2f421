import Foundation
import NightjarIO

let fixtures: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures")

func fixture(_ path: String) -> String { fixtures.appendingPathComponent(path).path }

func temporaryDirectory() -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-jobs-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A whole CSV file as columns of strings keyed by header name (small files only).
func readColumns(_ path: String) throws -> [String: [String]] {
    let reader = try CSVReader(path: path)
    var chunk = CSVChunk(columnCount: reader.columnCount)
    var columns = [String: [String]]()
    while try reader.readChunk(maxRows: 10_000, into: &chunk) {
        for (c, name) in reader.header.enumerated() {
            for r in 0..<chunk.rowCount { columns[name, default: []].append(chunk.batch.string(row: r, column: c)) }
        }
    }
    return columns
}
