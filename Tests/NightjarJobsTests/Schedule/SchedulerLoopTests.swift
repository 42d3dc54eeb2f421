import Foundation
import Logging
import Testing
@testable import NightjarJobs

/// Counts log records by message (tests only).
final class CountingLog: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func add(_ message: String) { lock.lock(); counts[message, default: 0] += 1; lock.unlock() }
    func count(_ prefix: String) -> Int { lock.lock(); defer { lock.unlock() }; return counts.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +) }

    struct Handler: LogHandler {
        let log: CountingLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { metadata[key] } set { metadata[key] = newValue } }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            log.add(message.description)
        }
    }
    var logger: Logger { Logger(label: "test") { _ in Handler(log: self) } }
}

/// The scheduler's loop in real time: a broken job file is reported once per version of the
/// file, and a retry starts when its back-off ends, not at the loop's next 30 s wake-up.
@Suite(.serialized) struct SchedulerLoopTests {
    @Test func aBrokenJobFileIsReportedOncePerChange() throws {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("bad.yaml")
        try "name: bad\nbogus: 1\n".write(to: file, atomically: true, encoding: .utf8)
        let log = CountingLog()
        let scheduler = Scheduler(directory: dir.path, clock: ManualClock(Date()), logger: log.logger, runner: { _, _ in throw ScoreError("never") })
        for _ in 0..<50 { scheduler.tick() }
        #expect(log.count("job file not loaded") == 1)
        Thread.sleep(forTimeInterval: 1.1)  // a different modification time
        try "name: bad\nbogus: 2\n".write(to: file, atomically: true, encoding: .utf8)
        for _ in 0..<50 { scheduler.tick() }
        #expect(log.count("job file not loaded") == 2)
    }

    @Test func aRetryStartsWhenItsBackoffEnds() throws {
        let dir = temporaryDirectory()
        try SchedulerTests().writeJob(dir, name: "r", cron: "0 3 1 1 *", extra: "retries: { count: 1, backoff: 1s }")
        let times = Locked<[Date]>([])
        let cancellation = Cancellation()
        let scheduler = Scheduler(directory: dir.path, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                                  cancellation: cancellation, runner: { job, options in
            let first = times.value.isEmpty
            times.mutate { $0.append(Date()) }
            if first { throw ScoreError("database down", kind: .temporary) }
            return RunRecord(runID: "r", job: job.name, logicalDate: options.date.description, trigger: options.trigger, status: .succeeded,
                             attempt: 2, startedAt: "", rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0)
        })
        // A run due now, as a fire would queue it.
        scheduler.reload(now: Date())
        let file = dir.appendingPathComponent("r.yaml").path
        scheduler.lock.lock()
        scheduler.entries[file]?.pending.append(Scheduler.Pending(date: LogicalDate("2026-11-28")!, scheduledFor: Date(), trigger: .schedule,
                                                                  notBefore: Date(), retry: 0))
        scheduler.lock.unlock()
        let loop = Thread { scheduler.runForever() }
        loop.start()
        let deadline = Date().addingTimeInterval(20)
        while times.value.count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        cancellation.cancel(signal: SIGTERM)
        let t = times.value
        #expect(t.count == 2)
        if t.count == 2 {
            let gap = t[1].timeIntervalSince(t[0])
            #expect(gap >= 0.9 && gap < 3, "retry after \(gap) s for a 1 s back-off")
        }
    }
}
