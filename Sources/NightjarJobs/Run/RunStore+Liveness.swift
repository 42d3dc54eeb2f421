import Foundation

extension RunStore {
    /// The runs as they stand: a run stored as `running` whose work no live process holds a lock
    /// for (its process ended, its lease expired, an operator removed the lock) reads
    /// `interrupted`, with the reason in its error. Derived on read, never written, so `runs` and
    /// `report` work on a full disk and a read-only store; the next run of the date stores it (and
    /// a resumed run still ends `succeeded`).
    public func observed(_ runs: [RunRecord], now: Date = Date()) -> [RunRecord] {
        var locks: [String: [RunLockHolder]?] = [:]
        return runs.map { run in
            guard run.status == .running else { return run }
            let key = run.job + "\u{1F}" + run.logicalDate
            if locks[key] == nil { locks[key] = .some(try? lockHolders(job: run.job, date: run.logicalDate)) }
            // Locks that cannot be read (a damaged row): the stored status stands.
            guard let holders = locks[key] ?? nil else { return run }
            let covering = holders.filter { $0.covers(job: run.job) }
            if covering.contains(where: { $0.deadReason(now: now) == nil }) { return run }
            var shown = run
            shown.status = .interrupted
            let why = covering.isEmpty
                ? "its lock is gone (released without its end being recorded, or removed by nightjar unlock)"
                : covering.compactMap { $0.deadReason(now: now) }.joined(separator: "; ")
            shown.error = shown.error ?? "no live process is running it: \(why); `nightjar run` for the date resumes it"
            return shown
        }
    }

    public func observed(_ run: RunRecord) -> RunRecord { observed([run])[0] }

    /// A run's shards as they stand: a shard stored as `running` whose lock (`job#shardI/N`) no
    /// live process holds reads `interrupted`.
    public func observed(shards: [ShardRecord], of run: RunRecord, now: Date = Date()) -> [ShardRecord] {
        guard shards.contains(where: { $0.status == .running }),
              let holders = try? lockHolders(job: run.job, date: run.logicalDate) else { return shards }
        return shards.map { shard in
            guard shard.status == .running else { return shard }
            let name = "\(run.job)#shard\(shard.shard)/\(shard.shards)"
            if holders.contains(where: { $0.job == name && $0.deadReason(now: now) == nil }) { return shard }
            var shown = shard
            shown.status = .interrupted
            shown.error = shown.error ?? "no live process is running this shard; `nightjar run --shard \(shard.shard)/\(shard.shards)` resumes it"
            return shown
        }
    }
}
