/// One share of a run split over several workers: `--shard 2/8` is the second of eight (1-based).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else { return nil }
        index = i
        count = n
    }

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// For a set of files: the indices of this shard's files.
    func files(_ count: Int) -> [Int] { (0..<count).filter { $0 % self.count == index - 1 } }
}
