import Foundation
import NightjarIO
import Testing

/// One version, from one place: `nightjar --version`, the runs it records and the bundles it
/// verifies say the same (the deploy manifests' image tag is checked by KubernetesDeployTests).
@Suite struct VersionTests {
    let cli = CLITests()

    @Test func theVersionIsTheSameEverywhere() throws {
        let v = try cli.run(["--version"])
        #expect(v.status == 0)
        let version = v.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.split(separator: ".").count == 3, "\(version)")
        let file = try ExitStatusTests().job()
        let r = try cli.run(["run", file.path, "--date", "2026-11-28", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let db = file.deletingLastPathComponent().appendingPathComponent("out.db").path
        #expect(try SQLiteDatabase(path: db, readOnly: true).query("SELECT DISTINCT nightjar_version FROM nightjar_runs") == [[version]])
        // --version belongs to the root command: a subcommand's help lists its own option once.
        let help = try cli.run(["bundle", "create", "--help"])
        #expect(help.stdout.components(separatedBy: "\n  --version").count == 2, "\(help.stdout)")
    }
}
