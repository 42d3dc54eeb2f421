/// Quantile cut points and the bin lookup shared by reference profiles and chunk statistics.
enum BinEdges {
    /// Interior cut points for `bins` bins of `sorted` (increasing, no NaN).
    ///
    /// Rule: for k = 1 … bins−1, the lower empirical quantile at q = k/bins, that is
    /// `sorted[ceil(q·n) − 1]` (the smallest value with at least a share q of the sample at or below
    /// it; Hyndman–Fan type 1). Non-finite cut points are dropped, equal ones kept once, and so are
    /// cut points equal to the maximum (they would leave the last bin always empty). Since bins hold
    /// `edges[i-1] < v <= edges[i]`, 1…100 in 10 bins gives edges 10, 20, …, 90 and ten bins of 10.
    /// A column with few distinct values gets fewer bins (a 0/1 flag: one edge, 0).
    static func quantileEdges(sorted: [Double], bins: Int) -> [Double] {
        let n = sorted.count
        guard n > 0, bins > 1 else { return [] }
        let top = sorted[n - 1]
        var edges: [Double] = []
        for k in 1..<bins {
            // ceil(k·n / bins) in integers: exact, no rounding of k/bins.
            let rank = (k * n + bins - 1) / bins
            let e = sorted[Swift.max(rank, 1) - 1]
            guard e.isFinite, e < top else { continue }
            if let last = edges.last, last == e { continue }
            edges.append(e)
        }
        return edges
    }

    /// The bin of `v` (not NaN): the number of edges strictly below it.
    @inline(__always)
    static func bin(_ v: Double, _ edges: UnsafeBufferPointer<Double>) -> Int {
        if edges.count <= 16 {
            // Branch-free count: a handful of compares beats a search on so few edges.
            var b = 0
            for e in edges { b &+= e < v ? 1 : 0 }
            return b
        }
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edges[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Counts of `sorted` in the bins of `edges`.
    static func counts(sorted: [Double], edges: [Double]) -> [Int] {
        var counts = [Int](repeating: 0, count: edges.count + 1)
        edges.withUnsafeBufferPointer { e in
            for v in sorted { counts[bin(v, e)] += 1 }
        }
        return counts
    }
}

extension BinEdges {
    /// Code i (an integer in 0..<categoryCount) is bin i; anything else the last bin.
    @inline(__always)
    static func categoryBin(_ code: Double, categoryCount: Int) -> Int {
        // The comparison also sends NaN and ±inf to "other".
        guard code >= 0, code < Double(categoryCount) else { return categoryCount }
        let i = Int(code)
        return Double(i) == code ? i : categoryCount
    }

    /// The bin of `code` among increasing `codes`, or `codes.count` when absent.
    @inline(__always)
    static func categoryBin(_ code: Double, codes: UnsafeBufferPointer<Double>) -> Int {
        var lo = 0, hi = codes.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if codes[mid] < code { lo = mid + 1 } else { hi = mid }
        }
        return lo < codes.count && codes[lo] == code ? lo : codes.count
    }
}
