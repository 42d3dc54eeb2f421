import Foundation
import Testing
@testable import NightjarJobs

@Suite struct JobSpecTests {
    let base = """
        name: t
        model: ../fixtures/churn/churn_xgb.json
        source:
          csv: data/{{ ds }}/in.csv
        sink:
          sqlite: { path: out.db, table: scores }
        """

    func parse(_ yaml: String) throws -> JobSpec {
        try JobSpec.parse(yaml: yaml, file: "/jobs/j.yaml")
    }

    @Test func exampleJobsLoad() throws {
        let nightly = try JobSpec.load(path: fixtures.deletingLastPathComponent().appendingPathComponent("jobs/churn-nightly.yaml").path)
        #expect(nightly.name == "churn-nightly")
        #expect(nightly.model.reference == ModelReference("churn@champion"))
        #expect(nightly.registry.hasSuffix("/models") && ModelBundle.isBundle(nightly.registry + "/churn/1"))
        #expect(nightly.maxRejectFraction == 0.01 && nightly.drift.fail == 0.25)
        #expect(nightly.keys == ["customer_id"])
        #expect(nightly.schedule?.timeZone.identifier == "Europe/Berlin")
        #expect(nightly.schedule?.catchUp == .latest)
        #expect(nightly.retries.count == 2 && nightly.retries.backoff == 300)
        #expect(nightly.timeout == 3600)
        let backfill = try JobSpec.load(path: fixtures.deletingLastPathComponent().appendingPathComponent("jobs/churn-backfill.yaml").path)
        #expect(backfill.outputs == ["probability", "label"])
        #expect(backfill.state == backfill.sink.sqlitePath)
    }

    @Test func defaultsAndPathsRelativeToTheFile() throws {
        let job = try parse(base)
        #expect(job.source == .csv(pattern: "/jobs/data/{{ ds }}/in.csv"))
        #expect(job.sink == .sqlite(path: "/jobs/out.db", table: "scores"))
        #expect(job.model.name == "churn_xgb")
        #expect(job.writeMode == .replacePartition)
        #expect(job.chunkRows == 50_000)
        #expect(job.state == "/jobs/out.db")
        #expect(job.retries.count == 0)
        #expect(DateTemplate.render("a/{{ ds }}/{{ds_nodash}}.csv", date: LogicalDate("2026-03-09")!) == "a/2026-03-09/20260309.csv")
    }

