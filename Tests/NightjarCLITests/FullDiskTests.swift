import Foundation
import Testing
import NightjarIO

/// A full disk under the output database and under the run store, on a real small filesystem: a
/// 8 MB tmpfs mounted in a user and mount namespace of its own (`unshare --user --map-root-user
/// --mount`, no privileges needed), filled with a file until little is left. The run ends with
/// exit 75 and one line naming the full database; `nightjar runs` works while the disk is full
/// (it writes nothing); the run reads `failed` (stored, not derived) once space returns; the
/// rerun resumes and writes the rows of a clean run.
///
/// Where the kernel refuses user namespaces, the test falls back to SQLite's `PRAGMA
/// max_page_count` on the output file (NIGHTJAR_TEST_MAX_PAGE_COUNT), with the run store in a
/// file of its own, and says so.
@Suite(.serialized) struct FullDiskTests {
    let runner = RunCommandTests()

    /// Runs inside the namespace: $1 the binary, $2 the work directory (job files and in.csv;
    /// `disk` is the tmpfs), $3 the scenario's job file name. Each step's status, stdout and
    /// stderr go to results/<job>/ outside the tmpfs.
    static let script = #"""
        set -u
        BIN=$1; WORK=$2; JOB=$3
        cd "$WORK"
        R="results/$JOB"; mkdir -p "$R"
        mount -t tmpfs -o size=8m nightjar-test disk 2> "$R/mount.err" || exit 90
        step() { name=$1; shift; "$BIN" "$@" > "$R/$name.out" 2> "$R/$name.err"; echo $? > "$R/$name.status"; }
        avail() { df -k --output=avail disk | tail -1 | tr -d ' '; }
        # A first date with room to spare: the stores exist (and keep their reserve).
        step first run "$JOB.yaml" --date 2026-11-27 --quiet
        # Little left: the next date's rows do not fit.
        dd if=/dev/zero of=disk/filler bs=1k count=$(( $(avail) - 260 )) 2>/dev/null
        step full run "$JOB.yaml" --date 2026-11-28 --no-retries --quiet
        # Nothing left at all: reading the run store still works.
        dd if=/dev/zero of=disk/filler2 bs=4k 2>/dev/null
        avail > "$R/avail"
        step runs_full runs --job "$JOB.yaml" --json
        # Space returns.
        rm -f disk/filler disk/filler2
        step runs_after runs --job "$JOB.yaml" --json
        cp disk/*.db disk/*.db-wal "$R/" 2>/dev/null
        step rerun run "$JOB.yaml" --date 2026-11-28 --quiet
        step runs_final runs --job "$JOB.yaml" --json
        # The database with its WAL (a process's last commits may be there only).
        for f in disk/out.db disk/out.db-wal; do [ -f "$f" ] && cp "$f" "$R/final${f#disk/out}"; done
        exit 0
        """#

    func write(_ dir: URL, _ name: String, sink: String, state: String?) throws {
        let yaml = """
            name: full-disk-\(name)
            model: \(CLITests.root.appendingPathComponent("fixtures/churn/churn_xgb.json").path)
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 500
            sink: { sqlite: { path: \(sink), table: scores } }
            \(state.map { "state: \($0)" } ?? "")
            """
        try yaml.write(to: dir.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }

    func text(_ dir: URL, _ job: String, _ file: String) -> String {
        (try? String(contentsOf: dir.appendingPathComponent("results/\(job)/\(file)"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "(missing)"
    }

    /// The 2026-11-28 run in a `runs --json` answer: status and error.
    func run28(_ json: String) -> (status: String?, error: String?) {
        let runs = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [[String: Any]] ?? []
        let r = runs.first { $0["logical_date"] as? String == "2026-11-28" }
        return (r?["status"] as? String, r?["error"] as? String)
    }

    @Test func aFullDiskLeavesAFailedRunAndRunsStillWorks() throws {
        let job = try runner.makeJob()  // a 20,000-row in.csv
        defer { try? FileManager.default.removeItem(at: job.deletingLastPathComponent()) }
        let dir = job.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("disk"), withIntermediateDirectories: true)
        // The output and its run store in one file on the small disk; then the run store alone there.
        try write(dir, "sink", sink: "disk/out.db", state: nil)
        try write(dir, "store", sink: "out-store.db", state: "disk/state.db")
        let scriptFile = dir.appendingPathComponent("full-disk.sh")
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let clean = try runner.outputRows(try cleanRun(dir))

        var namespaces = true
        for scenario in ["sink", "store"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            p.arguments = ["--user", "--map-root-user", "--mount", "bash", scriptFile.path, CLITests.binary.path, dir.path, scenario]
            p.standardOutput = Pipe()
            p.standardError = Pipe()
            try p.run()
            p.waitUntilExit()
            if p.terminationStatus != 0 {
                namespaces = false
                print("full disk: the kernel refused a user namespace with a tmpfs (\(text(dir, scenario, "mount.err"))); falling back to PRAGMA max_page_count")
                break
            }
            for step in ["first", "full", "runs_full", "runs_after", "rerun", "runs_final"] {
                SanitizerReport.check(stderr: text(dir, scenario, "\(step).err"), status: Int32(text(dir, scenario, "\(step).status")) ?? -1)
            }
            #expect(text(dir, scenario, "first.status") == "0", "\(text(dir, scenario, "first.err"))")
            // The run on the full disk: temporary (75), one line naming the full database.
            let err = text(dir, scenario, "full.err")
            #expect(text(dir, scenario, "full.status") == "75", "\(scenario): \(err)")
            #expect(err.split(separator: "\n").count == 1 && err.hasPrefix("error: ") && err.contains("database or disk is full")
                    && err.contains("free space"), "\(scenario): \(err)")
            // `runs` on a disk with nothing left: status 0, the run failed.
            #expect(text(dir, scenario, "avail") == "0")
            #expect(text(dir, scenario, "runs_full.status") == "0", "\(scenario): \(text(dir, scenario, "runs_full.err"))")
            #expect(run28(text(dir, scenario, "runs_full.out")).status == "failed", "\(scenario): \(text(dir, scenario, "runs_full.out"))")
            // Space back: failed, stored as such (not derived), with the one-line error.
            let after = run28(text(dir, scenario, "runs_after.out"))
            #expect(after.status == "failed" && after.error?.contains("database or disk is full") == true, "\(scenario): \(after)")
            let storeFile = dir.appendingPathComponent("results/\(scenario)/\(scenario == "sink" ? "out.db" : "state.db")").path
            let stored = try SQLiteDatabase(path: storeFile, readOnly: true)
                .query("SELECT status FROM nightjar_runs WHERE logical_date = '2026-11-28'")
            #expect(stored == [["failed"]], "\(scenario)")
            // The rerun resumes and writes the rows of a clean run.
            #expect(text(dir, scenario, "rerun.status") == "0", "\(scenario): \(text(dir, scenario, "rerun.err"))")
            #expect(run28(text(dir, scenario, "runs_final.out")).status == "succeeded")
            let output = scenario == "sink" ? dir.appendingPathComponent("results/sink/final.db").path : dir.appendingPathComponent("out-store.db").path
            let rows = try SQLiteDatabase(path: output, readOnly: true)
                .query("SELECT customer_id, probability, label, logical_date FROM scores WHERE logical_date = '2026-11-28' ORDER BY customer_id")
                .map { $0.map { $0 ?? "NULL" }.joined(separator: ",") }
            #expect(rows == clean, "\(scenario): \(rows.count) rows")
        }
        if !namespaces { try fallBack(dir, clean: clean) }
    }

    /// A clean run of the same rows, for comparison.
    func cleanRun(_ dir: URL) throws -> String {
        try write(dir, "clean", sink: "clean.db", state: nil)
        let (status, err) = try runner.finish(["run", dir.appendingPathComponent("clean.yaml").path, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        return dir.appendingPathComponent("clean.db").path
    }

    /// Without user namespaces: the output file capped at 60 pages, the run store in its own file.
    func fallBack(_ dir: URL, clean: [String]) throws {
        try write(dir, "capped", sink: "capped.db", state: "capped-state.db")
        let job = dir.appendingPathComponent("capped.yaml").path
        let capped = try CLITests().run(["run", job, "--date", "2026-11-28", "--no-retries", "--quiet"],
                                        environment: ["NIGHTJAR_TEST_MAX_PAGE_COUNT": "capped.db:60"])
        #expect(capped.status == 75 && capped.stderr.split(separator: "\n").count == 1 && capped.stderr.contains("full"), "\(capped.stderr)")
        let state = dir.appendingPathComponent("capped-state.db").path
        #expect(try SQLiteDatabase(path: state, readOnly: true).query("SELECT status FROM nightjar_runs") == [["failed"]])
        let (status, err) = try runner.finish(["run", job, "--date", "2026-11-28", "--quiet"])
        #expect(status == 0, "\(err)")
        #expect(try runner.outputRows(dir.appendingPathComponent("capped.db").path) == clean)
    }
}
