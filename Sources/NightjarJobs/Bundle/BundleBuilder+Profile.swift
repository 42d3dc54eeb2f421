import Foundation
import NightjarCore
import NightjarIO

extension BundleBuilder {
    /// The input contract and the reference statistics, derived from the training sample (JSON).
    static func profile(model: ScoringModel, train: CSVTable) throws -> (contract: Data, reference: Data) {
        let contract: InputContract
        do {
            contract = try InputContract.derive(features: model.features, header: train.header, sample: train.batch)
        } catch {
            throw InputError(path: train.path, message: "training sample: \(error.description)")
        }
        // Encoded once: the feature statistics and the predictions come from the same matrix.
        let matrix = try GoldenRows.encode(model, table: train, rows: Array(0..<train.rowCount))
        let (columns, values) = GoldenRows.score(model, matrix: matrix, includeMargin: false)
        var builder = ReferenceProfileBuilder(features: model.features)
        builder.add(matrix)
        let profiled = model.primaryOutput
        if let index = columns.firstIndex(where: { $0.name == profiled }) {
            builder.addPredictions(values, stride: columns.count, column: index, name: profiled)
        }
        var reference = builder.build()
        if case .linear = model.estimator {
            reference.linearMeans = LinearContributions.means(of: model, matrix: matrix)
        }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try json.encode(contract), try json.encode(reference))
    }
}

extension ScoringModel {
    /// The output column whose distribution is profiled and compared for drift.
    var primaryOutput: String {
        switch task {
        case .binary: return "probability"
        case .regression: return "prediction"
        case .multiclass, .multiclassLabel: return "label"
        }
    }
}
