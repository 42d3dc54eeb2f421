import ArgumentParser
import NightjarCore
import NightjarJobs

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model: format, objective, trees, classes, features and their categories; for ONNX, the inputs, steps and outputs."
    )

    @Argument(help: "Model file: XGBoost JSON, LightGBM text or ONNX.")
    var model: String

    func run() throws {
        let loaded = try runReportingErrors {
            try ModelLoader.load(path: model).reproducingONNXRuntime(threads: ONNXRuntimeDefaults.intraOpThreads)
        }
        print(loaded.describe(path: model))
    }
}
