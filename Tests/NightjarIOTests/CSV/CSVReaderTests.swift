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

    /// A plain RFC 4180 reader, one byte at a time, as the reference for the word-at-a-time one.
    static func reference(_ text: [UInt8]) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var i = 0
        var inRow = false
        var quoted = false
        func endField() {
            if !quoted && field.last == 0x0D && (i >= text.count || text[i] == 0x0A) { field.removeLast() }
            row.append(String(decoding: field, as: UTF8.self)); field = []; quoted = false
        }
        while i < text.count {
            let c = text[i]
            if !inRow {
                if c == 0x0A { i += 1; continue }
                if c == 0x0D && i + 1 < text.count && text[i + 1] == 0x0A { i += 2; continue }
                inRow = true
            }
            if c == 0x22 && field.isEmpty && !quoted {
                i += 1
                while true {
                    if text[i] == 0x22 {
                        if i + 1 < text.count && text[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                        i += 1
                        break
                    }
                    field.append(text[i]); i += 1
                }
                quoted = true
                if i < text.count && text[i] == 0x0D { i += 1 }  // CR before LF or at the end
                continue
            }
            if c == 0x2C { endField(); i += 1; continue }
            if c == 0x0A {
                endField(); rows.append(row); row = []; inRow = false; i += 1; continue
            }
            field.append(c); i += 1
        }
        if inRow {
            endField(); rows.append(row)
        }
        return rows
    }

    /// Random files (quoted fields with commas, doubled quotes and line breaks, CRLF and LF, empty
    /// fields, blank lines, fields longer than a read block) read with tiny read blocks and chunk
    /// sizes agree with the reference reader row for row.
    @Test func wordAtATimeReaderMatchesReferenceAcrossBlocks() throws {
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let columns = 4
        for file in 0..<30 {
            var text: [UInt8] = Array("a,b,c,d\n".utf8)
            for _ in 0..<(50 + next(200)) {
                if next(20) == 0 { text.append(contentsOf: next(2) == 0 ? [0x0A] : [0x0D, 0x0A]) }  // blank line
                for c in 0..<columns {
                    switch next(6) {
                    case 0: break  // empty
                    case 1:
                        text.append(0x22)
                        for _ in 0..<next(30) {
                            let pick: [UInt8] = [0x2C, 0x0A, 0x0D, 0x61, 0x20, 0x31]
                            if next(8) == 0 { text.append(contentsOf: [0x22, 0x22]) } else { text.append(pick[next(pick.count)]) }
                        }
                        text.append(0x22)
                    case 2:
                        for _ in 0..<(file % 5 == 0 ? 40 + next(200) : next(40)) { text.append(UInt8(0x61 + next(26))) }
                    default:
                        text.append(contentsOf: Array(String(Double(next(1_000_000)) / 997).utf8))
                    }
                    if c < columns - 1 { text.append(0x2C) }
                }
                if next(3) == 0 { text.append(0x0D) }
                text.append(0x0A)
            }
            if next(2) == 0 { text.removeLast(); if text.last == 0x0D { text.removeLast() } }  // no final newline
            let path = write(text, name: "random\(file).csv")
            let expected = Array(CSVReaderTests.reference(text).dropFirst())
            for (blockSize, chunkRows) in [(16, 1), (24, 7), (64, 1000), (1 << 20, 13)] {
                let reader = try CSVReader(path: path, blockSize: blockSize)
                #expect(reader.header == ["a", "b", "c", "d"])
                var chunk = CSVChunk(columnCount: columns)
                var rows: [[String]] = []
                while try reader.readChunk(maxRows: chunkRows, into: &chunk) {
                    for r in 0..<chunk.rowCount {
                        rows.append((0..<columns).map { chunk.batch.string(row: r, column: $0) })
                    }
                }
                #expect(rows == expected, "file \(file), block \(blockSize), chunk \(chunkRows)")
            }
        }
    }

    /// The block path takes plain rows (the speed of reading depends on it) and hands over, with
    /// nothing kept, rows with a quote or a carriage return, rows not ending in the buffer and rows
    /// that do not fit the output.
    @Test func fastRowTakesPlainRowsAndHandsOverTheRest() {
        func run(_ text: String, end: Int? = nil, outLimit: Int = 4096, endsLimit: Int = 64) -> (next: Int, fields: [String], bytes: Int, count: Int) {
            var input = Array(text.utf8)
            let dataEnd = end ?? input.count
            input.append(contentsOf: repeatElement(0x2C, count: CSVReader.padding))  // padding full of separators
            var out = [UInt8](repeating: 0, count: outLimit + CSVReader.padding)
            var ends = [Int32](repeating: 0, count: endsLimit)
            var byteCount = 0, fieldCount = 0, fields = 0
            let next = input.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBytes { o in
                    ends.withUnsafeMutableBufferPointer { e in
                        CSVReader.fastRow(p.baseAddress!, rowStart: 0, end: dataEnd, out: o.baseAddress!, outLimit: outLimit,
                                          ends: e.baseAddress!, endsLimit: endsLimit,
                                          byteCount: &byteCount, fieldCount: &fieldCount, fields: &fields)
                    }
                }
            }
            var strings: [String] = []
            var start = 0
            for k in 0..<fieldCount {
                strings.append(String(decoding: out[start..<Int(ends[k])], as: UTF8.self))
                start = Int(ends[k])
            }
            #expect(fields == fieldCount)
            return (next, strings, byteCount, fieldCount)
        }
        let long = String(repeating: "y", count: 150)
        let plain = "1.5,,abc,\(long),-2\nnext,row\n"
        let taken = run(plain)
        #expect(taken.next == plain.utf8.count - "next,row\n".utf8.count)
        #expect(taken.fields == ["1.5", "", "abc", long, "-2"])
        #expect(run(",\n").fields == ["", ""])
        for refused in [run("a,\"b\",c\n"), run("a,b\r\n"), run("a,b,c"), run("a,b\n", end: 3),
                        run(plain, outLimit: 100), run(plain, endsLimit: 4)] {
            #expect(refused.next == -1 && refused.bytes == 0 && refused.count == 0)
        }
        #expect(run("a,\"b\"\n", end: 2).next == -1)
        #expect(run("ab,cd\n\"x\"\n").fields == ["ab", "cd"])  // a quote after the row is not its business
    }
}
