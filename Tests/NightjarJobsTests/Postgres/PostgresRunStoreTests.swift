import Foundation
import Testing
import NightjarIO
import Logging
@testable import NightjarJobs

@Suite(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN (scripts/test.sh starts a server)"))
struct PostgresRunStoreTests {
    let settings = JobSpec.PostgresSettings(dsnEnv: "NIGHTJAR_TEST_PG_DSN", service: nil)

    func job(_ name: String) throws -> JobSpec {
        let dir = temporaryDirectory()
        let yaml = """
            name: \(name)
            model: \(fixture("churn/churn_xgb.json"))
            source: { csv: \(fixture("churn/score_input.csv")) }
            key: customer_id
            chunk_rows: 200
            sink: { sqlite: { path: out.db, table: scores } }
            state: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        return try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
    }

    @Test func migrationsApplyOnceWhenProcessesStartTogether() throws {
        let errors = Calls()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { _ = try PostgresRunStore(settings: settings, job: "t") } catch { _ = errors.add("\(error)", "", .manual) }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        let c = try PostgresTestServer.connect()
        #expect(try c.execute("SELECT version, count(*) FROM nightjar.schema_migrations GROUP BY version ORDER BY version").rows
                == (1...PostgresRunStore.migrations.count).map { [String($0), "1"] })
    }

    @Test func runsAreRecordedInPostgres() throws {
        let name = PostgresTestServer.name("pgstate")
        let spec = try job(name)
        #expect(spec.statePostgres == settings)
        let date = LogicalDate("2026-11-28")!
        let first = try RunExecutor(job: spec).run(RunOptions(date: date))
        let second = try RunExecutor(job: spec).run(RunOptions(date: date))
        let store = try RunStores.open(for: spec)
        let runs = try store.recentRuns(job: name, limit: 10)
        #expect(runs.map(\.runID) == [second.runID, first.runID])
        #expect(runs.allSatisfy { $0.status == .succeeded && $0.rowsWritten == 1000 && $0.logicalDate == "2026-11-28" })
        #expect(try store.chunks(runID: second.runID).count == 5)
        #expect(try store.succeededDates(job: name) == ["2026-11-28"])
        #expect(try store.run(id: first.runID)?.modelSHA256 == first.modelSHA256)
        // Output rows in the SQLite sink join to runs recorded in PostgreSQL.
        let ids = try SQLiteDatabase(path: (spec.sink.sqlitePath)!, readOnly: true).query("SELECT DISTINCT run_id FROM scores")
        #expect(ids == [[second.runID]])
    }

    @Test func aliasesRejectsAndDriftLiveInPostgresToo() throws {
        let name = PostgresTestServer.name("pgquality")
        let store = try PostgresRunStore(settings: settings, job: name)
        let model = "m-\(name)"
        try store.apply(AliasEvent(model: model, alias: "champion", action: .promote, version: "1", previousVersion: nil, at: "2026-11-28T01:00:00Z"))
        try store.apply(AliasEvent(model: model, alias: "champion", action: .promote, version: "2", previousVersion: "1", at: "2026-11-28T02:00:00Z", reason: "better"))
        #expect(try store.alias(model: model, alias: "champion") == "2")
        #expect(try store.aliasEvents(model: model, alias: nil).map(\.version) == ["1", "2"])
        #expect(try store.aliasEvents(model: model, alias: "champion").last?.reason == "better")

        let run = "r-\(name)"
        func reject(_ chunk: Int, _ row: Int, _ column: String, _ reason: String) -> RejectRecord {
            RejectRecord(runID: run, shard: 0, chunk: chunk, rowNumber: row, key: "K\(row)", column: column, value: "v'\\\(row)", reason: reason)
        }
        try store.replaceRejects(runID: run, shard: 0, chunk: 0, [reject(0, 1, "age", "null_value"), reject(0, 2, "region", "unseen_category")])
        try store.replaceRejects(runID: run, shard: 0, chunk: 1, [reject(1, 7, "region", "unseen_category")])
        try store.replaceRejects(runID: run, shard: 0, chunk: 1, [reject(1, 8, "region", "unseen_category")])  // a redone chunk replaces its rejects
        #expect(try store.rejectCounts(runID: run) == [RejectCount(column: "region", reason: "unseen_category", count: 2),
                                                     RejectCount(column: "age", reason: "null_value", count: 1)])
        #expect(try store.rejects(runID: run, limit: 10).map(\.rowNumber) == [1, 2, 8])
        #expect(try store.rejects(runID: run, limit: 10).first?.value == "v'\\1")
        try store.deleteRejects(runID: run, shard: 0, fromChunk: 1)
        #expect(try store.rejects(runID: run, limit: 10).count == 2)

        // A run from a bundle records its model lineage and drift in PostgreSQL.
        let dir = temporaryDirectory()
        let yaml = """
            name: \(name)
            model: \(fixtures.deletingLastPathComponent().appendingPathComponent("models/churn/2").path)
            source: { csv: \(fixture("churn/score_input.csv")) }
            key: customer_id
            chunk_rows: 300
            sink: { sqlite: { path: out.db, table: scores } }
            state: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let record = try RunExecutor(job: try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)).run(RunOptions(date: LogicalDate("2026-11-28")!))
        let stored = try #require(try store.run(id: record.runID))
        #expect(stored.modelName == "churn" && stored.modelVersion == "2" && stored.bundlePath?.hasSuffix("models/churn/2") == true)
        #expect(stored.driftStatus == .warn && stored.predictionPSI == record.predictionPSI && stored.stats != nil)
        let stats = try store.featureStats(runID: record.runID)
        #expect(stats.count == 9 && stats.first?.feature == "region")
        #expect(try store.chunks(runID: record.runID).allSatisfy { $0.stats != nil })

        // Shadow comparisons, and the history a canary promotion reads (succeeded runs only).
        let cmp = ShadowComparisonRecord(runID: record.runID, job: name, logicalDate: "2026-11-28", challenger: "\(model)@challenger",
                                         modelName: model, modelVersion: "7", championVersion: "2", rows: 1000, meanAbsDiff: 0.04,
                                         maxAbsDiff: 0.3, correlation: nil, flipRate: 0.041, predictionPSI: 0.011,
                                         championMicrosPerRow: 2.5, challengerMicrosPerRow: 3.5)
        try store.replaceShadowComparisons(runID: record.runID, [cmp])
        #expect(try store.shadowComparisons(runID: record.runID) == [cmp])
        #expect(try store.shadowHistory(model: model, version: "7", limit: 3) == [cmp])
        #expect(try store.shadowHistory(model: model, version: "8", limit: 3).isEmpty)
    }

    @Test func anAdvisoryLockHeldElsewhereRefusesTheRunAndIsReleasedWithItsSession() throws {
        let name = PostgresTestServer.name("pglock")
        let spec = try job(name)
        let other = try PostgresRunStore(settings: settings, job: name)  // another "machine"
        #expect(try other.tryLock(job: name, date: "2026-11-28", runID: "elsewhere") == nil)
        #expect { try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!)) } throws: { error in
            "\(error)".contains("already running (run elsewhere")
        }
        // Another date is free.
        #expect(try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-29")!)).status == .succeeded)
        try other.unlock(job: name, date: "2026-11-28")
        #expect(try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!)).status == .succeeded)
        // A session that ends (a process that dies) releases its locks at once.
        do {
            let gone = try PostgresRunStore(settings: settings, job: name)
            #expect(try gone.tryLock(job: name, date: "2026-11-30", runID: "dying") == nil)
        }
        #expect(try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-30")!)).status == .succeeded)
    }
}

