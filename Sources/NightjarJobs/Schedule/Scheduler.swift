import Dispatch
import Foundation
import Logging

/// `nightjar schedule DIR`: reads every job file in a directory, starts runs when their cron time
/// arrives (in each job's time zone), catches up after downtime per the job's policy, never lets a
/// job overlap itself, retries failed runs with exponential back-off, and picks up job files that
/// change on disk.
public final class Scheduler: @unchecked Sendable {
    /// Runs one job for one date; the default runs `RunExecutor`.
    public typealias Runner = @Sendable (JobSpec, RunOptions) throws -> RunRecord

    struct Pending {
        var date: LogicalDate
        var scheduledFor: Date?
        var trigger: RunRecord.Trigger
        var notBefore: Date
        var retry: Int
    }

    struct Entry {
        var job: JobSpec
        var modified: Date
        /// Fires up to here have been considered.
        var cursor: Date
        var pending: [Pending] = []
        var running = false
    }

    public let directory: String
    let clock: SchedulerClock
    let logger: Logger
    let runner: Runner
    let cancellation: Cancellation
    let lock = NSLock()
    var entries: [String: Entry] = [:]
    /// Job files that failed to load, by modification time: logged once per version of the file,
    /// not on every pass.
    var broken: [String: Date] = [:]
    var started: Date
    let queue = DispatchQueue(label: "nightjar.scheduler.runs", attributes: .concurrent)
    /// When set, only the holder of this lock starts runs; the others stand by.
    let leader: LeaderLock?
    var wasLeader: Bool? = nil
    let group = DispatchGroup()

    public init(directory: String, clock: SchedulerClock = SystemClock(), logger: Logger,
                cancellation: Cancellation = Cancellation(), leader: LeaderLock? = nil, runner: Runner? = nil) {
        self.directory = directory
        self.leader = leader
        self.clock = clock
        self.logger = logger
        self.cancellation = cancellation
        self.started = clock.now()
        let log = logger
        self.runner = runner ?? { job, options in
            try RunExecutor(job: job, logger: log, cancellation: cancellation).run(options)
        }
    }

