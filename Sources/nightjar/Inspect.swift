import ArgumentParser
import NightjarCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model: format, objective, trees, classes, features and their categories."
    )

    @Argument(help: "Model file: XGBoost JSON or LightGBM text.")
    var model: String

    func run() throws {
        let loaded = try runReportingErrors { try ModelLoader.load(path: model) }
        print(loaded.describe(path: model))
    }
}
