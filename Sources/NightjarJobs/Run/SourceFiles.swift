import Foundation

/// The input files of a job for one logical date: the rendered path, or the files a glob matches, sorted.
enum SourceFiles {
    static func resolve(pattern: String, date: LogicalDate, job: String) throws -> [String] {
        let rendered = DateTemplate.render(pattern, date: date)
        if rendered.contains(where: { "*?[".contains($0) }) {
            var g = glob_t()
            defer { globfree(&g) }
            let rc = glob(rendered, 0, nil, &g)
            guard rc == 0 else {
                throw ScoreError("job \(job): no input file matches \(rendered) for \(date)", kind: .temporary)
            }
            var files: [String] = []
            for i in 0..<Int(g.gl_pathc) {
                if let p = g.gl_pathv[i] { files.append(String(cString: p)) }
            }
            return files.sorted()
        }
        guard FileManager.default.fileExists(atPath: rendered) else {
            throw ScoreError("job \(job): input \(rendered) for \(date) does not exist", kind: .temporary)
        }
        return [rendered]
    }
}
