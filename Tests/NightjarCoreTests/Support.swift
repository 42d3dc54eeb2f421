import Foundation

/// The repository's fixtures/ folder, found from this file's location.
let fixtures: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures")

func fixture(_ path: String) -> String { fixtures.appendingPathComponent(path).path }

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "model") -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try! Data(text.utf8).write(to: url)
    return url.path
}

/// A small seeded generator (SplitMix64) for the randomised kernel tests: the same cases every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
