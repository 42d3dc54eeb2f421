import Foundation
import Testing
@testable import NightjarJobs

/// schemas/job.schema.json and the parser (`JobSpec.parse`) on one corpus of job files,
/// fixtures/job-corpus/: every good file (and every shipped job) passes both; every bad file fails
/// both, except the few JSON Schema cannot refuse, listed below with why. Each bad file's first
/// line says where the parser must point: `# expect: key=KEY line=LINE  why` (`-`: no key, no line).
///
/// Values keep their YAML types in both (README, "Jobs"): a quoted number is refused where a
/// number is expected; text YAML reads as a number, boolean or null is refused where text is.
@Suite struct JobSchemaCorpusTests {
    static let root = fixtures.deletingLastPathComponent()
    static let corpus = fixtures.appendingPathComponent("job-corpus")

    /// Bad files that JSON Schema cannot refuse: the schema accepts them, the parser refuses them.
    static let beyondSchema: [String: String] = [
        // A range is a-b with a <= b; a pattern cannot compare two numbers short of listing every pair.
        "cron-range-backwards.yaml": "a cron range that runs backwards",
        // Time zone names are the system's tz database, which changes apart from the schema.
        "timezone-unknown.yaml": "an unknown IANA time zone",
        // JSON Schema cannot compare two values of one document.
        "drift-warn-above-fail.yaml": "drift.warn above drift.fail",
        // A YAML loader keeps the last of two equal keys before any schema sees the mapping.
        "duplicate-key.yaml": "a key given twice",
    ]

    /// Bad files that only `nightjar validate` (and a run) refuses: parser and schema accept them.
    static let validateOnly: [String: String] = [
        // The model's output columns are in the model file, which neither the parser nor the schema reads.
        "outputs-unknown.yaml": "an output the model does not have",
    ]

    static func files(_ directory: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
    }

    static var good: [URL] { files(corpus.appendingPathComponent("good")) }
    static var bad: [URL] { files(corpus.appendingPathComponent("bad")) }
    /// The jobs the project ships: jobs/ and the Kubernetes example's.
    static var shipped: [URL] {
        files(root.appendingPathComponent("jobs")) + files(root.appendingPathComponent("deploy/kubernetes/jobs"))
    }

    /// A bad file's expectation, from its first line.
    struct Expectation {
        var key: String?
        var line: Int?
    }

    static func expectation(_ file: URL) throws -> Expectation {
        let text = try String(contentsOf: file, encoding: .utf8)
        let first = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = first.split(separator: " ")
        guard parts.count >= 4, parts[0] == "#", parts[1] == "expect:", parts[2].hasPrefix("key="), parts[3].hasPrefix("line=") else {
            throw ExpectationError(file: file.lastPathComponent)
        }
        let key = String(parts[2].dropFirst(4)), line = String(parts[3].dropFirst(5))
        return Expectation(key: key == "-" ? nil : key, line: line == "-" ? nil : Int(line))
    }

    struct ExpectationError: Error, CustomStringConvertible {
        var file: String
        var description: String { "\(file): the first line must be '# expect: key=KEY line=LINE  why'" }
    }

    @Test func theCorpusIsThere() throws {
        #expect(Self.good.count >= 20)
        #expect(Self.bad.count >= 40)
        #expect(Self.shipped.count >= 4)
        let names = Set(Self.bad.map(\.lastPathComponent))
        for listed in Array(Self.beyondSchema.keys) + Array(Self.validateOnly.keys) {
            #expect(names.contains(listed), "\(listed) is listed but not in the corpus")
        }
    }

    @Test func goodFilesAndShippedJobsPassTheParser() {
        for file in Self.good + Self.shipped {
            #expect(throws: Never.self, "\(file.path)") { try JobSpec.load(path: file.path) }
        }
    }

