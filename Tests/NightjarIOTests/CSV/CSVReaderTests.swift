import Foundation
import Testing
import NightjarCore
@testable import NightjarIO

@Suite struct CSVReaderTests {
    /// All rows of a file as strings, read with the given chunk size.
    func readAll(_ path: String, chunkRows: Int = 1000) throws -> (header: [String], rows: [[String]], lines: [Int]) {
        let reader = try CSVReader(path: path)
        var chunk = CSVChunk(columnCount: reader.columnCount)
        var rows: [[String]] = []
        var lines: [Int] = []
        while try reader.readChunk(maxRows: chunkRows, into: &chunk) {
            for r in 0..<chunk.rowCount {
                rows.append((0..<reader.columnCount).map { chunk.batch.string(row: r, column: $0) })
            }
            lines.append(contentsOf: chunk.lines)
        }
        return (reader.header, rows, lines)
    }

    @Test func rfc4180QuotingCRLFAndBOM() throws {
        let text = "\u{FEFF}id,name,note\r\n1,\"Smith, J\",\"said \"\"hi\"\"\"\r\n2,plain,\"two\nlines\"\r\n3,,\"\"\r\n"
        let (header, rows, lines) = try readAll(write(text))
        #expect(header == ["id", "name", "note"])
        #expect(rows == [["1", "Smith, J", "said \"hi\""], ["2", "plain", "two\nlines"], ["3", "", ""]])
        #expect(lines == [2, 3, 5])  // row 3 starts after the quoted line break
    }

    @Test func blankLinesNoTrailingNewlineAndTrailingEmptyField() throws {
        let (_, rows, lines) = try readAll(write("a,b\n\n1,2\n\n3,\n4,5"))
        #expect(rows == [["1", "2"], ["3", ""], ["4", "5"]])
        #expect(lines == [3, 5, 6])
    }

    @Test func chunksAndBufferBoundariesDoNotChangeRows() throws {
        // Rows long enough to straddle the 1 MiB read buffer many times, quoted fields included.
        var text = "k,v,w\n"
        var expected: [[String]] = []
        for i in 0..<60_000 {
            let v = i % 7 == 0 ? "quoted, \"\(i)\"\nline" : String(repeating: "x", count: i % 50)
            let field = i % 7 == 0 ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v
            text += "\(i),\(field),\(i * 3)\r\n"
            expected.append([String(i), v, String(i * 3)])
        }
        let path = write(text)
        for chunkRows in [1, 997, 50_000] {
            let (_, rows, _) = try readAll(path, chunkRows: chunkRows)
            #expect(rows.count == expected.count)
            #expect(rows == expected, "chunk size \(chunkRows)")
        }
    }

    @Test func raggedRowNamesTheLine() throws {
        #expect { try readAll(write("a,b,c\n1,2,3\n4,5\n")) } throws: { error in
            let e = error as! InputError
            return e.line == 3 && e.message.contains("expected 3 fields") && e.message.contains("found 2") && e.path.hasSuffix("input.csv")
        }
    }

    @Test func unterminatedQuoteNamesLineAndColumn() throws {
        #expect { try readAll(write("a,b\n1,\"open\n2,3\n")) } throws: { error in
            let e = error as! InputError
            return e.line == 2 && e.column == 2 && e.columnName == "b" && e.message.contains("unterminated")
        }
        #expect { try readAll(write("a,b\n1,\"x\"y\n")) } throws: { error in
            let e = error as! InputError
            return e.line == 2 && e.column == 2 && e.message.contains("closing quote")
        }
    }

    @Test func emptyAndMissingFiles() throws {
        #expect { try CSVReader(path: write("")) } throws: { error in
            "\(error)".contains("empty")
        }
        #expect { try CSVReader(path: "/no/such/file.csv") } throws: { error in
            "\(error)" == "/no/such/file.csv: no such file"
        }
        // A header and no rows is a valid, empty input.
        let (header, rows, _) = try readAll(write("a,b\n"))
        #expect(header == ["a", "b"] && rows.isEmpty)
    }

    @Test func offsetsPointAtRowStarts() throws {
        let text = "a,b\n1,2\n33,44\n5,6\n"
        let reader = try CSVReader(path: write(text))
        var chunk = CSVChunk(columnCount: 2)
        _ = try reader.readChunk(maxRows: 2, into: &chunk)
        #expect(chunk.startOffset == 4 && chunk.endOffset == 14)
        _ = try reader.readChunk(maxRows: 2, into: &chunk)
        #expect(chunk.startOffset == 14 && chunk.endOffset == 18)
    }
}
