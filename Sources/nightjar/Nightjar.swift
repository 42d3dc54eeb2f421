import ArgumentParser
import NightjarCore

@main
struct Nightjar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightjar",
        abstract: "Batch scoring of XGBoost, LightGBM and ONNX (scikit-learn) models with the training library's own semantics: one-off, as jobs, on schedules.",
        discussion: ExitStatus.table,
        version: NightjarVersion.current,
        subcommands: [Score.self, Bench.self, Inspect.self, Run.self, BackfillCommand.self, Validate.self, Runs.self, Schedule.self, BundleCommand.self, Models.self, Report.self]
    )
}