    /// Every bad file is refused with an error naming the file, and the line and key at fault.
    @Test func badFilesFailTheParserNamingFileLineAndKey() throws {
        for file in Self.bad where Self.validateOnly[file.lastPathComponent] == nil {
            let expected = try Self.expectation(file)
            do {
                _ = try JobSpec.load(path: file.path)
                Issue.record("\(file.lastPathComponent): the parser accepts it")
            } catch {
                #expect(error.file == file.path, "\(error)")
                #expect(error.line == expected.line, "\(file.lastPathComponent): line \(error.line.map(String.init) ?? "none"), expected \(expected.line.map(String.init) ?? "none"): \(error)")
                #expect(error.key == expected.key, "\(file.lastPathComponent): key \(error.key ?? "none"), expected \(expected.key ?? "none"): \(error)")
            }
        }
    }

    /// What the parser cannot know without the model, `nightjar validate --offline` refuses.
    @Test func validateOnlyFilesAreRefusedByValidate() throws {
        for name in Self.validateOnly.keys.sorted() {
            let path = Self.corpus.appendingPathComponent("bad/\(name)").path
            let expected = try Self.expectation(URL(fileURLWithPath: path))
            #expect(throws: Never.self, "\(name): the parser accepts it") { try JobSpec.load(path: path) }
            #expect {
                try JobValidator.validate(path: path, date: LogicalDate("2026-11-28"), offline: true)
            } throws: { error in
                guard let e = error as? JobFileError else { return false }
                return e.file == path && e.key == expected.key
            }
        }
    }

    /// Good files and shipped jobs pass the schema; bad files fail it, but for `beyondSchema` and
    /// `validateOnly`, which it must accept (the schema must not refuse what the parser accepts).
    @Test(.enabled(if: JSONSchemaValidator.enabled, "needs python3 with jsonschema and yaml (scripts/test.sh installs them)"))
    func schemaAgreesWithTheParserOnTheCorpus() throws {
        let results = try JSONSchemaValidator.validate(Self.good + Self.shipped + Self.bad)
        for file in Self.good + Self.shipped {
            let r = try #require(results[file.path])
            #expect(r.valid, "\(file.path): the schema refuses a file the parser accepts: \(r.message ?? "")")
        }
        for file in Self.bad {
            let r = try #require(results[file.path])
            let name = file.lastPathComponent
            if Self.beyondSchema[name] != nil || Self.validateOnly[name] != nil {
                #expect(r.valid, "\(name) is listed as beyond JSON Schema, but the schema refuses it: \(r.message ?? ""); take it off the list")
            } else {
                #expect(!r.valid, "\(name): the schema accepts a file the parser refuses")
            }
        }
    }

    /// The schema's cron pattern and `CronExpression` agree on a few thousand generated strings
    /// (but for ranges that run backwards, which only the parser refuses).
    @Test(.enabled(if: JSONSchemaValidator.enabled, "needs python3 with jsonschema and yaml (scripts/test.sh installs them)"))
    func cronPatternAgreesWithCronExpression() throws {
        var rng = SplitMix64(seed: 17)
        // Mostly values that fit the field, some that do not, and some that fit no field.
        let fitting = [["*", "0", "5", "05", "30", "59"], ["*", "0", "2", "007", "23"], ["*", "1", "15", "31"],
                       ["*", "1", "12", "jan", "JUL", "Dec"], ["*", "0", "7", "mon", "Sun", "fri"]]
        let any = ["*", "0", "1", "7", "12", "13", "23", "24", "31", "32", "59", "60", "61", "jan", "mon",
                   "jum", "x", "+5", "-1", ""]
        func item(_ f: Int) -> String {
            func atom() -> String { rng.next(5) == 0 ? any[rng.next(any.count)] : fitting[f][rng.next(fitting[f].count)] }
            var s = atom()
            if rng.next(4) == 0 { s += "-" + atom() }
            if rng.next(4) == 0 { s += "/" + ["1", "2", "15", "2", "15", "0", "+2", "x", ""][rng.next(9)] }
            return s
        }
        func field(_ f: Int) -> String { (0...rng.next(2)).map { _ in item(min(f, 4)) }.joined(separator: ",") }
        var strings = ["@daily", "@Hourly", "@annually", "@midnight", "@fortnightly", "@", "", " 0 2 * * * ", "0\t2\t*\t*\t*"]
        for _ in 0..<3000 {
            let count = [5, 5, 5, 5, 4, 6][rng.next(6)]
            strings.append((0..<count).map { field($0) }.joined(separator: [" ", " ", "  ", "\t"][rng.next(4)]))
        }
        let schema = try JSONSchemaValidator.matchesCronPattern(strings)
        var checked = 0
        for (text, schemaAccepts) in zip(strings, schema) {
            let parser: Bool
            do { _ = try CronExpression(text); parser = true } catch {
                if error.message.contains("runs backwards") { continue }
                parser = false
            }
            checked += 1
            #expect(parser == schemaAccepts, "'\(text)': the parser \(parser ? "accepts" : "refuses") it, the schema \(schemaAccepts ? "accepts" : "refuses") it")
        }
        #expect(checked > 2000)
        #expect(schema.filter { $0 }.count > 100, "too few valid strings generated to say much")
    }
}

