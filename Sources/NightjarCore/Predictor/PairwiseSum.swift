/// The contributions walk's vector of doubles at a tree's quadrature points: a product, a sum, a
/// scalar product, and a sum of its lanes by halves (`lowHalf + highHalf`, down to one lane):
/// log₂(lanes) vector additions. The standard library's `sum()` adds the lanes one after another
/// in order (an ordered reduction, as IEEE addition is not associative): seven dependent scalar
/// additions for eight lanes, where the contributions engine takes one such sum per row and split.
///
/// `SIMD2` to `SIMD16` of `Double` serve as they are. Wider trees use `Lanes32` and `Lanes64`,
/// pairs of halves, because Swift 6.3 applies the arithmetic of a `SIMD32<Double>` or
/// `SIMD64<Double>` lane by lane in a loop (282 instructions for one `SIMD32` addition, against 8
/// vector additions for two `SIMD16`).
public protocol PairwiseSum {
    init(repeating: Double)
    static func * (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Double) -> Self
    static func + (lhs: Self, rhs: Self) -> Self
    func pairwiseSum() -> Double
    /// `self + a × b`: one fused multiply-add where the build's CPU level has it (NIGHTJAR_FMA,
    /// and every arm64), otherwise a product and a sum.
    func plusProduct(_ a: Self, _ b: Self) -> Self
}

extension SIMD where Scalar == Double {
    @inlinable @inline(__always) public func plusProduct(_ a: Self, _ b: Self) -> Self {
        #if NIGHTJAR_FMA || arch(arm64)
        addingProduct(a, b)
        #else
        self + a * b
        #endif
    }
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

/// 32 doubles as two `SIMD16` halves, laid out as a `SIMD32<Double>` is (low lanes first).
public struct Lanes32: PairwiseSum {
    public var low: SIMD16<Double>
    public var high: SIMD16<Double>

    @inlinable @inline(__always) public init(low: SIMD16<Double>, high: SIMD16<Double>) { self.low = low; self.high = high }
    @inlinable @inline(__always) public init(repeating value: Double) { low = .init(repeating: value); high = low }
    @inlinable @inline(__always) public static func * (lhs: Self, rhs: Self) -> Self { Self(low: lhs.low * rhs.low, high: lhs.high * rhs.high) }
    @inlinable @inline(__always) public static func * (lhs: Self, rhs: Double) -> Self { Self(low: lhs.low * rhs, high: lhs.high * rhs) }
    @inlinable @inline(__always) public static func + (lhs: Self, rhs: Self) -> Self { Self(low: lhs.low + rhs.low, high: lhs.high + rhs.high) }
    @inlinable @inline(__always) public func pairwiseSum() -> Double { (low + high).pairwiseSum() }
    @inlinable @inline(__always) public func plusProduct(_ a: Self, _ b: Self) -> Self {
        Self(low: low.plusProduct(a.low, b.low), high: high.plusProduct(a.high, b.high))
    }
}

/// 64 doubles as two `Lanes32` halves, laid out as a `SIMD64<Double>` is.
public struct Lanes64: PairwiseSum {
    public var low: Lanes32
    public var high: Lanes32

    @inlinable @inline(__always) public init(low: Lanes32, high: Lanes32) { self.low = low; self.high = high }
    @inlinable @inline(__always) public init(repeating value: Double) { low = .init(repeating: value); high = low }
    @inlinable @inline(__always) public static func * (lhs: Self, rhs: Self) -> Self { Self(low: lhs.low * rhs.low, high: lhs.high * rhs.high) }
    @inlinable @inline(__always) public static func * (lhs: Self, rhs: Double) -> Self { Self(low: lhs.low * rhs, high: lhs.high * rhs) }
    @inlinable @inline(__always) public static func + (lhs: Self, rhs: Self) -> Self { Self(low: lhs.low + rhs.low, high: lhs.high + rhs.high) }
    @inlinable @inline(__always) public func pairwiseSum() -> Double { (low + high).pairwiseSum() }
    @inlinable @inline(__always) public func plusProduct(_ a: Self, _ b: Self) -> Self {
        Self(low: low.plusProduct(a.low, b.low), high: high.plusProduct(a.high, b.high))
    }
}
