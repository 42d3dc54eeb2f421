import ArgumentParser
import NightjarCore

@main
struct Nightjar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightjar",
        abstract: "Batch scoring of XGBoost, LightGBM and ONNX (scikit-learn) models with the training library's own semantics: one-off, as jobs, on schedules.",
        discussion: ExitStatus.table,
        subcommands: [Score.self, Bench.self, Inspect.self, Run.self, BackfillCommand.self, Validate.self, Runs.self, Schedule.self, BundleCommand.self, Models.self, Report.self]
    )

    // `--version` of the root command only: ArgumentParser's built-in one (`version:` above)
    // would also appear in every subcommand's help, next to `bundle create --version`.
    @Flag(name: .customLong("version"), help: "Show the version (\(NightjarVersion.current)).")
    var showVersion = false

    func run() throws {
        guard showVersion else { throw CleanExit.helpRequest(self) }
        print(NightjarVersion.current)
    }
}
