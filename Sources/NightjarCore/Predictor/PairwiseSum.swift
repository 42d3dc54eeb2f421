/// A vector of doubles summed by halves (`lowHalf + highHalf`, down to one lane): log₂(lanes)
/// vector additions. The standard library's `sum()` adds the lanes one after another in order (an
/// ordered reduction, as IEEE addition is not associative): seven dependent scalar additions for
/// eight lanes, where the contributions engine takes one such sum per row and split.
public protocol PairwiseSum: SIMD where Scalar == Double {
    func pairwiseSum() -> Double
}

extension SIMD2: PairwiseSum where Scalar == Double {
    @inlinable @inline(__always) public func pairwiseSum() -> Double { self[0] + self[1] }
}

extension SIMD4: PairwiseSum where Scalar == Double {
    @inlinable @inline(__always) public func pairwiseSum() -> Double { (lowHalf + highHalf).pairwiseSum() }
}

extension SIMD8: PairwiseSum where Scalar == Double {
    @inlinable @inline(__always) public func pairwiseSum() -> Double { (lowHalf + highHalf).pairwiseSum() }
}

extension SIMD16: PairwiseSum where Scalar == Double {
    @inlinable @inline(__always) public func pairwiseSum() -> Double { (lowHalf + highHalf).pairwiseSum() }
}

extension SIMD32: PairwiseSum where Scalar == Double {
    @inlinable @inline(__always) public func pairwiseSum() -> Double { (lowHalf + highHalf).pairwiseSum() }
}

extension SIMD64: PairwiseSum where Scalar == Double {
    @inlinable @inline(__always) public func pairwiseSum() -> Double { (lowHalf + highHalf).pairwiseSum() }
}
