#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lines of a LightGBM text model as byte ranges of the file, and the numbers on them read
/// from the bytes, for `LightGBMTextLoader`.
///
/// Why bytes: the loader used to decode the file into a `String`, split it into `Substring` lines
/// and values with `split(separator:)` and read each value with `Double(_:)`/`Int(_:)`. Splitting
/// by `Character` walks grapheme clusters: loading the 500-tree benchmark model (7 MB) took 5.1 G
/// instructions (callgrind), more than half of them in the line split alone; from the bytes, 0.27 G.
///
/// **The same lines and values as before, for every input.** The old split was by `Character`,
/// and the byte rules here are what it did on ASCII:
/// - a `\n` byte ends a line, and a line's final `\r` is dropped: a model saved with Windows line
///   ends (CRLF) loads as the same model (the `Character` split used to see `"\r\n"` as one
///   character, not a line end, and refused such a file as one long line);
/// - on a line with a byte ≥ 0x80 a separator can be part of a larger cluster (a space followed
///   by a combining mark is no `" "`), so such lines (`ascii == false`) are compared and split
///   as `Substring`s, exactly the old way. Model files are ASCII, so this costs nothing in practice.
struct LightGBMTextLines {
    /// The file.
    let bytes: UnsafeBufferPointer<UInt8>
    /// Line i is `bytes[start[i] ..< end[i]]` (its final `\r` left out).
    private(set) var start: [Int] = []
    private(set) var end: [Int] = []
    /// Whether line i is all ASCII (byte rules apply) or holds a byte ≥ 0x80 (`Substring` rules).
    private(set) var ascii: [Bool] = []

    var count: Int { start.count }

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        let n = bytes.count
        guard let base = bytes.baseAddress, n > 0 else {
            // "" splits into one empty line.
            start = [0]; end = [0]; ascii = [true]
            return
        }
        // A 7 MB model has about 10,000 lines, one per 700 bytes: room for one per 512.
        start.reserveCapacity(n / 512 + 16); end.reserveCapacity(n / 512 + 16); ascii.reserveCapacity(n / 512 + 16)
        // Each line: up to the next '\n' (memchr), without a final '\r', then whether its bytes are
        // all ASCII, eight at a time.
        var lineStart = 0
        while true {
            var stop = n
            if lineStart < n, let hit = memchr(base + lineStart, 0x0A, n - lineStart) {
                stop = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            }
            var e = stop
            if e > lineStart && base[e - 1] == 0x0D { e -= 1 }
            var bits: UInt64 = 0
            var k = lineStart
            while stop - k >= 8 {
                bits |= UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self)
                k += 8
            }
            while k < stop {
                bits |= UInt64(base[k])
                k += 1
            }
            start.append(lineStart)
            end.append(e)
            ascii.append(bits & 0x8080_8080_8080_8080 == 0)
            if stop == n { break }
            lineStart = stop + 1
        }
    }

    /// Line i decoded, for the header, the parameters and non-ASCII lines (the old `Substring` path).
    func text(_ i: Int) -> Substring {
        Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[start[i]..<end[i]]), as: UTF8.self))
    }

    func isEmpty(_ i: Int) -> Bool { start[i] == end[i] }

    /// `line == word` as `Substring`s compare (`word` is ASCII).
    func line(_ i: Int, is word: StaticString) -> Bool {
        guard ascii[i] else { return text(i) == word.description }
        return end[i] - start[i] == word.utf8CodeUnitCount && memoryEquals(start[i], word)
    }

    /// `line.hasPrefix(word)` as `Substring`s compare (`word` is ASCII).
    func line(_ i: Int, hasPrefix word: StaticString) -> Bool {
        guard ascii[i] else { return text(i).hasPrefix(word.description) }
        return end[i] - start[i] >= word.utf8CodeUnitCount && memoryEquals(start[i], word)
    }

    private func memoryEquals(_ at: Int, _ word: StaticString) -> Bool {
        let w = word.utf8Start
        for k in 0..<word.utf8CodeUnitCount where bytes[at + k] != w[k] { return false }
        return true
    }

    /// The bytes `lo ..< hi` of the file.
    func slice(_ lo: Int, _ hi: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[lo..<hi])
    }
}
