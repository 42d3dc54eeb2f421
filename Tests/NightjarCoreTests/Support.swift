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
