import ArgumentParser
import Foundation
import NightjarJobs

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List recent runs, or show one with its chunks.",
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self)

    struct StoreOptions: ParsableArguments {
        @Option(help: "Run store file.")
        var state: String?

        @Option(help: "Job file whose run store to read (and whose runs to list).")
        var job: String?

        func open() throws -> (RunStore, String?) {
            if let state { return (try SQLiteRunStore(existing: state), nil) }
            if let job {
                let spec = try JobSpec.load(path: job)
                if spec.statePostgres != nil { return (try RunStores.open(for: spec), spec.name) }
                return (try SQLiteRunStore(existing: spec.state), spec.name)
            }
            let fallback = ProcessInfo.processInfo.environment["NIGHTJAR_STATE"] ?? "nightjar-state.db"
            return (try SQLiteRunStore(existing: fallback), nil)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List recent runs, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "How many runs.") var limit = 20
        @Flag(help: "JSON instead of a table.") var json = false

        func run() throws {
            let runs = try runReportingErrors { () -> [RunRecord] in
                let (s, job) = try store.open()
                return try s.recentRuns(job: job, limit: limit)
            }
            print(json ? RunReport.json(runs) : RunReport.table(runs))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run with its chunks and figures.")
        @Argument(help: "Run id.") var runID: String
        @OptionGroup var store: StoreOptions
        @Flag(help: "JSON instead of text.") var json = false

        func run() throws {
            let (record, chunks, shards) = try runReportingErrors { () -> (RunRecord, [ChunkRecord], [ShardRecord]) in
                let (s, _) = try store.open()
                guard let r = try s.run(id: runID) else { throw ScoreError("no run \(runID) in \(s.location)") }
                return (r, try s.chunks(runID: runID), try s.shards(runID: runID))
            }
            print(json ? RunReport.json(RunReport.Detail(run: record, chunks: chunks, shards: shards))
                       : RunReport.detail(record, chunks: chunks, shards: shards))
        }
    }
}
