/// The keys a run has seen, to tell a duplicate (`duplicate_keys:`): a set of 64-bit hashes of the
/// key fields, 8 bytes a key plus the set's overhead (~17 MB for 1M keys), so memory grows with
/// the run's rows but stays far below the rows themselves.
///
/// Two different keys share a hash with probability about n²/2⁶⁵ for n keys (3·10⁻⁶ for 10M keys):
/// such a pair would be reported as a duplicate. Shards of one CSV input see only their own rows;
/// a PostgreSQL source is split by a hash of the key, so its duplicates meet in one shard.
struct KeySet {
    private var hashes = Set<UInt64>()

    var count: Int { hashes.count }

    /// Inserts the key made of `fields` (one per key column); false when it was there already.
    mutating func insert<Field: Collection<UInt8>>(_ fields: [Field]) -> Bool {
        hashes.insert(KeySet.hash(fields)).inserted
    }

    /// FNV-1a over the fields (each followed by a separator byte no UTF-8 text holds), then a
    /// 64-bit finalizer (murmur3's fmix64) so that nearby keys spread over the whole range.
    static func hash<Field: Collection<UInt8>>(_ fields: [Field]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for field in fields {
            for b in field { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            h = (h ^ 0xFF) &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
