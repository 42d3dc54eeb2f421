import Foundation

let fixtures: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures")

func fixture(_ path: String) -> String { fixtures.appendingPathComponent(path).path }

/// A fresh empty directory for one test.
func temporaryDirectory() -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-io-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

func write(_ bytes: [UInt8], name: String) -> String {
    let url = temporaryDirectory().appendingPathComponent(name)
    try! Data(bytes).write(to: url)
    return url.path
}

func write(_ text: String, name: String = "input.csv") -> String { write(Array(text.utf8), name: name) }
