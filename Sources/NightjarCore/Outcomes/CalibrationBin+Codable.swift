/// A reliability bin as the run store (`nightjar_evaluations.calibration`) and `--json` write it:
/// `{lower, upper, rows, mean_predicted, observed_rate}`, an empty bin's means as `null`.
extension CalibrationBin: Codable {
    enum CodingKeys: String, CodingKey {
        case lower, upper, rows, meanPredicted = "mean_predicted", observedRate = "observed_rate"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(lower: try c.decode(Double.self, forKey: .lower), upper: try c.decode(Double.self, forKey: .upper),
                  rows: try c.decode(Int.self, forKey: .rows), meanPredicted: try c.decodeIfPresent(Double.self, forKey: .meanPredicted),
                  observedRate: try c.decodeIfPresent(Double.self, forKey: .observedRate))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lower, forKey: .lower); try c.encode(upper, forKey: .upper); try c.encode(rows, forKey: .rows)
        try c.encode(meanPredicted, forKey: .meanPredicted); try c.encode(observedRate, forKey: .observedRate)
    }
}
