import CNightjarShims

extension CSVReader {
    /// Reads the row at `rowStart` when it has no quote and no carriage return and its line feed is
    /// in the buffer before `end`: fields are found 64 bytes at a time from byte masks
    /// (`nightjar_csv_scan64`) and copied 16 bytes at a time. Returns the index after the row's line
    /// feed, or -1 with nothing kept (the counts unchanged) when the row is not of that kind or does
    /// not fit the output; the general loop of `parseRows` then reads it.
    ///
    /// The word-at-a-time loop it goes before looked for each field's end 8 bytes per step and
    /// copied it 8 bytes per step, and both loops ran once or twice as field lengths varied: about
    /// 110 instructions a field and two mispredicted exits (the 28-float benchmark file). Here a
    /// field costs a bit scan, a 16-byte copy and a store, and the loop over the fields of a block
    /// exits once per 64 bytes.
    ///
    /// `p` must be readable to `end + 64` and `out` writable to `outLimit + 16` (the padding).
    @inline(__always)
    static func fastRow(_ p: UnsafePointer<UInt8>, rowStart: Int, end: Int,
                        out: UnsafeMutableRawPointer, outLimit: Int, ends: UnsafeMutablePointer<Int32>, endsLimit: Int,
                        byteCount: inout Int, fieldCount: inout Int, fields: inout Int) -> Int {
        let raw = UnsafeRawPointer(p)
        var fieldStart = rowStart
        var block = rowStart
        var bytes = byteCount, count = fieldCount
        while block < end {
            let m = nightjar_csv_scan64(p + block)
            let remaining = end &- block
            let valid: UInt64 = remaining >= 64 ? ~0 : (1 &<< UInt64(remaining)) &- 1
            let newlines = m.newlines & valid
            // The bits up to the row's line feed, itself included (all valid ones without one here).
            let row = newlines == 0 ? valid : newlines ^ (newlines &- 1)
            if m.specials & row != 0 { return -1 }
            var separators = m.separators & row
            while separators != 0 {
                let at = block &+ separators.trailingZeroBitCount
                let length = at &- fieldStart
                if count >= endsLimit || bytes &+ length > outLimit { return -1 }
                out.storeBytes(of: raw.loadUnaligned(fromByteOffset: fieldStart, as: UInt64.self),
                               toByteOffset: bytes, as: UInt64.self)
                out.storeBytes(of: raw.loadUnaligned(fromByteOffset: fieldStart &+ 8, as: UInt64.self),
                               toByteOffset: bytes &+ 8, as: UInt64.self)
                if length > 16 {
                    var k = 16
                    while k < length {
                        out.storeBytes(of: raw.loadUnaligned(fromByteOffset: fieldStart &+ k, as: UInt64.self),
                                       toByteOffset: bytes &+ k, as: UInt64.self)
                        k &+= 8
                    }
                }
                bytes &+= length
                ends[count] = Int32(truncatingIfNeeded: bytes)
                count &+= 1
                fieldStart = at &+ 1
                separators &= separators &- 1
            }
            if newlines != 0 {
                fields = count &- fieldCount
                byteCount = bytes
                fieldCount = count
                return fieldStart
            }
            block &+= 64
        }
        return -1
    }
}
