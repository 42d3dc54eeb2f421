import Foundation
import FuzzSupport
import NightjarCore
@testable import NightjarIO

/// The CSV reader on arbitrary bytes: the input is written to a file (with the `.lz4` extension,
/// read through the LZ4 frame decoder, when it starts with the LZ4 frame magic number) and read
/// to its end with a small read block (1 to 61 bytes: rows across read blocks, buffer growth) and,
/// for one input in eight, also through the public CSVReader(path:) with its 1 MiB block. The
/// parsing code is the same for any block size; a 1 MiB block costs a 1 MiB buffer per reader
/// (about 1 ms under AddressSanitizer), so small blocks reach more of it for a tenth of the time.
/// Every chunk's fields are then encoded as numeric features.
/// A thrown error is a clean refusal; a crash, leak or hang is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let lz4 = size >= 4 && bytes[0] == 0x04 && bytes[1] == 0x22 && bytes[2] == 0x4D && bytes[3] == 0x18
    let path = FuzzFile.path(lz4 ? "lz4" : "csv")
    guard FuzzFile.write(bytes, to: path) else { return 0 }
    readAll(path: path, blockSize: 1 + size % 61)
    if size % 8 == 0 {
        readAll(path: path, blockSize: nil)
    }
    return 0
}

private func readAll(path: String, blockSize: Int?) {
    do {
        let reader = try blockSize.map { try CSVReader(path: path, blockSize: $0) } ?? CSVReader(path: path)
        let features = reader.header.map { ModelFeature(name: $0, kind: .numeric) }
        let encoder = try? FeatureEncoder(features: features, header: reader.header)
        var chunk = CSVChunk(columnCount: reader.columnCount)
        var matrix = FeatureMatrix(rows: 0, features: features.count)
        var chunks = 0
        while try reader.readChunk(maxRows: 3, into: &chunk) {
            chunks += 1
            precondition(chunk.batch.fieldEnds.count == chunk.rowCount * reader.columnCount, "fields do not fill the rows")
            precondition(chunk.lines.count == chunk.rowCount, "a line number per row")
            if let encoder { try? encoder.encode(chunk.batch, into: &matrix) }
            precondition(chunks <= 1 + 2 * 1_000_000, "more chunks than the input has bytes")
        }
    } catch {
        // Refused with an error: fine.
    }
}
