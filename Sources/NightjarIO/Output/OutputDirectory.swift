import Foundation

/// Creates the folder an output file goes in.
public enum OutputDirectory {
    /// Creates the parent folder of `path` (and its parents); returns it.
    @discardableResult
    public static func create(for path: String) throws -> URL {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw InputError(path: path, message: "cannot create directory \(directory.path): \(error.localizedDescription)")
        }
        return directory
    }
}
