import ArgumentParser
import Foundation
import NightjarCore
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
                // One damaged row does not hide the others: it is named on stderr and left out.
                return s.observed(try s.recentRuns(job: job, limit: limit) { error in
                    FileHandle.standardError.write(Data("warning: left out of the list: \(QuotedValue.line(error.description))\n".utf8))
                })
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
            let detail = try runReportingErrors { () -> RunReport.Detail in
                let (s, _) = try store.open()
                guard let r = try s.run(id: runID).map(s.observed) else { throw ScoreError("no run \(runID) in \(s.location)") }
                return RunReport.Detail(run: r, chunks: try s.chunks(runID: runID), shards: s.observed(shards: try s.shards(runID: runID), of: r),
                                        features: try s.featureStats(runID: runID), rejects: try s.rejectCounts(runID: runID),
                                        shadows: try s.shadowComparisons(runID: runID))
            }
            print(json ? RunReport.json(detail)
                       : RunReport.detail(detail.run, chunks: detail.chunks, shards: detail.shards, features: detail.features, rejects: detail.rejects,
                                             shadows: detail.shadows))
        }
    }
}
