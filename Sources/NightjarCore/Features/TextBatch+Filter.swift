extension TextBatch {
    /// The rows whose `keep` entry is true, in order, with the same columns: what is left to score
    /// after the input contract has sent the other rows to the reject table.
    ///
    /// Each run of consecutive kept rows is one bulk copy of bytes and one pass shifting its field
    /// ends, so a chunk with few rejects costs little more than a memcpy. When every row is kept the
    /// batch itself is returned (no copy).
    public func keeping(_ keep: [Bool]) -> TextBatch {
        precondition(keep.count == rowCount, "keeping: \(keep.count) flags for \(rowCount) rows")
        var out = TextBatch(columnCount: columnCount)
        var keptRows = 0
        for k in keep where k { keptRows += 1 }
        if keptRows == rowCount { return self }
        guard keptRows > 0 else { return out }
        guard columnCount > 0 else {
            for _ in 0..<keptRows { out.endRow() }
            return out
        }
        let width = columnCount
        // Runs of kept rows [first, end).
        var runs: [Range<Int>] = []
        var r = 0
        while r < rowCount {
            guard keep[r] else { r += 1; continue }
            var e = r + 1
            while e < rowCount && keep[e] { e += 1 }
            runs.append(r..<e)
            r = e
        }
        fieldEnds.withUnsafeBufferPointer { ends in
            @inline(__always) func byteStart(row: Int) -> Int { row == 0 ? 0 : Int(ends[row * width - 1]) }
            var byteCount = 0
            for run in runs { byteCount += byteStart(row: run.upperBound) - byteStart(row: run.lowerBound) }
            bytes.withUnsafeBufferPointer { src in
                out.bytes = [UInt8](unsafeUninitializedCapacity: byteCount) { dst, initialized in
                    var at = 0
                    for run in runs {
                        let from = byteStart(row: run.lowerBound), to = byteStart(row: run.upperBound)
                        if to > from {
                            (dst.baseAddress! + at).initialize(from: src.baseAddress! + from, count: to - from)
                        }
                        at += to - from
                    }
                    initialized = at
                }
            }
            out.fieldEnds = [Int32](unsafeUninitializedCapacity: keptRows * width) { dst, initialized in
                var at = 0, newStart = 0
                for run in runs {
                    // Field ends move by the distance between the run's old and new start.
                    let from = byteStart(row: run.lowerBound)
                    let shift = Int32(truncatingIfNeeded: newStart - from)
                    for i in (run.lowerBound * width)..<(run.upperBound * width) {
                        dst[at] = ends[i] &+ shift
                        at += 1
                    }
                    newStart += byteStart(row: run.upperBound) - from
                }
                initialized = at
            }
        }
        for _ in 0..<keptRows { out.endRow() }
        return out
    }
}
