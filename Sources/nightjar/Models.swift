import ArgumentParser
import Foundation
import NightjarJobs

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The model registry: list bundles and aliases, promote a version, roll an alias back.",
        discussion: """
            Bundles live in the registry directory (REGISTRY/NAME/VERSION/); aliases live in the run store, so every
            job and machine using that store agrees on them. Pass --job to use a job's registry and run store.
            """,
        subcommands: [List.self, Promote.self, Rollback.self, History.self],
        defaultSubcommand: List.self)

    struct RegistryOptions: ParsableArguments {
        @Option(help: "Job file whose registry and run store to use.") var job: String?
        @Option(help: "Registry directory (default: the job's, else ./models).") var registry: String?
        @Option(help: "Run store file holding the aliases (default: the job's).") var state: String?

        func open(needStore: Bool) throws -> (ModelRegistry, RunStore?) {
            let spec = try job.map { try JobSpec.load(path: $0) }
            let registry = ModelRegistry(root: registry ?? spec?.registry ?? "models")
            if let state { return (registry, try SQLiteRunStore(path: state)) }
            if let spec { return (registry, try RunStores.open(for: spec)) }
            if needStore { throw ValidationError("aliases live in a run store: pass --job JOB.yaml (its run store) or --state FILE") }
            return (registry, nil)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List models, versions and aliases.")
        @OptionGroup var options: RegistryOptions

        func run() throws {
            let lines = try runReportingErrors { () -> [String] in
                let (registry, store) = try options.open(needStore: false)
                var lines: [String] = []
                let names = registry.names()
                if names.isEmpty { return ["no models in \(registry.root) (create one with nightjar bundle create)"] }
                for name in names {
                    let aliases = try store?.aliases(model: name) ?? []
                    for version in registry.versions(of: name) {
                        let bundle = try? ModelBundle(directory: registry.directory(name: name, version: version))
                        let here = aliases.filter { $0.version == version }.map(\.alias)
                        var line = "\(name)@\(version)"
                        if let m = bundle?.manifest { line += "  \(m.format)  \(m.task)  created \(m.created)  golden \(m.golden.rows) rows" }
                        if !here.isEmpty { line += "  ← \(here.joined(separator: ", "))" }
                        lines.append(line)
                    }
                }
                return lines
            }
            print(lines.joined(separator: "\n"))
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point an alias (default champion) at a version.")
        @Argument(help: "Model name.") var model: String
        @Argument(help: "Version.") var version: String
        @Option(help: "Alias to set.") var alias = "champion"
        @Option(help: "Why (recorded with the event).") var reason: String?
        @Flag(name: .customLong("if-unset"), help: "Only when the alias points nowhere yet (idempotent set-up scripts).") var ifUnset = false
        @Option(name: .customLong("after-shadow-runs"), help: "Canary: promote only if the version's last N succeeded shadow runs meet every bound given.") var afterShadowRuns: Int?
        @Option(name: .customLong("max-flip-rate"), help: "Canary bound: share of labels flipped against the champion.") var maxFlipRate: Double?
        @Option(name: .customLong("max-prediction-psi"), help: "Canary bound: PSI of its predictions against the champion's.") var maxPredictionPSI: Double?
        @Option(name: .customLong("max-mean-abs-diff"), help: "Canary bound: mean absolute difference from the champion.") var maxMeanAbsDiff: Double?
        @Option(name: .customLong("min-correlation"), help: "Canary bound: correlation with the champion.") var minCorrelation: Double?
        @OptionGroup var options: RegistryOptions

        func validate() throws {
            let bounds = [maxFlipRate, maxPredictionPSI, maxMeanAbsDiff, minCorrelation].compactMap { $0 }
            if afterShadowRuns == nil && !bounds.isEmpty {
                throw ValidationError("canary bounds need --after-shadow-runs N (how many shadow runs to examine)")
            }
            if let n = afterShadowRuns, n < 1 { throw ValidationError("--after-shadow-runs must be at least 1") }
        }

        func run() throws {
            let event = try runReportingErrors { () -> AliasEvent? in
                let (registry, store) = try options.open(needStore: true)
                if ifUnset, let current = try store!.alias(model: model, alias: alias) {
                    print("\(model)@\(alias) already points at \(current); left as it is")
                    return nil
                }
                // Promoting the version the alias already names changes nothing: a success, not an error.
                if try store!.alias(model: model, alias: alias) == version, registry.exists(name: model, version: version) {
                    print("\(model)@\(alias) already points at \(version); nothing to do")
                    return nil
                }
                let aliases = ModelAliases(registry: registry, store: store!)
                var why = reason
                if let runs = afterShadowRuns {
                    let checked = try aliases.checkCanary(model: model, version: version, bounds: .init(
                        runs: runs, maxFlipRate: maxFlipRate, maxPredictionPSI: maxPredictionPSI, maxMeanAbsDiff: maxMeanAbsDiff, minCorrelation: minCorrelation))
                    let worst = checked.map(\.flipRate).max() ?? 0
                    why = (reason.map { $0 + "; " } ?? "") + "canary: \(checked.count) shadow runs within bounds (worst flip rate \(String(format: "%.4f", worst)))"
                }
                return try aliases.promote(model: model, version: version, alias: alias, reason: why)
            }
            if let event { print("\(model)@\(alias) → \(event.version)\(event.previousVersion.map { " (was \($0))" } ?? "")") }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return an alias (default champion) to the version it held before.")
        @Argument(help: "Model name.") var model: String
        @Option(help: "Alias to roll back.") var alias = "champion"
        @Option(help: "Why (recorded with the event).") var reason: String?
        @OptionGroup var options: RegistryOptions

        func run() throws {
            let event = try runReportingErrors { () -> AliasEvent in
                let (registry, store) = try options.open(needStore: true)
                return try ModelAliases(registry: registry, store: store!).rollback(model: model, alias: alias, reason: reason)
            }
            print("\(model)@\(alias) → \(event.version) (rolled back from \(event.previousVersion ?? "?"))")
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every promotion and rollback of a model's aliases.")
        @Argument(help: "Model name.") var model: String
        @OptionGroup var options: RegistryOptions

        func run() throws {
            let events = try runReportingErrors { () -> [AliasEvent] in
                let (_, store) = try options.open(needStore: true)
                return try store!.aliasEvents(model: model, alias: nil)
            }
            for e in events {
                print("\(e.at)  \(e.action.rawValue)  \(e.model)@\(e.alias) → \(e.version)\(e.previousVersion.map { " (was \($0))" } ?? "")\(e.reason.map { "  \($0)" } ?? "")\(e.runID.map { "  run \($0)" } ?? "")")
            }
        }
    }
}
