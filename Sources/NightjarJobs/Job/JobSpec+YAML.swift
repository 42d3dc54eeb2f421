import Foundation
import Yams

extension JobSpec {
    /// Reads and validates a job file. Unknown keys and bad values are errors naming the file, line and key.
    public static func load(path: String) throws(JobFileError) -> JobSpec {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw JobFileError(file: path, line: nil, key: nil, message: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        return try parse(yaml: text, file: path)
    }

    public static func parse(yaml text: String, file: String) throws(JobFileError) -> JobSpec {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw JobFileError(file: file, line: nil, key: nil, message: "the job file is empty")
            }
            root = node
        } catch let error as JobFileError {
            throw error
        } catch let error as YamlError {
            throw JobFileError(file: file, line: yamlErrorLine(error), key: nil, message: "not valid YAML: \(yamlErrorText(error))")
        } catch {
            throw JobFileError(file: file, line: nil, key: nil, message: "not valid YAML: \(error)")
        }
        let directory = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .absoluteURL.deletingLastPathComponent()
        var reader = JobYAMLReader(file: file, directory: directory)
        return try reader.read(root)
    }

    private static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return nil
        }
    }

    private static func yamlErrorText(_ error: YamlError) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
    }
}

/// Walks the YAML tree of a job file, checking every key and value.
struct JobYAMLReader {
    let file: String
    let directory: URL

    func fail(_ node: Node?, _ key: String?, _ message: String) -> JobFileError {
        JobFileError(file: file, line: node?.mark?.line, key: key, message: message)
    }

    /// The mapping's entries, refusing keys outside `allowed` and duplicates.
    func entries(_ node: Node, path: String, allowed: [String]) throws(JobFileError) -> [String: (key: Node, value: Node)] {
        guard case .mapping(let mapping) = node else {
            throw fail(node, path.isEmpty ? nil : path, "expected a mapping of keys to values")
        }
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in mapping {
            guard case .scalar(let s) = k else { throw fail(k, path.isEmpty ? nil : path, "keys must be plain strings") }
            let full = path.isEmpty ? s.string : "\(path).\(s.string)"
            guard allowed.contains(s.string) else {
                throw fail(k, full, "unknown key (allowed here: \(allowed.joined(separator: ", ")))")
            }
            guard out[s.string] == nil else { throw fail(k, full, "appears twice") }
            out[s.string] = (k, v)
        }
        return out
    }

    // Values are read with their YAML types, as a YAML library feeding a JSON Schema validator
    // reads them (schemas/job.schema.json): text where text is expected, numbers where numbers
    // are. An unquoted 2024, yes, on or null is not text; a quoted "100" is not a number.

