/// The stable hash that assigns a row to one side of an A/B split: 64-bit FNV-1a over the UTF-8
/// bytes of the key's text (key columns joined with a 0x1F byte), bucket = hash mod 10,000; the row
/// goes to the challenger when bucket < share × 10,000. The same key lands on the same side every
/// night, on every machine, whatever the chunking; anyone can recompute it (e.g. in Python:
/// `h = 0xcbf29ce484222325; for b in key.encode(): h = ((h ^ b) * 0x100000001b3) % 2**64`).
public enum SplitHash {
    public static let buckets: UInt64 = 10_000

    @inlinable
    public static func fnv1a<C: Collection>(_ bytes: C, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 where C.Element == UInt8 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The bucket (0 ..< 10,000) of a key given as its fields.
    public static func bucket(_ fields: [ArraySlice<UInt8>]) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (i, f) in fields.enumerated() {
            if i > 0 { h = fnv1a(CollectionOfOne(UInt8(0x1F)), seed: h) }
            h = fnv1a(f, seed: h)
        }
        return Int(h % buckets)
    }

    /// Whether a key goes to the challenger at `share` (0…1).
    public static func isChallenger(_ fields: [ArraySlice<UInt8>], share: Double) -> Bool {
        Double(bucket(fields)) < share * Double(buckets)
    }
}
