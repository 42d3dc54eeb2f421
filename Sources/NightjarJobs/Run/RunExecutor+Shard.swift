import Foundation
import NightjarCore

extension RunExecutor {
    /// Holds the (job, date) lock while `body` runs: shards hold it only to join or finish a run;
    /// an unsharded run holds it throughout, so the two never overlap.
    func withDateLock<T>(_ store: RunStore, date: String, wait: Bool, _ body: () throws -> T) throws -> T {
        let started = Date()
        let me = "shard-setup-\(getpid())"
        while let holder = try store.tryLock(job: job.name, date: date, runID: me) {
            if !wait && Date().timeIntervalSince(started) > 30 { throw LockHeld(job: job.name, date: date, holder: holder) }
            if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: holder.runID) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        defer { try? store.unlock(job: job.name, date: date) }
        return try body()
    }

    static func shardedSource(_ count: Int) -> String { "sharded over \(count) workers" }

    /// Runs one shard of the date's run. Shards started for the same date join one run (creating it
    /// if none is unfinished); each commits its own chunks; the last to finish publishes the rows
    /// and marks the run succeeded.
    func runShard(_ options: RunOptions, shard: Shard) throws -> RunRecord {
        guard !job.keys.isEmpty else {
            throw ScoreError("job \(job.name): --shard needs a key column (key:) to tell the shards' rows apart")
        }
        if case .csv = job.sink {
            throw ScoreError("job \(job.name): a CSV sink cannot be split into shards; write to SQLite or PostgreSQL")
        }
        let date = options.date
        let ds = date.description
        let store = try RunStores.open(for: job, override: options.statePath)
        let plan = try plan(date: date, model: try resolveModel(store: store, date: ds, restart: options.restart))

        // Join the date's unfinished run with the same shard count and model, or start one.
        var record: RunRecord = try withDateLock(store, date: ds, wait: options.wait) {
            if let p = try store.latestRun(job: job.name, date: ds), p.status != .succeeded {
                let shards = try store.shards(runID: p.runID)
                let sharded = !shards.isEmpty || p.source == RunExecutor.shardedSource(shard.count)
                if sharded, !options.restart, p.modelSHA256 == plan.sha256, shards.allSatisfy({ $0.shards == shard.count }),
                   p.source == RunExecutor.shardedSource(shard.count) {
                    var joined = p
                    joined.status = .running
                    joined.error = nil
                    try store.update(joined)
                    return joined
                }
                // An unfinished run of another kind (unsharded, other shard count, other model): start over.
                try abandon(p, store: store)
            }
            let r = RunRecord(runID: RunExecutor.newRunID(date: date), job: job.name, logicalDate: ds, trigger: options.trigger,
                              status: .running, attempt: 1, scheduledFor: options.scheduledFor.map(Timestamp.format), startedAt: Timestamp.now(),
                              endedAt: nil, rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0, modelName: plan.name,
                              modelVersion: plan.version, modelSHA256: plan.sha256, modelPath: plan.resolved.modelPath,
                              source: RunExecutor.shardedSource(shard.count), sink: sinkDescription(date: date), nightjarVersion: RunExecutor.version, host: Host.name,
                              pid: Int(getpid()), bundlePath: plan.resolved.bundle?.directory, modelAlias: plan.resolved.alias)
            try store.update(r)
            return r
        }

        // One process per shard.
        let shardJob = "\(job.name)#shard\(shard)"
        var askedAt = Date()
        while let holder = try store.tryLock(job: shardJob, date: ds, runID: record.runID) {
            guard options.wait else { throw LockHeld(job: job.name, date: ds, holder: holder, shard: shard.description) }
            if let signal = cancellation.requested { throw RunInterrupted(signal: signal, runID: record.runID) }
            Thread.sleep(forTimeInterval: 0.5)
            askedAt = Date()
        }
        defer {
            lease?.stop()
            lease = nil
            try? store.unlock(job: shardJob, date: ds)
        }
        lease = try startLease(store, job: shardJob, date: ds, askedAt: askedAt)
        store.keepReserve()

        let previous = try store.shards(runID: record.runID).first { $0.shard == shard.index }
        var shardRecord = ShardRecord(runID: record.runID, shard: shard.index, shards: shard.count, status: .running,
                                      rows: previous?.rows ?? 0, chunks: previous?.chunks ?? 0, host: Host.name, pid: Int(getpid()),
                                      startedAt: previous?.startedAt ?? Timestamp.now())
        let destination: ChunkDestination
        if previous?.status == .succeeded {
            destination = try execute(&record, plan: plan, store: store, resuming: true, shard: shard)  // nothing left to read
        } else {
            try store.updateShard(shardRecord)
            logger.info("starting shard", metadata: ["job": "\(job.name)", "run_id": "\(record.runID)", "shard": "\(shard)"])
            do {
                var local = record
                destination = try execute(&local, plan: plan, store: store, resuming: true, shard: shard)
                shardRecord.rows = local.rowsWritten
                shardRecord.chunks = local.chunks
            } catch {
                shardRecord.status = error is RunInterrupted ? .interrupted : .failed
                shardRecord.error = "\(error)"
                shardRecord.endedAt = Timestamp.now()
                try? store.updateShard(shardRecord)
                // The run stays open for the shard's retry, but its metrics say it failed now, so
                // an alert fires without waiting for the run to be late.
                var failed = record
                failed.status = shardRecord.status == .interrupted ? .interrupted : .failed
                failed.error = QuotedValue.line("shard \(shard): \(error)")
                failed.endedAt = shardRecord.endedAt
                exportMetrics(failed, store: store)
                throw error
            }
            shardRecord.status = .succeeded
            shardRecord.endedAt = Timestamp.now()
            try store.updateShard(shardRecord)
        }
        progress?.finish()

        // The last shard to finish publishes the run.
        return try withDateLock(store, date: ds, wait: true) {
            let shards = try store.shards(runID: record.runID)
            var current = try store.run(id: record.runID) ?? record
            let done = shards.filter { $0.status == .succeeded }
            guard done.count == shard.count, current.status != .succeeded else {
                logger.info("shard finished; waiting for the other shards", metadata: [
                    "run_id": "\(record.runID)", "shard": "\(shard)", "done": "\(done.count)/\(shard.count)"])
                current.rowsWritten = shards.reduce(0) { $0 + $1.rows }
                return current
            }
            let chunks = try destination.committed(runID: record.runID, shard: nil)
            current.rowsRead = chunks.reduce(0) { $0 + $1.rows }
            current.rowsScored = current.rowsRead
            current.rowsWritten = current.rowsRead
            current.chunks = done.reduce(0) { $0 + $1.chunks }
            do {
                let registry = ModelRegistry(root: job.registry)
                let challengers = try job.challengers.map { ref in
                    RunQuality.ChallengerInfo(reference: ref.description, name: ref.name, version: try registry.resolve(ref, store: store).version)
                }
                try plan.quality.finish(&current, chunks: chunks, store: store, challengers: challengers)
                logQualityWarnings(current, store: store)
                try destination.finish(runID: record.runID, date: ds)
            } catch {
                recordFailure(&current, error, store: store)
                throw error
            }
            current.status = .succeeded
            current.endedAt = Timestamp.now()
            try store.update(current)
            afterRun(current, store: store)
            logger.info("all shards finished; run published", metadata: ["run_id": "\(record.runID)", "rows": "\(current.rowsWritten)"])
            return current
        }
    }
}