    /// The node's YAML type (tag), resolved as YAML 1.1 does: str, int, float, bool, null, timestamp…
    func yamlType(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    /// The YAML type of a plain value that is not text, for messages; nil for text.
    func nonText(_ node: Node) -> String? {
        switch yamlType(node) {
        case .str: return nil
        case .int, .float: return "a number"
        case .bool: return "a boolean (YAML reads yes, no, on, off, true and false so)"
        case .null: return "null (no value)"
        case .timestamp: return "a date"
        default: return "a value tagged \(yamlType(node).rawValue)"
        }
    }

    func string(_ node: Node, _ key: String) throws(JobFileError) -> String {
        guard case .scalar(let s) = node else { throw fail(node, key, "expected a non-empty string") }
        if let type = nonText(node) {
            throw fail(node, key, "expected a non-empty string; YAML reads '\(s.string)' as \(type): put it in quotes if you mean the text")
        }
        guard !s.string.isEmpty else { throw fail(node, key, "expected a non-empty string") }
        return s.string
    }

    /// A YAML number (an int, or a float such as 1.5 or 1e3); nil for anything else, a quoted number included.
    func bool(_ node: Node, _ key: String) throws(JobFileError) -> Bool {
        guard case .scalar(let s) = node, yamlType(node) == .bool, let v = Bool.construct(from: s) else {
            throw fail(node, key, "expected true or false; \(got(node))")
        }
        return v
    }

    func numeric(_ node: Node) -> Double? {
        guard case .scalar(let s) = node else { return nil }
        switch yamlType(node) {
        case .int: return Int.construct(from: s).map(Double.init)
        case .float: return Double.construct(from: s)
        default: return nil
        }
    }

    /// What a value that is not what its key takes is, for messages; says so when it is a quoted number.
    func got(_ node: Node) -> String {
        switch node {
        case .scalar(let s):
            if yamlType(node) == .str, s.string.range(of: "^[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$", options: .regularExpression) != nil {
                return "got the text '\(s.string)' (a quoted number is text: write the number without quotes)"
            }
            return "got '\(s.string)'"
        case .sequence: return "got a list"
        default: return "got a mapping"
        }
    }

    func int(_ node: Node, _ key: String, min: Int) throws(JobFileError) -> Int {
        // A float with no fraction (100.0) is a whole number, as JSON Schema's "integer" says.
        guard let d = numeric(node), d.isFinite, d.rounded() == d, let v = Int(exactly: d) else {
            throw fail(node, key, "expected a whole number; \(got(node))")
        }
        guard v >= min else { throw fail(node, key, "must be at least \(min), got \(v)") }
        return v
    }

    func strings(_ node: Node, _ key: String) throws(JobFileError) -> [String] {
        switch node {
        case .scalar: return [try string(node, key)]
        case .sequence(let seq):
            var out: [String] = []
            for item in seq { out.append(try string(item, key)) }
            guard !out.isEmpty else { throw fail(node, key, "expected at least one name") }
            return out
        default: throw fail(node, key, "expected a name or a list of names")
        }
    }

    /// Durations: a number of seconds, or text: a number with s, m, h or d (5m, 1.5h).
    func duration(_ node: Node, _ key: String) throws(JobFileError) -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let v = numeric(node), v >= 0, v.isFinite { return v }
        if case .scalar(let s) = node, yamlType(node) == .str, let unit = s.string.last.flatMap({ units[$0] }),
           s.string.range(of: "^[0-9]+(\\.[0-9]+)?[smhd]$", options: .regularExpression) != nil,
           let v = Double(s.string.dropLast()) {
            return v * unit
        }
        throw fail(node, key, "expected a duration such as 90, 30s, 10m, 2h or 1d; \(got(node))")
    }

    func path(_ text: String) -> String {
        if text.hasPrefix("/") { return text }
        return directory.appendingPathComponent(text).standardized.path
    }

