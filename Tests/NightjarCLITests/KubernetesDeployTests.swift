import Foundation
import Testing
import Yams
import NightjarCore
import NightjarIO
import NightjarJobs

/// The mapping at `keys` under `object` (empty when absent).
private func dig(_ object: [String: Any], _ keys: String...) -> [String: Any] {
    keys.reduce(object) { $0[$1] as? [String: Any] ?? [:] }
}

/// deploy/kubernetes as shipped: rendered with `kubectl kustomize` (offline, no cluster), checked
/// against Nightjar's contracts (version, exit codes, paths), and the container's own command line
/// run against a copy of the pod's file system.
/// The kubectl client on PATH, if any.
private let kubectlPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    .map { "\($0)/kubectl" }.first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite(.enabled(if: kubectlPath != nil, "needs the kubectl client (kubectl kustomize renders offline)"))
struct KubernetesDeployTests {
    static let deploy = CLITests.root.appendingPathComponent("deploy")


    /// Nightjar's exit statuses (README "Exit codes") and what Kubernetes must do with each.
    static let neverRetried: Set<Int> = [3, 64, 65, 70, 78]  // quality gate, usage, input/contract, internal, job/config
    static let retried: Set<Int> = [1, 75, 130, 137, 143]   // 75 temporary failure; 128+N killed by signal N (resumable)

    // MARK: - The rendered objects

    struct Rendered {
        var objects: [[String: Any]]

        func objects(_ kind: String) -> [[String: Any]] { objects.filter { $0["kind"] as? String == kind } }
        var cronJob: [String: Any] { objects("CronJob").first ?? [:] }
        var jobSpec: [String: Any] { dig(cronJob, "spec", "jobTemplate", "spec") }
        var podSpec: [String: Any] { dig(jobSpec, "template", "spec") }
        var container: [String: Any] { (podSpec["containers"] as? [[String: Any]])?.first ?? [:] }
        var volumes: [[String: Any]] { podSpec["volumes"] as? [[String: Any]] ?? [] }
        var mounts: [[String: Any]] { container["volumeMounts"] as? [[String: Any]] ?? [] }
        func volume(_ name: String) -> [String: Any]? { volumes.first { $0["name"] as? String == name } }
        func configMap(_ name: String) -> [String: Any]? { objects("ConfigMap").first { dig($0, "metadata")["name"] as? String == name } }
        /// The container's one shell line (`/bin/sh -c LINE`).
        var commandLine: String { (container["args"] as? [String])?.first ?? "" }
        /// The job file the container runs: the path after `nightjar run`.
        var jobPath: String {
            let words = commandLine.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let i = words.firstIndex(of: "run"), i + 1 < words.count else { return "" }
            return words[i + 1]
        }
    }