    /// Job files in the directory (`*.yaml`, `*.yml`).
    func jobFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { URL(fileURLWithPath: directory).appendingPathComponent($0).path }
    }

    /// Loads new and changed job files; forgets removed ones.
    func reload(now: Date) {
        let files = jobFiles()
        lock.lock(); defer { lock.unlock() }
        for gone in Set(entries.keys).subtracting(files) {
            logger.info("job file removed; job unscheduled", metadata: ["file": "\(gone)"])
            entries[gone] = nil
        }
        for gone in Set(broken.keys).subtracting(files) { broken[gone] = nil }
        for file in files {
            let modified = (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date) ?? .distantPast
            if let e = entries[file], e.modified == modified { continue }
            if broken[file] == modified { continue }  // reported already; waits for the file to change
            do {
                let job = try JobSpec.load(path: file)
                broken[file] = nil
                guard job.schedule != nil else {
                    if entries[file] == nil { logger.info("job has no schedule; not scheduled", metadata: ["job": "\(job.name)"]) }
                    entries[file] = nil
                    continue
                }
                var cursor = now
                if let old = entries[file] {
                    cursor = old.cursor
                    entries[file]!.job = job
                    entries[file]!.modified = modified
                    logger.info("job file changed; reloaded", metadata: ["job": "\(job.name)"])
                } else {
                    // Where this job's schedule left off: its newest scheduled run.
                    if let last = try? RunStores.open(for: job).lastScheduled(job: job.name) { cursor = last }
                    entries[file] = Entry(job: job, modified: modified, cursor: cursor)
                    let next = job.schedule!.cron.next(after: now, in: job.schedule!.timeZone)
                    logger.info("job scheduled", metadata: ["job": "\(job.name)", "cron": "\(job.schedule!.cron)",
                                                           "timezone": "\(job.schedule!.timeZone.identifier)",
                                                           "next": "\(next.map(Timestamp.format) ?? "never")"])
                }
            } catch {
                broken[file] = modified
                logger.error("job file not loaded; the job keeps its previous schedule, if any, until the file is fixed",
                             metadata: ["file": "\(file)", "error": "\(error)"])
            }
        }
    }

    /// One pass: reload files, queue the fires that are due, start what can start.
    public func tick() {
        let now = clock.now()
        if let leader {
            let leading = leader.isLeader()
            if leading != wasLeader {
                logger.info(leading ? "this scheduler is the leader; starting runs" : "another scheduler is the leader; standing by")
                if leading && wasLeader == false {
                    // Taking over: continue from the fires the previous leader recorded in the shared run store.
                    reload(now: now)
                    lock.lock()
                    for (file, e) in entries {
                        if let last = try? RunStores.open(for: e.job).lastScheduled(job: e.job.name), last > e.cursor {
                            entries[file]?.cursor = last
                        }
                    }
                    lock.unlock()
                }
                wasLeader = leading
            }
            guard leading else {
                reload(now: now)
                return
            }
        }
        reload(now: now)
        lock.lock()
        for (file, var e) in entries {
            guard let schedule = e.job.schedule else { continue }
            let due = schedule.catchUp.dueFires(cron: schedule.cron, timeZone: schedule.timeZone, since: e.cursor, now: now)
            let all = schedule.cron.fires(after: e.cursor, through: now, in: schedule.timeZone)
            for skipped in all where !due.contains(skipped) {
                logger.warning("missed fire not run (catch-up policy)", metadata: ["job": "\(e.job.name)", "fire": "\(Timestamp.format(skipped))"])
            }
            for fire in due {
                e.pending.append(Pending(date: LogicalDate.forRun(startingAt: fire, in: schedule.timeZone), scheduledFor: fire, trigger: .schedule,
                                         notBefore: fire, retry: 0))
            }
            if let last = all.last { e.cursor = last }
            entries[file] = e
        }
        var toStart: [(String, Entry, Pending)] = []
        for (file, var e) in entries where !e.running {
            guard let i = e.pending.firstIndex(where: { $0.notBefore <= now }) else {
                if !e.pending.isEmpty { entries[file] = e }
                continue
            }
            let p = e.pending.remove(at: i)
            e.running = true
            entries[file] = e
            toStart.append((file, e, p))
        }
        lock.unlock()
        for (file, e, p) in toStart { start(file: file, job: e.job, pending: p) }
    }

    func start(file: String, job: JobSpec, pending p: Pending) {
        logger.info("starting run", metadata: ["job": "\(job.name)", "logical_date": "\(p.date)", "trigger": "\(p.trigger.rawValue)"])
        group.enter()
        queue.async { [self] in
            defer { group.leave() }
            let result = Result { try runner(job, RunOptions(date: p.date, trigger: p.trigger, wait: false, scheduledFor: p.scheduledFor)) }
            lock.lock()
            defer { lock.unlock() }
            entries[file]?.running = false
            switch result {
            case .success(let r):
                logger.info("run succeeded", metadata: ["job": "\(job.name)", "run_id": "\(r.runID)", "rows": "\(r.rowsWritten)"])
            case .failure(let error):
                if error is RunInterrupted { return }
                if p.retry < job.retries.count, RunExecutor.isRetryable(error) {
                    let delay = job.retries.delay(beforeRetry: p.retry + 1)
                    let at = clock.now().addingTimeInterval(delay)
                    logger.warning("run failed; will retry", metadata: ["job": "\(job.name)", "logical_date": "\(p.date)",
                                                                        "retry": "\(p.retry + 1)/\(job.retries.count)",
                                                                        "at": "\(Timestamp.format(at))", "error": "\(error)"])
                    entries[file]?.pending.append(Pending(date: p.date, scheduledFor: p.scheduledFor, trigger: .retry, notBefore: at, retry: p.retry + 1))
                } else {
                    logger.error("run failed", metadata: ["job": "\(job.name)", "logical_date": "\(p.date)", "error": "\(error)"])
                }
            }
        }
    }

    /// True when no run is in flight.
    public var isIdle: Bool {
        lock.lock(); defer { lock.unlock() }
        return entries.values.allSatisfy { !$0.running }
    }

    /// Waits for runs in flight.
    public func drain() { group.wait() }

    /// When the next thing is due (fire or retry), at most 30 s ahead. A job's pending runs wait
    /// while it runs (the loop looks again at least every second, so a retry queued when a run
    /// fails starts on time).
    func nextWake(now: Date) -> Date {
        lock.lock(); defer { lock.unlock() }
        var wake = now.addingTimeInterval(30)
        for e in entries.values {
            if let s = e.job.schedule, let n = s.cron.next(after: max(e.cursor, now), in: s.timeZone) { wake = min(wake, n) }
            if !e.running { for p in e.pending { wake = min(wake, max(p.notBefore, now)) } }
        }
        return wake
    }

    /// Runs until cancelled; then lets the runs in flight stop at their next chunk.
    public func runForever() {
        logger.info("scheduler started", metadata: ["directory": "\(directory)"])
        while cancellation.requested == nil {
            tick()
            // Sleeps in steps of at most a second (SystemClock), each time asking again what is due:
            // a failed run queues its retry while the loop sleeps.
            while cancellation.requested == nil {
                let wake = nextWake(now: clock.now())
                if clock.now() >= wake { break }
                clock.sleep(until: wake)
            }
        }
        logger.info("scheduler stopping; waiting for runs in flight")
        drain()
    }
}
