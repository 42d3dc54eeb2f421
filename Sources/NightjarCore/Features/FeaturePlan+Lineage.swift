/// Which input columns each estimator feature is made from: what linear contributions are summed
/// over (a one-hot column and a scaled column belong to the input they were made from).
extension FeaturePlan {
    /// Per estimator feature, the encoded input columns its value depends on (empty: a constant).
    /// A row-wise step (`normalize`, `linear`) makes each of its outputs depend on all its inputs.
    public func inputSources() -> [Set<Int>] {
        var sources = [Set<Int>](repeating: [], count: scratchColumns)
        func read(_ c: Int) -> Set<Int> { c >= 0 && c < sources.count ? sources[c] : [] }
        func write(_ c: Int, _ s: Set<Int>) { if c >= 0 && c < sources.count { sources[c] = s } }
        for step in steps {
            switch step {
            case let .load(input, _, into): write(into, [input])
            case let .code(input, into): write(into, [input])
            case let .integerCode(from, _, into): write(into, read(from))
            case let .lookup(from, _, into): write(into, read(from))
            case let .map(from, _, _, into): write(into, read(from))
            case let .constant(_, into): write(into, [])
            case let .normalize(from, _, into), let .linear(from, _, _, into):
                let all = from.reduce(into: Set<Int>()) { $0.formUnion(read($1)) }
                for c in into { write(c, all) }
            }
        }
        return outputs.map(read)
    }
}