@Suite(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN"))
struct LeaderLockTests {
    @Test func oneOfTwoSchedulersStartsRunsAndTheOtherTakesOver() throws {
        let dir = temporaryDirectory()
        let yaml = """
            name: led
            model: m.json
            source: { csv: in.csv }
            sink: { sqlite: { path: out.db } }
            schedule: { cron: "* * * * *" }
            """
        try yaml.write(to: dir.appendingPathComponent("led.yaml"), atomically: true, encoding: .utf8)
        let settings = JobSpec.PostgresSettings(dsnEnv: "NIGHTJAR_TEST_PG_DSN", service: nil)
        let key = PostgresTestServer.name("group")
        let clock = ManualClock(SchedulerTests.at("2026-11-28T00:00:30Z"))
        let calls = Calls()
        func make(_ label: String) -> (Scheduler, LeaderLock) {
            let lock = LeaderLock(settings: settings, key: key)
            let s = Scheduler(directory: dir.path, clock: clock, logger: .init(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), leader: lock) { job, options in
                _ = calls.add(label, options.date.description, options.trigger)
                return RunRecord(runID: "r", job: job.name, logicalDate: options.date.description, trigger: options.trigger, status: .succeeded,
                                 attempt: 1, startedAt: "", rowsRead: 0, rowsScored: 0, rowsWritten: 0, chunks: 0)
            }
            return (s, lock)
        }
        let (a, lockA) = make("a")
        let (b, _) = make("b")
        a.tick(); b.tick()
        clock.set(SchedulerTests.at("2026-11-28T00:01:01Z"))
        a.tick(); b.tick(); a.drain(); b.drain()
        #expect(calls.all.map(\.0) == ["a"])
        // The leader goes away: the standby takes over at its next tick, without replaying old fires.
        lockA.release()
        clock.set(SchedulerTests.at("2026-11-28T00:02:01Z"))
        // The server ends the old session asynchronously: the standby gets the lock within a few ticks.
        let deadline = Date().addingTimeInterval(20)
        while calls.all.count < 2 && Date() < deadline {
            b.tick(); b.drain()
            if calls.all.count < 2 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(calls.all.map(\.0) == ["a", "b"])
    }
}