    mutating func read(_ root: Node) throws(JobFileError) -> JobSpec {
        let top = try entries(root, path: "", allowed: [
            "name", "description", "model", "features", "source", "key", "outputs", "chunk_rows", "threads",
            "sink", "write_mode", "state", "schedule", "retries", "timeout", "registry", "max_reject_fraction", "drift", "metrics",
            "challengers", "split", "threshold", "rollback", "promote_when", "rollback_when", "explain", "duplicate_keys",
        ])
        func required(_ key: String) throws(JobFileError) -> Node {
            guard let v = top[key]?.value else { throw fail(root, key, "is required") }
            return v
        }
        let name = try string(required("name"), "name")
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9_.-]*$", options: .regularExpression) != nil else {
            throw fail(top["name"]!.value, "name", "use letters, digits, '.', '_' and '-' only; got '\(name)'")
        }
        let description = try top["description"].map { (e) throws(JobFileError) in try string(e.value, "description") }

        // model: NAME@ALIAS or NAME@VERSION (the registry), a path (model file or bundle), or {path, name, version}
        let modelNode = try required("model")
        var model: JobSpec.Model
        if case .scalar = modelNode, let ref = ModelReference(try string(modelNode, "model")) {
            model = .init(path: "", name: ref.name, version: nil, reference: ref)
        } else if case .scalar = modelNode {
            let text = try string(modelNode, "model")
            if text.contains("@") && !text.contains("/") {
                throw fail(modelNode, "model", "'\(text)' is not NAME@VERSION or NAME@ALIAS (letters, digits, '.', '_', '-'), e.g. churn@champion")
            }
            let p = path(text)
            model = .init(path: p, name: JobYAMLReader.stem(p), version: nil)
        } else {
            let m = try entries(modelNode, path: "model", allowed: ["path", "name", "version"])
            guard let pathNode = m["path"]?.value else { throw fail(modelNode, "model.path", "is required") }
            let p = path(try string(pathNode, "model.path"))
            model = .init(path: p, name: try m["name"].map { (e) throws(JobFileError) in try string(e.value, "model.name") } ?? JobYAMLReader.stem(p),
                          version: try m["version"].map { (e) throws(JobFileError) in try string(e.value, "model.version") })
        }
        let features = try top["features"].map { (e) throws(JobFileError) in try strings(e.value, "features") }

        // source: {csv: pattern}
        let sourceNode = try required("source")
        let s = try entries(sourceNode, path: "source", allowed: ["csv", "postgres"])
        guard s.count == 1 else {
            throw fail(sourceNode, "source", "name one source: csv: PATH (a path or glob; {{ ds }} is the logical date) or postgres: {dsn_env, query, key}")
        }
        let source: JobSpec.Source
        if let csv = s["csv"]?.value {
            let pattern = try string(csv, "source.csv")
            try DateTemplate.check(pattern, file: file, line: csv.mark?.line, key: "source.csv")
            source = .csv(pattern: path(pattern))
        } else {
            let pg = s["postgres"]!.value
            let e = try postgresEntries(pg, path: "source.postgres", extra: ["query", "key"])
            guard let q = e["query"]?.value else { throw fail(pg, "source.postgres.query", "is required") }
            guard let k = e["key"]?.value else {
                throw fail(pg, "source.postgres.key", "is required: a column the query returns, unique and ordered, used to cut chunks and resume")
            }
            let query = try string(q, "source.postgres.query")
            try DateTemplate.check(query, file: file, line: q.mark?.line, key: "source.postgres.query")
            source = .postgres(try postgresSettings(e, pg, path: "source.postgres"), query: query, key: try string(k, "source.postgres.key"))
        }

        let keys = try top["key"].map { (e) throws(JobFileError) in try strings(e.value, "key") } ?? []
        let outputs = try top["outputs"].map { (e) throws(JobFileError) in try strings(e.value, "outputs") }
        let chunkRows = try top["chunk_rows"].map { (e) throws(JobFileError) in try int(e.value, "chunk_rows", min: 1) } ?? 50_000
        let threads = try top["threads"].map { (e) throws(JobFileError) in try int(e.value, "threads", min: 0) } ?? 0

        // sink: {sqlite: {path, table}} or {csv: {path}}
        let sinkNode = try required("sink")
        let sinkEntries = try entries(sinkNode, path: "sink", allowed: ["sqlite", "csv", "postgres"])
        guard sinkEntries.count == 1 else { throw fail(sinkNode, "sink", "name exactly one sink: sqlite, csv or postgres") }
        let sink: JobSpec.Sink
        if let sq = sinkEntries["sqlite"]?.value {
            let e = try entries(sq, path: "sink.sqlite", allowed: ["path", "table"])
            guard let p = e["path"]?.value else { throw fail(sq, "sink.sqlite.path", "is required") }
            let table = try e["table"].map { (x) throws(JobFileError) in try string(x.value, "sink.sqlite.table") } ?? "predictions"
            guard table.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw fail(e["table"]?.value ?? sq, "sink.sqlite.table", "use letters, digits and '_' (not starting with a digit); got '\(table)'")
            }
            sink = .sqlite(path: path(try string(p, "sink.sqlite.path")), table: table)
        } else if let pg = sinkEntries["postgres"]?.value {
            let e = try postgresEntries(pg, path: "sink.postgres", extra: ["table"])
            guard let t = e["table"]?.value else { throw fail(pg, "sink.postgres.table", "is required (table or schema.table)") }
            let table = try string(t, "sink.postgres.table")
            guard table.range(of: "^([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw fail(t, "sink.postgres.table", "use table or schema.table with letters, digits and '_'; got '\(table)'")
            }
            sink = .postgres(try postgresSettings(e, pg, path: "sink.postgres"), table: table)
        } else {
            let c = sinkEntries["csv"]!.value
            let e = try entries(c, path: "sink.csv", allowed: ["path"])
            guard let p = e["path"]?.value else { throw fail(c, "sink.csv.path", "is required") }
            let text = try string(p, "sink.csv.path")
            guard text.hasSuffix(".csv") || text.hasSuffix(".csv.lz4") else { throw fail(p, "sink.csv.path", "must end in .csv or .csv.lz4") }
            try DateTemplate.check(text, file: file, line: p.mark?.line, key: "sink.csv.path")
            sink = .csv(path: path(text))
        }
        // A key named like a column Nightjar writes next to it (the model's outputs: validate and run).
        let reserved = JobSpec.reservedKeyNames(sink: sink)
        if let clash = keys.first(where: reserved.contains) {
            throw fail(top["key"]?.value, "key", "the key column '\(clash)' has the name of an output column Nightjar writes (\(reserved.joined(separator: ", "))); rename it in the input (a PostgreSQL query can select it AS another name)")
        }

        var writeMode = JobSpec.WriteMode.replacePartition
        if let w = top["write_mode"]?.value {
            let text = try string(w, "write_mode")
            guard let mode = JobSpec.WriteMode(rawValue: text) else {
                throw fail(w, "write_mode", "must be replace_partition or append; got '\(text)'")
            }
            writeMode = mode
        }
        if case .csv = sink, writeMode == .append {
            throw fail(top["write_mode"]?.value, "write_mode", "a CSV sink writes one file per logical date; use replace_partition")
        }

        var state: String
        var statePostgres: JobSpec.PostgresSettings? = nil
        if let st = top["state"]?.value, case .mapping = st {
            let e = try entries(st, path: "state", allowed: ["postgres"])
            guard let pg = e["postgres"]?.value else { throw fail(st, "state", "name a SQLite file, or postgres: {dsn_env: VAR}") }
            statePostgres = try postgresSettings(try postgresEntries(pg, path: "state.postgres", extra: []), pg, path: "state.postgres")
            state = directory.appendingPathComponent("nightjar-state.db").path
        } else if let st = top["state"]?.value {
            state = path(try string(st, "state"))
        } else {
            switch sink {
            case .sqlite(let p, _): state = p
            case .csv(let p): state = URL(fileURLWithPath: p).deletingLastPathComponent().appendingPathComponent("nightjar-state.db").path
            case .postgres: state = directory.appendingPathComponent("nightjar-state.db").path
            }
        }

        var schedule: JobSpec.Schedule? = nil
        if let sn = top["schedule"]?.value {
            let e = try entries(sn, path: "schedule", allowed: ["cron", "timezone", "catch_up", "catch_up_limit"])
            guard let cronNode = e["cron"]?.value else { throw fail(sn, "schedule.cron", "is required (5 fields, e.g. \"0 2 * * *\")") }
            let cronText = try string(cronNode, "schedule.cron")
            let cron: CronExpression
            do { cron = try CronExpression(cronText) } catch { throw fail(cronNode, "schedule.cron", error.description) }
            var tz = TimeZone(identifier: "UTC")!
            if let t = e["timezone"]?.value {
                let id = try string(t, "schedule.timezone")
                guard let zone = TimeZone(identifier: id) else { throw fail(t, "schedule.timezone", "unknown time zone '\(id)' (use an IANA name such as Europe/Berlin)") }
                tz = zone
            }
            var catchUp = JobSpec.CatchUp.none
            let limit = try e["catch_up_limit"].map { (x) throws(JobFileError) in try int(x.value, "schedule.catch_up_limit", min: 1) }
            if let c = e["catch_up"]?.value {
                switch try string(c, "schedule.catch_up") {
                case "none": catchUp = .none
                case "latest": catchUp = .latest
                case "all": catchUp = .all(limit: limit ?? 30)
                case let other: throw fail(c, "schedule.catch_up", "must be none, latest or all; got '\(other)'")
                }
            }
            if limit != nil, case .all = catchUp {} else if limit != nil {
                throw fail(e["catch_up_limit"]!.value, "schedule.catch_up_limit", "only applies with catch_up: all")
            }
            schedule = .init(cron: cron, timeZone: tz, catchUp: catchUp)
        }

        var retries = JobSpec.Retries.none
        if let r = top["retries"]?.value {
            let e = try entries(r, path: "retries", allowed: ["count", "backoff", "max_backoff"])
            retries.count = try e["count"].map { (x) throws(JobFileError) in try int(x.value, "retries.count", min: 0) } ?? 0
            retries.backoff = try e["backoff"].map { (x) throws(JobFileError) in try duration(x.value, "retries.backoff") } ?? 60
            retries.maxBackoff = try e["max_backoff"].map { (x) throws(JobFileError) in try duration(x.value, "retries.max_backoff") } ?? 3600
        }
        let timeout = try top["timeout"].map { (x) throws(JobFileError) in try duration(x.value, "timeout") }
        if let timeout, timeout <= 0 { throw fail(top["timeout"]!.value, "timeout", "must be positive") }

        var job = JobSpec(file: file, name: name, description: description, model: model, features: features, source: source,
                          keys: keys, outputs: outputs, chunkRows: chunkRows, threads: threads, sink: sink, writeMode: writeMode,
                          state: state, statePostgres: statePostgres, schedule: schedule, retries: retries, timeout: timeout)
        job.registry = path(try top["registry"].map { (e) throws(JobFileError) in try string(e.value, "registry") } ?? "models")
        if let d = top["duplicate_keys"]?.value {
            let text = try string(d, "duplicate_keys")
            guard let policy = JobSpec.DuplicateKeys(rawValue: text) else {
                throw fail(d, "duplicate_keys", "must be fail, reject or keep; got '\(text)'")
            }
            if keys.isEmpty { throw fail(d, "duplicate_keys", "needs a key (key:) to tell duplicates") }
            // A PostgreSQL source is read in key order and resumed after its last key: the key must be unique.
            if case .postgres = source, policy != .fail {
                throw fail(d, "duplicate_keys", "a PostgreSQL source resumes after its last key, so its key must be unique: only fail applies")
            }
            job.duplicateKeys = policy
        }
        if let r = top["max_reject_fraction"]?.value {
            job.maxRejectFraction = try fraction(r, "max_reject_fraction")
        }
        if let d = top["drift"]?.value {
            let e = try entries(d, path: "drift", allowed: ["warn", "fail", "features"])
            if let w = e["warn"]?.value { job.drift.warn = try number(w, "drift.warn") }
            if let f = e["fail"]?.value { job.drift.fail = try number(f, "drift.fail") }
            if job.drift.warn > job.drift.fail { throw fail(d, "drift", "warn (\(job.drift.warn)) must not exceed fail (\(job.drift.fail))") }
            if let features = e["features"]?.value {
                guard case .mapping(let m) = features else { throw fail(features, "drift.features", "expected a mapping of feature name to {warn, fail}") }
                for (k, v) in m {
                    let feature = try string(k, "drift.features")
                    let fe = try entries(v, path: "drift.features.\(feature)", allowed: ["warn", "fail"])
                    let warn = try fe["warn"].map { (x) throws(JobFileError) in try number(x.value, "drift.features.\(feature).warn") } ?? job.drift.warn
                    let failAt = try fe["fail"].map { (x) throws(JobFileError) in try number(x.value, "drift.features.\(feature).fail") } ?? job.drift.fail
                    if warn > failAt { throw fail(v, "drift.features.\(feature)", "warn (\(warn)) must not exceed fail (\(failAt))") }
                    job.drift.overrides[feature] = (warn, failAt)
                }
            }
        }
        if let x = top["explain"]?.value {
            let e = try entries(x, path: "explain", allowed: ["contributions", "reasons"])
            var explain = JobSpec.Explain()
            if let c = e["contributions"]?.value {
                let text = try string(c, "explain.contributions")
                guard text == "all" || text == "none" else {
                    throw fail(c, "explain.contributions", "expected all (a contrib_<feature> column per input feature and contrib_bias) or none; got '\(text)'")
                }
                explain.contributions = text == "all"
            }
            explain.reasons = try e["reasons"].map { (n) throws(JobFileError) in try int(n.value, "explain.reasons", min: 1) } ?? 0
            if !explain.contributions && explain.reasons == 0 {
                throw fail(x, "explain", "name what to add: contributions: all and/or reasons: K (K ≥ 1)")
            }
            job.explain = explain
        }
        if let m = top["metrics"]?.value {
            let e = try entries(m, path: "metrics", allowed: ["textfile", "pushgateway"])
            job.metrics.textfile = try e["textfile"].map { (x) throws(JobFileError) in path(try string(x.value, "metrics.textfile")) }
            if let g = e["pushgateway"]?.value {
                let url = try string(g, "metrics.pushgateway")
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw fail(g, "metrics.pushgateway", "expected an http:// or https:// URL such as http://pushgateway:9091; got '\(url)'")
                }
                job.metrics.pushgateway = url
            }
        }
        func reference(_ node: Node, _ key: String) throws(JobFileError) -> ModelReference {
            let text = try string(node, key)
            guard let ref = ModelReference(text) else {
                throw fail(node, key, "expected NAME@VERSION or NAME@ALIAS of the registry (e.g. churn@challenger); got '\(text)'")
            }
            return ref
        }
        if let c = top["challengers"]?.value {
            guard case .sequence(let items) = c else { throw fail(c, "challengers", "expected a list such as [churn@challenger]") }
            for item in items { job.challengers.append(try reference(item, "challengers")) }
        }
        if let sp = top["split"]?.value {
            let e = try entries(sp, path: "split", allowed: ["by", "challenger", "share"])
            guard let ch = e["challenger"]?.value else { throw fail(sp, "split.challenger", "is required (NAME@VERSION or NAME@ALIAS)") }
            guard let sh = e["share"]?.value else { throw fail(sp, "split.share", "is required: the share of keys scored by the challenger, e.g. 0.10 or 10%") }
            let by = try e["by"].map { (x) throws(JobFileError) in try strings(x.value, "split.by") } ?? keys
            if by.isEmpty { throw fail(sp, "split.by", "name the key column(s) to split by (or set key:)") }
            job.split = .init(by: by, challenger: try reference(ch, "split.challenger"), share: try fraction(sh, "split.share"))
        }
        if let t = top["threshold"]?.value {
            job.threshold = try fraction(t, "threshold")
        }
        if let rb = top["rollback"]?.value {
            let e = try entries(rb, path: "rollback", allowed: ["max_reject_fraction", "max_prediction_psi", "max_failures", "probation_runs"])
            var policy = JobSpec.RollbackPolicy()
            policy.maxRejectFraction = try e["max_reject_fraction"].map { (x) throws(JobFileError) in try fraction(x.value, "rollback.max_reject_fraction") }
            policy.maxPredictionPSI = try e["max_prediction_psi"].map { (x) throws(JobFileError) in try number(x.value, "rollback.max_prediction_psi") }
            policy.maxFailures = try e["max_failures"].map { (x) throws(JobFileError) in try int(x.value, "rollback.max_failures", min: 1) }
            policy.probationRuns = try e["probation_runs"].map { (x) throws(JobFileError) in try int(x.value, "rollback.probation_runs", min: 1) } ?? 3
            if policy.maxRejectFraction == nil && policy.maxPredictionPSI == nil && policy.maxFailures == nil {
                throw fail(rb, "rollback", "name at least one bound: max_reject_fraction, max_prediction_psi or max_failures")
            }
            job.rollback = policy
        }
        for (key, marginKey) in [("promote_when", "better_by"), ("rollback_when", "worse_by")] {
            guard let node = top[key]?.value else { continue }
            let promote = key == "promote_when"
            let e = try entries(node, path: key, allowed: ["metric", "min_rows", "days", marginKey] + (promote ? ["significant"] : ["limit"]))
            guard let m = e["metric"]?.value else { throw fail(node, "\(key).metric", "is required: one of \(OutcomeMetricName.allCases.map(\.rawValue).joined(separator: ", "))") }
            let name = try string(m, "\(key).metric")
            guard let metric = OutcomeMetricName(rawValue: name) else {
                throw fail(m, "\(key).metric", "unknown metric '\(name)'; use one of \(OutcomeMetricName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var rule = JobSpec.OutcomeRule(metric: metric)
            rule.margin = try e[marginKey].map { (x) throws(JobFileError) in try number(x.value, "\(key).\(marginKey)") }
            rule.limit = try e["limit"].map { (x) throws(JobFileError) in try number(x.value, "\(key).limit") }
            rule.minRows = try e["min_rows"].map { (x) throws(JobFileError) in try int(x.value, "\(key).min_rows", min: 1) } ?? 1000
            rule.days = try e["days"].map { (x) throws(JobFileError) in try int(x.value, "\(key).days", min: 1) } ?? 1
            rule.significant = try e["significant"].map { (x) throws(JobFileError) in try bool(x.value, "\(key).significant") } ?? false
            if promote, rule.margin == nil { rule.margin = 0 }
            if !promote, rule.margin == nil, rule.limit == nil {
                throw fail(node, key, "name worse_by (against the previous version) or limit (a value \(metric.rawValue) must not pass)")
            }
            guard job.model.reference != nil else {
                throw fail(node, key, "moves a registry alias: name the model as NAME@ALIAS (e.g. churn@champion)")
            }
            if promote { job.promoteWhen = rule } else { job.rollbackWhen = rule }
        }
        if job.promoteWhen != nil, job.challengers.isEmpty, job.split == nil {
            throw fail(top["promote_when"]?.value, "promote_when", "promotes a challenger: add challengers: or split: to the job")
        }
        if !job.challengers.isEmpty || job.split != nil, case .csv = job.sink {
            throw fail(top["challengers"]?.value ?? top["split"]?.value, top["challengers"] != nil ? "challengers" : "split",
                       "shadow and split outputs need a SQLite or PostgreSQL sink (their rows commit with the champion's)")
        }
        if job.rollback != nil, job.model.reference == nil {
            throw fail(top["rollback"]?.value, "rollback", "rolls back a registry alias: name the model as NAME@ALIAS (e.g. churn@champion)")
        }
        return job
    }

    func number(_ node: Node, _ key: String) throws(JobFileError) -> Double {
        guard let v = numeric(node), v.isFinite, v >= 0 else {
            throw fail(node, key, "expected a non-negative number; \(got(node))")
        }
        return v
    }

    /// A number from 0 to 1, or text: a percentage from 0% to 100% (1%, 12.5%).
    func fraction(_ node: Node, _ key: String) throws(JobFileError) -> Double {
        if let v = numeric(node), v >= 0, v <= 1 { return v }
        if case .scalar(let s) = node, yamlType(node) == .str,
           s.string.range(of: "^(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]+)?)%$", options: .regularExpression) != nil,
           let v = Double(s.string.dropLast()) {
            return v / 100
        }
        throw fail(node, key, "expected a fraction between 0 and 1 (or a percentage such as 1%); \(got(node))")
    }

    /// The keys of a postgres mapping; a literal password (a `password` key, or one inside a
    /// connection string) is refused.
    func postgresEntries(_ node: Node, path: String, extra: [String]) throws(JobFileError) -> [String: (key: Node, value: Node)] {
        if case .mapping(let m) = node {
            for (k, v) in m {
                guard case .scalar(let key) = k else { continue }
                let lowered = key.string.lowercased()
                if lowered.contains("password") || lowered == "dsn" || lowered == "url" || lowered == "conninfo" {
                    throw fail(k, "\(path).\(key.string)", "connection settings and passwords never go in a job file; put the connection string in an environment variable named by dsn_env (libpq also reads PGPASSWORD, ~/.pgpass and service files)")
                }
                if case .scalar(let value) = v, value.string.range(of: "password\\s*=|://[^/@\\s]+:[^/@\\s]+@", options: [.regularExpression, .caseInsensitive]) != nil {
                    throw fail(v, "\(path).\(key.string)", "holds a literal password; a job file holding a password is refused — use dsn_env (an environment variable) or a libpq service/password file")
                }
            }
        }
        return try entries(node, path: path, allowed: ["dsn_env", "service"] + extra)
    }

    func postgresSettings(_ e: [String: (key: Node, value: Node)], _ node: Node, path: String) throws(JobFileError) -> JobSpec.PostgresSettings {
        let dsnEnv = try e["dsn_env"].map { (x) throws(JobFileError) in try string(x.value, "\(path).dsn_env") }
        let service = try e["service"].map { (x) throws(JobFileError) in try string(x.value, "\(path).service") }
        guard (dsnEnv == nil) != (service == nil) else {
            throw fail(node, path, "name the connection with exactly one of dsn_env (an environment variable holding a libpq connection string) or service (a libpq service name)")
        }
        if let dsnEnv, dsnEnv.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) == nil {
            throw fail(e["dsn_env"]!.value, "\(path).dsn_env", "is the NAME of an environment variable (such as NIGHTJAR_PG_DSN), not a connection string")
        }
        return JobSpec.PostgresSettings(dsnEnv: dsnEnv, service: service)
    }

    static func stem(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        if let dot = name.firstIndex(of: ".") { name = String(name[..<dot]) }
        return name
    }
}
