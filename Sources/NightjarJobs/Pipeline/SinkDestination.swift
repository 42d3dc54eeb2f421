import NightjarCore
import NightjarIO

/// The destination of a one-off `nightjar score`: a job without checkpoints. Chunks go to the
/// sink as they commit; the sink makes them visible all at once when the pipeline finishes
/// (`finish`), and `abort` leaves the output as it was.
final class SinkDestination: ChunkDestination {
    let sink: any PredictionSink

    init(sink: any PredictionSink) {
        self.sink = sink
    }

    func committed(runID: String, shard: Int?) throws -> [ChunkRecord] { [] }

    func isPublished(runID: String) throws -> Bool { false }

    func commit(_ chunk: ScoredChunk, layout: OutputLayout, keyTypes: [String]?, extras: [ExtraRows], checkpoint: inout ChunkRecord) throws {
        try sink.write(chunk)
    }

    func finish(runID: String, date: String) throws {
        try sink.commit()
    }

    func addWriter(table: String?, layout: OutputLayout, lineage: OutputLineage) throws -> Int {
        throw ScoreError("nightjar score writes one output; shadow and split outputs need a job")
    }

    func abort() {
        sink.abort()
    }
}
