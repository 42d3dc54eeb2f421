#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Category names looked up by the bytes of a field, for `FeatureEncoder`: no `String` made per
/// field and no `Hasher` (making a String and hashing it with SipHash was ~5% of a PostgreSQL →
/// PostgreSQL run's CPU on the churn model, two categorical features).
///
/// Names match byte for byte, as the training libraries compare them (Python compares code
/// points, without Unicode normalisation; a `String` key would also have matched a differently
/// composed "é" and turned invalid UTF-8 into U+FFFD first). Open addressing over FNV-1a hashes,
/// at most half full; the first name of a duplicated one keeps its code.
@usableFromInline
struct CategoryTable: Sendable {
    /// The names' bytes back to back; entry i spans `starts[i] ..< starts[i + 1]`.
    let bytes: [UInt8]
    let starts: [Int]
    let codes: [Int]
    /// Entry index + 1 per slot; 0: empty.
    let slots: [Int32]
    let mask: Int

    /// `names[i]` has code `i`.
    init(names: [String]) {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        var codes: [Int] = []
        var size = 8
        while size < names.count * 2 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        let mask = size - 1
        for (code, name) in names.enumerated() {
            let utf8 = Array(name.utf8)
            var slot = utf8.withUnsafeBufferPointer { Int(truncatingIfNeeded: CategoryTable.hash($0)) & mask }
            var duplicate = false
            while slots[slot] != 0 {
                let e = Int(slots[slot]) - 1
                if bytes[starts[e]..<starts[e + 1]].elementsEqual(utf8) { duplicate = true; break }
                slot = (slot + 1) & mask
            }
            if duplicate { continue }
            bytes.append(contentsOf: utf8)
            starts.append(bytes.count)
            codes.append(code)
            slots[slot] = Int32(codes.count)
        }
        self.bytes = bytes
        self.starts = starts
        self.codes = codes
        self.slots = slots
        self.mask = mask
    }

    @inline(__always)
    static func hash(_ field: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in field { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// The code of the name spelled by `field`, or nil when training never saw it.
    @inline(__always)
    func code(_ field: UnsafeBufferPointer<UInt8>) -> Int? {
        var slot = Int(truncatingIfNeeded: CategoryTable.hash(field)) & mask
        return slots.withUnsafeBufferPointer { slots in
            bytes.withUnsafeBufferPointer { bytes in
                starts.withUnsafeBufferPointer { starts in
                    while true {
                        let s = Int(slots[slot])
                        if s == 0 { return nil }
                        let e = s - 1
                        let start = starts[e], count = starts[e + 1] - start
                        if count == field.count
                            && (count == 0 || memcmp(bytes.baseAddress! + start, field.baseAddress!, count) == 0) {
                            return codes[e]
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }
}
