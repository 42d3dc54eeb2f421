import Foundation
import NightjarCore

/// The model targets' body: ModelLoader.load(data:path:) — what `nightjar` runs on a model file; it
/// picks the loader by content, so `path` only names the format the seeds are in — on arbitrary
/// bytes; a model it accepts scores a few rows (ScoreSample). A thrown ModelError is a clean
/// refusal; a trap, a sanitizer report, a leak or a hang is a finding.
public enum ModelFuzz {
    public static func run(_ data: UnsafePointer<UInt8>?, _ size: Int, path: String) -> CInt {
        guard let data else { return 0 }
        let bytes = Data(bytes: data, count: size)
        let model: ScoringModel
        do {
            model = try ModelLoader.load(data: bytes, path: path)
        } catch {
            FuzzLog.say("refused: \(error)")
            return 0
        }
        FuzzLog.say("loaded: \(model.summary)")
        ScoreSample.run(model)
        return 0
    }
}
