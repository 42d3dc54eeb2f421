import Foundation
import NightjarCore
import NightjarIO

extension BundleBuilder {
    /// The input contract and reference statistics derived from the training sample (JSON).
    static func profile(model: ScoringModel, train: CSVTable) throws -> (contract: Data, reference: Data) {
        (Data("{}".utf8), Data("{}".utf8))  // replaced when the quality kernels land
    }
}