    static func render() throws -> Rendered {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: kubectlPath!)
        p.arguments = ["kustomize", deploy.appendingPathComponent("kubernetes").path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "kubectl kustomize deploy/kubernetes: \(error)")
        return Rendered(objects: try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] })
    }

    /// The job file as the pod sees it: from the rendered ConfigMap, at its path under the mount.
    static func podJob(_ r: Rendered) throws -> (path: String, text: String) {
        let path = r.jobPath
        let mount = try #require(r.mounts.first { path.hasPrefix(($0["mountPath"] as? String ?? "") + "/") }, "no volume mounted at \(path)")
        let volume = try #require(r.volume(mount["name"] as? String ?? ""))
        let name = try #require(dig(volume, "configMap")["name"] as? String, "\(path) is not on a ConfigMap volume")
        let data = try #require(r.configMap(name)?["data"] as? [String: String], "ConfigMap \(name) is not rendered")
        let key = String(path.dropFirst((mount["mountPath"] as! String).count + 1))
        return (path, try #require(data[key], "ConfigMap \(name) has no key \(key)"))
    }

    @Test func theManifestsFollowNightjarsContracts() throws {
        let r = try Self.render()
        #expect(Set(r.objects.compactMap { $0["kind"] as? String }) == ["ConfigMap", "PersistentVolumeClaim", "CronJob"])

        // One version: the image tag is `nightjar --version`.
        let image = r.container["image"] as? String ?? ""
        #expect(image.hasSuffix("/nightjar:\(NightjarVersion.current)"), "image \(image)")

        let cron = try #require(r.cronJob["spec"] as? [String: Any])
        #expect(cron["concurrencyPolicy"] as? String == "Forbid")
        #expect((cron["startingDeadlineSeconds"] as? Int ?? 0) > 0)
        #expect(r.podSpec["restartPolicy"] as? String == "Never")

        // The Indexed Job: one pod per shard, --shard I/N with N the number of completions.
        #expect(r.jobSpec["completionMode"] as? String == "Indexed")
        let shards = r.jobSpec["completions"] as? Int
        #expect(shards != nil && r.jobSpec["parallelism"] as? Int == shards)
        #expect(r.commandLine.contains("--shard \"$((JOB_COMPLETION_INDEX + 1))/\(shards ?? 0)\""), "\(r.commandLine)")
        #expect((r.jobSpec["backoffLimitPerIndex"] as? Int ?? 0) > 0)
        #expect(r.container["command"] as? [String] == ["/bin/sh", "-c"])
        #expect(r.commandLine.hasPrefix("exec nightjar run "), "nightjar is the container's main process (it gets SIGTERM)")
        // The logical date is Nightjar's (the job's time zone), not the shell's `date`.
        #expect(r.commandLine.contains("--date yesterday") && !r.commandLine.contains("$(date"))

        // podFailurePolicy: what a retry cannot fix fails at once; a disruption does not count;
        // everything else (75, 128+N) spends the retry budget.
        let rules = dig(r.jobSpec, "podFailurePolicy")["rules"] as? [[String: Any]] ?? []
        var failing = Set<Int>(), ignored: [String] = []
        for rule in rules {
            let action = rule["action"] as? String ?? ""
            let codes = dig(rule, "onExitCodes")
            let values = Set(codes["values"] as? [Int] ?? [])
            if !values.isEmpty {
                #expect(codes["operator"] as? String == "In")
                #expect(codes["containerName"] as? String == r.container["name"] as? String)
                #expect(action == "FailJob" || action == "FailIndex", "exit codes \(values.sorted()) → \(action)")
                failing.formUnion(values)
            }
            for condition in rule["onPodConditions"] as? [[String: Any]] ?? [] {
                if action == "Ignore" { ignored.append(condition["type"] as? String ?? "") }
            }
        }
        #expect(failing == Self.neverRetried)
        #expect(failing.isDisjoint(with: Self.retried))
        #expect(ignored == ["DisruptionTarget"])
        // …and the statuses the binary documents (`nightjar --help`): all but 0 and 75 fail the Job.
        let help = try CLITests().run(["--help"]).stdout
        let table = help.components(separatedBy: "Exit status:").dropFirst().first ?? ""
        let documented = Set(table.split(separator: "\n").compactMap { line in
            line.range(of: #"^\s+[0-9]+\s"#, options: .regularExpression).flatMap { Int(line[$0].trimmingCharacters(in: .whitespaces)) }
        })
        #expect(documented.isSuperset(of: [0, 3, 75]), "nightjar --help: \(help)")
        #expect(documented.subtracting([0, 75]) == failing, "documented exit statuses \(documented.sorted())")

        // securityContext: non-root, read-only, no privileges, default seccomp.
        let pod = dig(r.podSpec, "securityContext"), sc = dig(r.container, "securityContext")
        #expect(sc["runAsNonRoot"] as? Bool == true && pod["runAsNonRoot"] as? Bool == true)
        #expect(sc["runAsUser"] as? Int == 10001 && pod["runAsUser"] as? Int == 10001)
        #expect(sc["readOnlyRootFilesystem"] as? Bool == true)
        #expect(sc["allowPrivilegeEscalation"] as? Bool == false)
        #expect(dig(sc, "capabilities")["drop"] as? [String] == ["ALL"])
        #expect(dig(sc, "seccompProfile")["type"] as? String == "RuntimeDefault")
        #expect(dig(pod, "seccompProfile")["type"] as? String == "RuntimeDefault")
        #expect(r.podSpec["automountServiceAccountToken"] as? Bool == false)
        // The image's user is the one Kubernetes checks.
        let containerfile = try String(contentsOf: Self.deploy.appendingPathComponent("Containerfile"), encoding: .utf8)
        #expect(containerfile.contains("\nUSER 10001:10001\n"))
        #expect(containerfile.contains("ENTRYPOINT [\"nightjar\"]"))

        let resources = dig(r.container, "resources")
        for part in ["requests", "limits"] {
            #expect(dig(resources, part)["cpu"] != nil && dig(resources, part)["memory"] != nil, "resources.\(part)")
        }

        // Every mount has a volume, every volume is mounted and names a rendered object.
        let mounted = r.mounts.compactMap { $0["name"] as? String }
        for name in mounted { #expect(r.volume(name) != nil, "volumeMount \(name) has no volume") }
        #expect(Set(mounted) == Set(r.volumes.compactMap { $0["name"] as? String }))
        for v in r.volumes {
            if let cm = dig(v, "configMap")["name"] as? String { #expect(r.configMap(cm) != nil, "ConfigMap \(cm)") }
            if let claim = dig(v, "persistentVolumeClaim")["claimName"] as? String {
                #expect(r.objects("PersistentVolumeClaim").contains { dig($0, "metadata")["name"] as? String == claim }, "PVC \(claim)")
            }
        }
        // Only /tmp (an emptyDir) is writable: the outputs and the run store are in PostgreSQL.
        for m in r.mounts where m["readOnly"] as? Bool != true {
            #expect(r.volume(m["name"] as? String ?? "")?["emptyDir"] != nil, "writable mount \(m["mountPath"] ?? "")")
        }

        // The job file in the ConfigMap is deploy/kubernetes/jobs/… byte for byte.
        let (path, text) = try Self.podJob(r)
        let file = Self.deploy.appendingPathComponent("kubernetes/jobs").appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent)
        #expect(text == (try String(contentsOf: file, encoding: .utf8)))

        // The job's connection comes from the nightjar-pg secret, nothing else.
        let job = try JobSpec.parse(yaml: text, file: path)
        let env = r.container["env"] as? [[String: Any]] ?? []
        for variable in Self.connectionVariables(job) {
            let entry = env.first { $0["name"] as? String == variable }
            let ref = dig(entry ?? [:], "valueFrom", "secretKeyRef")
            #expect(ref["name"] as? String == "nightjar-pg" && ref["key"] as? String == "dsn", "\(variable) from the nightjar-pg secret")
        }
        // The CronJob fires the job at its own schedule and time zone (the time zone of --date yesterday).
        #expect(cron["timeZone"] as? String == job.timeZone.identifier)
        #expect((cron["schedule"] as? String).map { $0.split(separator: " ") } == job.schedule.map { "\($0.cron)".split(separator: " ") })
        #expect(job.retries.count > 0, "temporary failures are retried inside the pod before the pod fails")
        if let timeout = job.timeout {
            #expect(Double(r.jobSpec["activeDeadlineSeconds"] as? Int ?? 0) >= timeout)
        }
    }

    /// Every `nightjar:X.Y.Z` written in deploy/ (README, Containerfile, kustomization) is the version.
    @Test func deployNamesTheCurrentVersion() throws {
        var found = 0
        for file in ["README.md", "Containerfile", "kubernetes/kustomization.yaml"] {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(file), encoding: .utf8)
            let regex = try NSRegularExpression(pattern: #"nightjar:([0-9]+\.[0-9]+\.[0-9]+)|newTag: "?([0-9]+\.[0-9]+\.[0-9]+)"#)
            for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let r = m.range(at: 1).location != NSNotFound ? m.range(at: 1) : m.range(at: 2)
                #expect(String(text[Range(r, in: text)!]) == NightjarVersion.current, "\(file)")
                found += 1
            }
        }
        #expect(found >= 3)
    }

    // MARK: - The pod's file system

    static func connectionVariables(_ job: JobSpec) -> [String] {
        var settings: [JobSpec.PostgresSettings] = []
        if case let .postgres(s, _, _) = job.source { settings.append(s) }
        if case let .postgres(s, _) = job.sink { settings.append(s) }
        if let s = job.statePostgres { settings.append(s) }
        return Array(Set(settings.compactMap(\.dsnEnv))).sorted()
    }

    /// A directory tree standing for the pod's file system: every volume at its mountPath —
    /// ConfigMaps as their files, the models volume filled the way deploy/README.md says (the
    /// repository's `models/` copied to the volume's root), emptyDirs empty.
    struct PodLayout {
        var root: URL
        var mountPaths: [String]

        func local(_ podPath: String) -> String { root.path + podPath }

        /// The pod paths in `text` moved under `root`. Only the prefix changes: the job file keeps
        /// absolute paths (a relative one would resolve against the ConfigMap's own directory — the
        /// bug this layout exists to catch), so moving every mount point under one root maps the
        /// pod's file system onto this one without touching anything else in the file. Making the
        /// paths relative to a substituted root would test a different file than the pod reads.
        func rewrite(_ text: String) -> String {
            // One pass over every mount point (longest first), so that a rewritten path is never
            // rewritten again (the root itself may lie under a mount point such as /tmp).
            let alternatives = mountPaths.sorted { $0.count > $1.count }.map(NSRegularExpression.escapedPattern(for:))
            let regex = try! NSRegularExpression(pattern: #"(?<![\w./-])(?:"# + alternatives.joined(separator: "|") + #")(?=/|[^\w.-]|$)"#,
                                                 options: .anchorsMatchLines)
            let ns = text as NSString
            var out = "", last = 0
            for m in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                out += ns.substring(with: NSRange(location: last, length: m.range.location - last)) + root.path + ns.substring(with: m.range)
                last = m.range.location + m.range.length
            }
            return out + ns.substring(from: last)
        }
    }

    /// `rewriteJobs`: the ConfigMap files with their pod paths moved under the layout's root (to run
    /// them here); without it, the files exactly as the pod reads them.
    static func makeLayout(_ r: Rendered, rewriteJobs: Bool) throws -> PodLayout {
        let root = CLITests().temporaryDirectory().appendingPathComponent("pod")
        let fm = FileManager.default
        var layout = PodLayout(root: root, mountPaths: r.mounts.compactMap { $0["mountPath"] as? String })
        layout.mountPaths.sort()
        for mount in r.mounts {
            let path = mount["mountPath"] as? String ?? ""
            let target = URL(fileURLWithPath: layout.local(path))
            let volume = try #require(r.volume(mount["name"] as? String ?? ""))
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if let name = dig(volume, "configMap")["name"] as? String {
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
                for (key, value) in try #require(r.configMap(name)?["data"] as? [String: String]) {
                    try (rewriteJobs ? layout.rewrite(value) : value).write(to: target.appendingPathComponent(key), atomically: true, encoding: .utf8)
                }
            } else if let claim = dig(volume, "persistentVolumeClaim")["claimName"] as? String {
                try #require(claim == "nightjar-models", "deploy/README.md says how to fill nightjar-models, not \(claim)")
                try fm.copyItem(at: CLITests.root.appendingPathComponent("models"), to: target)
            } else if volume["emptyDir"] != nil {
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
            } else {
                Issue.record("volume \(volume["name"] ?? "") of an unknown kind")
            }
        }
        return layout
    }

    /// Read from the pod's file system: the job file, the registry, the bundle and every file its
    /// manifest lists, a model file, CSV inputs. Written: SQLite/CSV outputs, a SQLite run store,
    /// a metrics textfile — none here, the job writes only to PostgreSQL and the Pushgateway.
    @Test func everyPathAPodOpensExistsInTheImageLayout() throws {
        let r = try Self.render()
        let layout = try Self.makeLayout(r, rewriteJobs: false)
        defer { try? FileManager.default.removeItem(at: layout.root.deletingLastPathComponent()) }
        let (path, text) = try Self.podJob(r)
        #expect(FileManager.default.fileExists(atPath: layout.local(path)))
        let job = try JobSpec.parse(yaml: text, file: path)

        func onAVolume(_ p: String, _ what: String) -> Bool {
            let ok = p.hasPrefix("/") && layout.mountPaths.contains { p == $0 || p.hasPrefix($0 + "/") }
            #expect(ok, "\(what) \(p) is not on a volume of the pod (the root file system is the image's, read-only)")
            return ok
        }
        var read: [(String, String)] = []
        if let ref = job.model.reference {
            read.append(("registry", job.registry))
            let registry = ModelRegistry(root: job.registry)
            // The bundle the run loads; a version, so that it is checked here (an alias lives in the database).
            let pinned = ref.selector.allSatisfy { $0.isNumber }
            #expect(pinned, "model \(ref): pin a version; an alias cannot be checked offline")
            let bundle = registry.directory(name: ref.name, version: ref.selector)
            read.append(("bundle", bundle))
            let manifest = layout.local(bundle + "/manifest.json")
            if FileManager.default.fileExists(atPath: manifest) {  // otherwise reported below, with the bundle
                let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: manifest))) as? [String: Any]
                let files = try #require(object?["files"] as? [String: String], "\(manifest) lists its files")
                read += files.keys.sorted().map { ("bundle file", bundle + "/" + $0) }
                // Verified as every run verifies it: hashes and golden rows, from the layout.
                _ = try ModelBundle(directory: layout.local(bundle)).verify()
            }
        } else {
            read.append(("model", job.model.path))
        }
        if case let .csv(pattern) = job.source {
            #expect(!pattern.contains("{{") && !pattern.contains("*"), "a templated CSV source cannot be checked: \(pattern)")
            read.append(("source.csv", pattern))
        }
        for (what, p) in read where onAVolume(p, what) {
            #expect(FileManager.default.fileExists(atPath: layout.local(p)), "\(what) \(p): not in the pod's file system (\(layout.local(p)))")
        }
        // Nothing is written locally: outputs and the run store are PostgreSQL, metrics are pushed.
        if case .postgres = job.sink {} else { Issue.record("the sink is not PostgreSQL: \(job.sink)") }
        if case .postgres = job.source {} else { Issue.record("the source is not PostgreSQL: \(job.source)") }
        #expect(job.statePostgres != nil, "state: postgres (the shards share one run store)")
        #expect(job.metrics.textfile == nil && job.metrics.pushgateway != nil)
        // No path left relative to the ConfigMap's directory.
        for (what, p) in read { #expect(!p.hasPrefix(URL(fileURLWithPath: path).deletingLastPathComponent().path + "/"), "\(what) \(p)") }
    }

    // MARK: - The container's command line, run here

    /// Runs the container's command (`/bin/sh -c LINE`) as the pod would: the container's env
    /// (secrets replaced by `secrets`) plus JOB_COMPLETION_INDEX, nightjar on PATH, the image's
    /// WORKDIR (/tmp) and a HOME that does not exist (the image's user has none).
    static func start(_ r: Rendered, layout: PodLayout, index: Int?, secrets: [String: String]) throws -> (Process, Pipe) {
        let p = Process()
        let command = r.container["command"] as? [String] ?? []
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst()) + (r.container["args"] as? [String] ?? []).map(layout.rewrite)
        var env = ["PATH": CLITests.binary.deletingLastPathComponent().path + ":/usr/local/bin:/usr/bin:/bin", "HOME": "/nonexistent"]
        for e in r.container["env"] as? [[String: Any]] ?? [] {
            let name = e["name"] as? String ?? ""
            env[name] = e["value"] as? String ?? secrets[name]
        }
        if let index { env["JOB_COMPLETION_INDEX"] = String(index) }
        env.merge(SanitizerReport.environment) { $1 }  // scripts/sanitize.sh: a report fails the pod's status
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: layout.local("/tmp"))
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        return (p, err)
    }

    static func files(under root: URL, except: String) -> Set<String> {
        let e = FileManager.default.enumerator(atPath: root.path)
        var all = Set<String>()
        while let f = e?.nextObject() as? String {
            if "/" + f != except && !("/" + f).hasPrefix(except + "/") { all.insert(f) }
        }
        return all
    }

    /// `nightjar validate --offline` of the pod's job file, in the layout, with no database.
    @Test func theJobValidatesOfflineInThePodLayout() throws {
        let help = try CLITests().run(["validate", "--help"])
        guard help.stdout.contains("--offline") else {
            print("nightjar validate has no --offline yet: skipped")
            return
        }
        let r = try Self.render()
        let layout = try Self.makeLayout(r, rewriteJobs: true)
        defer { try? FileManager.default.removeItem(at: layout.root.deletingLastPathComponent()) }
        let job = layout.local(r.jobPath)
        let v = try CLITests().run(["validate", "--offline", job], in: URL(fileURLWithPath: layout.local("/tmp")),
                                   environment: ["NIGHTJAR_PG_DSN": "", "HOME": "/nonexistent"])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }

    /// The 8 pods of a night, run here: the container's exact command line for every
    /// JOB_COMPLETION_INDEX against the layout and a database of its own in the test cluster, with
    /// yesterday's customers (in the job's time zone) and the day before's. Every pod exits 0, the
    /// date is published once, and nothing was written to the pod's file system outside /tmp.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"] != nil
                       || ProcessInfo.processInfo.environment["NIGHTJAR_REQUIRE_PG"] == "1", "needs NIGHTJAR_TEST_PG_DSN"))
    func theContainerCommandLineRunsEveryShard() throws {
        let dsn = try #require(ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"], "scripts/test.sh starts a PostgreSQL cluster")
        let r = try Self.render()
        let layout = try Self.makeLayout(r, rewriteJobs: true)
        defer { try? FileManager.default.removeItem(at: layout.root.deletingLastPathComponent()) }
        let job = try JobSpec.load(path: layout.local(r.jobPath))
        let before = Self.files(under: layout.root, except: "/tmp")

        // A database of its own: the job's fixed names (customers, analytics.churn_scores, job
        // churn-nightly-pg) meet no other test.
        let database = "nightjar_k8s_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PostgresConnection(conninfo: dsn, name: "test")
        try admin.execute("CREATE DATABASE \(database)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        let podDSN = dsn + " dbname=\(database)"
        let c = try PostgresConnection(conninfo: podDSN, name: "test")

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = job.timeZone
        func day(_ offset: Int) -> String {
            let d = calendar.dateComponents([.year, .month, .day], from: calendar.date(byAdding: .day, value: offset, to: Date())!)
            return String(format: "%04d-%02d-%02d", d.year!, d.month!, d.day!)
        }
        let yesterday = day(-1)
        try c.execute("""
            CREATE TABLE customers (customer_id text, age integer, income numeric, tenure_months integer, balance float8,
                num_products integer, last_login_days real, has_card boolean, region text, plan text, snapshot_day date NOT NULL,
                PRIMARY KEY (snapshot_day, customer_id))
            """)
        let csv = try String(contentsOf: CLITests.root.appendingPathComponent("fixtures/churn/score_input.csv"), encoding: .utf8)
        for snapshot in [yesterday, day(-2)] {
            try c.execute("ALTER TABLE customers ALTER COLUMN snapshot_day SET DEFAULT '\(snapshot)'")
            try c.copyIn("COPY customers (customer_id, age, income, tenure_months, balance, num_products, last_login_days, has_card, region, plan) FROM STDIN (FORMAT csv, HEADER true)") { send in
                var bytes = Array(csv.utf8)
                try bytes.withUnsafeMutableBytes { try send(UnsafeRawBufferPointer($0)) }
            }
        }

        let secrets = Dictionary(uniqueKeysWithValues: Self.connectionVariables(job).map { ($0, podDSN) })
        let shards = try #require(r.jobSpec["completions"] as? Int)
        let pods = try (0..<shards).map { try Self.start(r, layout: layout, index: $0, secrets: secrets) }
        for (i, (p, err)) in pods.enumerated() {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "pod \(i): \(text)")
        }
        guard day(-1) == yesterday else { return }  // midnight passed in the job's time zone meanwhile

        let published = try c.execute("""
            SELECT count(*), count(DISTINCT customer_id), count(DISTINCT run_id), min(logical_date)::text, max(logical_date)::text, max(model_version)
              FROM analytics.churn_scores
            """).rows
        #expect(published == [["1000", "1000", "1", yesterday, yesterday, "1"]])
        let run = try c.execute("""
            SELECT r.status, r.rows_written, count(s.*), count(*) FILTER (WHERE s.status = 'succeeded')
              FROM nightjar.runs r JOIN nightjar.shards s USING (run_id) WHERE r.job = $1 GROUP BY r.status, r.rows_written
            """, [job.name]).rows
        #expect(run == [["succeeded", "1000", String(shards), String(shards)]])
        #expect(Self.files(under: layout.root, except: "/tmp") == before, "the pod wrote outside /tmp (its root file system and volumes are read-only)")

        // validate, with the pod's environment and file system, checks the source query too.
        let v = try CLITests().run(["validate", layout.local(r.jobPath), "--date", "yesterday"],
                                   in: URL(fileURLWithPath: layout.local("/tmp")), environment: secrets)
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }
}
