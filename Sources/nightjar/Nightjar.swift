import ArgumentParser
import NightjarCore

@main
struct Nightjar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightjar",
        abstract: "Batch scoring of XGBoost, LightGBM and ONNX (scikit-learn) models with the training library's own semantics: one-off, as jobs, on schedules.",
        discussion: "`nightjar --version` prints the version (\(NightjarVersion.current)).\n\n" + ExitStatus.table,
        subcommands: [Score.self, Bench.self, Inspect.self, Run.self, BackfillCommand.self, Evaluate.self, Validate.self, Runs.self, Unlock.self, Schedule.self, BundleCommand.self, Models.self, Report.self]
    )

    /// `nightjar --version` is answered here: ArgumentParser's own (`version:` in the
    /// configuration) is listed in every subcommand's help, next to `bundle create --version`, and
    /// a root `--version` flag would take that option's name from the subcommand.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--version"] {
            print(NightjarVersion.current)
            return
        }
        main(arguments)
    }
}
