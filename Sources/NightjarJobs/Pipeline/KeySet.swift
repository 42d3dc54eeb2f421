import CNightjarShims

/// The keys a run has seen, to tell a duplicate (`duplicate_keys:`): 64-bit hashes of the key
/// fields in an open-addressing table (linear probing, at most half full), 8–16 bytes a key: about
/// 16 MB for 1M keys, so memory grows with the run's rows but stays far below the rows themselves.
///
/// Written by hand because it runs on every row of the read stage: a `Set<UInt64>` hashes each
/// element again with SipHash, and cost the CSV → SQLite job ~15% of its speed on 1M rows
/// (`bench/job_bench.sh`); this table indexes by the hash it is given.
///
/// Two different keys share a hash with probability about n²/2⁶⁵ for n keys (3·10⁻⁶ for 10M keys):
/// such a pair would be reported as a duplicate. Shards of one CSV input see only their own rows;
/// a PostgreSQL source is split by a hash of the key, so its duplicates meet in one shard.
struct KeySet {
    private var slots: [UInt64] = Array(repeating: 0, count: 1 << 12)
    private(set) var count = 0

    /// Inserts a key's hash; false when it was there already.
    mutating func insert(hash: UInt64) -> Bool {
        let h = hash == 0 ? 1 : hash  // 0 marks an empty slot
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        return slots.withUnsafeMutableBufferPointer { s in
            var i = Int(truncatingIfNeeded: h) & mask
            while true {
                let v = s[i]
                if v == 0 { s[i] = h; count += 1; return true }
                if v == h { return false }
                i = (i + 1) & mask
            }
        }
    }

    /// Inserts a chunk's key hashes in order; `inserted[i]` is false for a key seen before (in an
    /// earlier chunk or earlier in this one). The table slot of the key 16 rows ahead is
    /// prefetched: the table outgrows the caches, and a miss a row (~80 ns) was the whole cost.
    mutating func insert(hashes: UnsafeBufferPointer<UInt64>, inserted: UnsafeMutableBufferPointer<Bool>) {
        while (count + hashes.count) * 2 > slots.count { grow() }
        let ahead = 16
        count += slots.withUnsafeMutableBufferPointer { s -> Int in
            let mask = s.count - 1
            let base = s.baseAddress!
            var added = 0
            for i in 0..<hashes.count {
                if i + ahead < hashes.count {
                    let next = hashes[i + ahead] == 0 ? 1 : hashes[i + ahead]
                    nightjar_prefetch(base + (Int(truncatingIfNeeded: next) & mask))
                }
                let h = hashes[i] == 0 ? 1 : hashes[i]
                var j = Int(truncatingIfNeeded: h) & mask
                while true {
                    let v = s[j]
                    if v == 0 { s[j] = h; added += 1; inserted[i] = true; break }
                    if v == h { inserted[i] = false; break }
                    j = (j + 1) & mask
                }
            }
            return added
        }
    }

    /// Inserts the key made of `fields` (one per key column); false when it was there already.
    mutating func insert<Field: Collection<UInt8>>(_ fields: [Field]) -> Bool {
        var h = KeySet.start
        for field in fields { h = KeySet.combine(h, field) }
        return insert(hash: KeySet.finish(h))
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        count = 0
        for v in old where v != 0 { _ = insert(hash: v) }
    }

    // FNV-1a over the fields (each followed by a separator byte no UTF-8 text holds), then a
    // 64-bit finalizer (murmur3's fmix64) so that nearby keys spread over the whole table.
    static let start: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always)
    static func combine<Field: Collection<UInt8>>(_ hash: UInt64, _ field: Field) -> UInt64 {
        var h = hash
        for b in field { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return (h ^ 0xFF) &* 0x0000_0100_0000_01B3
    }

    @inline(__always)
    static func finish(_ hash: UInt64) -> UInt64 {
        var h = hash
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