/// A small deterministic generator (SplitMix64), so a failure can be reproduced.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

/// schemas/job.schema.json checked by python3 with jsonschema and PyYAML (Debian packages
/// python3-jsonschema and python3-yaml, in NIGHTJAR_TEST_APT_PACKAGES). Under scripts/test.sh
/// (NIGHTJAR_REQUIRE_PG=1) a missing python3 or module is a failure, not a skip, as a missing
/// PostgreSQL server or promtool is.
enum JSONSchemaValidator {
    struct Result: Decodable {
        var file: String
        var valid: Bool
        var message: String?
    }

    static var schema: String { fixtures.deletingLastPathComponent().appendingPathComponent("schemas/job.schema.json").path }

    /// The first python3 that imports jsonschema and yaml: the one on PATH, else the system's.
    static let python: String? = {
        for candidate in ["python3", "/usr/bin/python3"] {
            if let r = try? run(candidate, ["-c", "import jsonschema, yaml"]), r.status == 0 { return candidate }
        }
        return nil
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["NIGHTJAR_REQUIRE_PG"] == "1" }
    static var enabled: Bool { python != nil || required }

    static func run(_ python: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python] + arguments
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin
        try p.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return (p.terminationStatus, p.terminationStatus == 0 ? text : text + String(decoding: errors, as: UTF8.self))
    }

    static func interpreter() throws -> String {
        try #require(python, "python3 with the modules jsonschema and yaml is missing: install the Debian packages python3-jsonschema and python3-yaml (scripts/test.sh does)")
    }

    /// Each file loaded with yaml.safe_load (not YAML: invalid) and checked against the schema.
    static func validate(_ files: [URL]) throws -> [String: Result] {
        let script = """
            import json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1], encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                try:
                    doc = yaml.safe_load(open(path, encoding="utf-8"))
                except yaml.YAMLError as e:
                    print(json.dumps({"file": path, "valid": False, "message": "not YAML: " + str(e).splitlines()[0]}))
                    continue
                error = jsonschema.exceptions.best_match(v.iter_errors(doc))
                message = None if error is None else "/".join(map(str, error.absolute_path)) + ": " + error.message[:300]
                print(json.dumps({"file": path, "valid": error is None, "message": message}))
            """
        let r = try run(try interpreter(), ["-c", script, schema] + files.map(\.path))
        try #require(r.status == 0, "python3: \(r.output)")
        var out: [String: Result] = [:]
        for line in r.output.split(separator: "\n") {
            let result = try JSONDecoder().decode(Result.self, from: Data(line.utf8))
            out[result.file] = result
        }
        return out
    }

    /// Whether each string is a valid `schedule.cron` for the schema.
    static func matchesCronPattern(_ strings: [String]) throws -> [Bool] {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1], encoding="utf-8"))
            v = jsonschema.Draft202012Validator(schema["$defs"]["cron"])
            print(json.dumps([v.is_valid(s) for s in json.load(sys.stdin)]))
            """
        let input = String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
        let r = try run(try interpreter(), ["-c", script, schema], input: input)
        try #require(r.status == 0, "python3: \(r.output)")
        let out = try JSONDecoder().decode([Bool].self, from: Data(r.output.utf8))
        try #require(out.count == strings.count)
        return out
    }
}