    /// Each bad file names the file, the line and the key.
    @Test(arguments: [
        ("colour: red\n", "/jobs/j.yaml:7: 'colour': unknown key"),
        ("schedule:\n  cron: \"61 * * * *\"\n", "/jobs/j.yaml:8: 'schedule.cron': minute value 61 is outside 0-59"),
        ("schedule:\n  cron: \"0 2 * *\"\n", "/jobs/j.yaml:8: 'schedule.cron': expected 5 fields"),
        ("schedule:\n  cron: \"@daily\"\n  timezone: Mars/Olympus\n", "/jobs/j.yaml:9: 'schedule.timezone': unknown time zone 'Mars/Olympus'"),
        ("schedule:\n  cron: \"@daily\"\n  catch_up: sometimes\n", "/jobs/j.yaml:9: 'schedule.catch_up': must be none, latest or all"),
        ("write_mode: upsert\n", "/jobs/j.yaml:7: 'write_mode': must be replace_partition or append"),
        ("chunk_rows: 0\n", "/jobs/j.yaml:7: 'chunk_rows': must be at least 1"),
        ("chunk_rows: lots\n", "/jobs/j.yaml:7: 'chunk_rows': expected a whole number"),
        ("timeout: soon\n", "/jobs/j.yaml:7: 'timeout': expected a duration"),
        ("retries:\n  count: 2\n  backof: 5m\n", "/jobs/j.yaml:9: 'retries.backof': unknown key"),
    ])
    func badValuesNameFileLineAndKey(_ extra: String, _ expected: String) {
        #expect { try parse(base + "\n" + extra) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(expected) || { print("got: \(text)"); return false }()
        }
    }

    @Test func structuralErrors() {
        #expect { try parse("name: t\n") } throws: { "\($0)".contains("'model': is required") }
        #expect { try parse(base.replacingOccurrences(of: "{{ ds }}", with: "{{ day }}")) } throws: {
            "\($0)".contains("/jobs/j.yaml:4: 'source.csv': unknown template variable '{{ day }}'")
        }
        #expect { try parse("name: [unclosed\n") } throws: { "\($0)".contains("not valid YAML") }
        #expect { try parse("") } throws: { "\($0)".contains("empty") }
        #expect { try parse(base + "\nname: again\n") } throws: { "\($0)".contains("appears twice") || "\($0)".contains("YAML") }
        #expect { try JobSpec.load(path: "/no/such/job.yaml") } throws: { "\($0)" == "/no/such/job.yaml: no such file" }
    }

    /// The committed JSON Schema accepts the example jobs and rejects what the parser rejects.
    @Test func jsonSchemaAgreesWithTheParser() throws {
        let root = fixtures.deletingLastPathComponent()
        let script = """
            import json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                errors = list(v.iter_errors(yaml.safe_load(open(path))))
                print(path, "ok" if not errors else "invalid: " + errors[0].message)
            """
        let bad = temporaryDirectory().appendingPathComponent("bad.yaml")
        try (base + "\ncolour: red\n").write(to: bad, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, root.appendingPathComponent("schemas/job.schema.json").path,
                             root.appendingPathComponent("jobs/churn-nightly.yaml").path,
                             root.appendingPathComponent("jobs/churn-backfill.yaml").path,
                             root.appendingPathComponent("jobs/churn-nightly-pg.yaml").path, bad.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with jsonschema and pyyaml is needed: \(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasSuffix("ok") && lines[1].hasSuffix("ok") && lines[2].hasSuffix("ok"))
        #expect(lines[3].contains("invalid") && lines[3].contains("colour"))
    }

    /// The committed bundle manifests agree with schemas/bundle.schema.json; a manifest with a key the schema does not know fails.
    @Test func bundleManifestsAgreeWithTheirSchema() throws {
        let root = fixtures.deletingLastPathComponent()
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                m = json.load(open(path))
                errors = list(v.iter_errors(m))
                print("ok" if not errors else "invalid: " + errors[0].message)
                m["colour"] = "red"
                print("ok" if not list(v.iter_errors(m)) else "invalid")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, root.appendingPathComponent("schemas/bundle.schema.json").path,
                             root.appendingPathComponent("models/churn/1/manifest.json").path,
                             root.appendingPathComponent("models/churn/2/manifest.json").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with jsonschema is needed: \(output)")
        #expect(output.split(separator: "\n") == ["ok", "invalid", "ok", "invalid"], "\(output)")
    }

    /// `--date today|yesterday` are the calendar days of now in the job's time zone.
    @Test func todayAndYesterdayFollowTheJobsTimeZone() throws {
        let now = Timestamp.parse("2026-11-28T23:30:00.000Z")!  // already the 29th in Berlin
        let berlin = TimeZone(identifier: "Europe/Berlin")!, utc = TimeZone(identifier: "UTC")!
        #expect(LogicalDate(argument: "today", in: berlin, now: now)?.description == "2026-11-29")
        #expect(LogicalDate(argument: "yesterday", in: berlin, now: now)?.description == "2026-11-28")
        #expect(LogicalDate(argument: "Yesterday", in: utc, now: now)?.description == "2026-11-27")
        #expect(LogicalDate(argument: "2026-02-28", in: utc, now: now)?.description == "2026-02-28")
        #expect(LogicalDate(argument: "2026-02-30", in: utc, now: now) == nil)
        #expect(LogicalDate(argument: "tomorrow", in: utc, now: now) == nil)
    }
}

extension JobSpec.Sink {
    var sqlitePath: String? {
        if case .sqlite(let p, _) = self { return p }
        return nil
    }
}
