import Dispatch
import Foundation
import NightjarCore
import NightjarIO

/// The pipeline's second stage: scores a read chunk with the champion, the shadow challengers and
/// a split's challenger, computes the chunk's statistics, and hands back everything its commit
/// needs (`ChunkCommitter.Pending`). Runs on the calling thread; the predictors spread each chunk
/// over their worker pools.
struct ChunkScorer {
    let predictor: Predictor
    let quality: RunQuality?
    /// For each output column, its index in the predictor's columns.
    let championProjection: [Int]
    var challengers: [RunExecutor.Contender] = []
    var splitContender: RunExecutor.Contender? = nil
    /// Writer indices in the destination: one per challenger, and the split's.
    var shadowWriters: [Int] = []
    var splitWriter: Int? = nil
    var comparison: ComparisonSetup? = nil

    /// Scores `item`, the run's chunk number `chunkIndex` whose first row is row `rowsBefore + 1`.
    func score(_ item: ChunkPrefetcher.Item, chunkIndex: Int, rowsBefore: Int) throws -> ChunkCommitter.Pending {
        var values: [Double] = []
        let scoringStarted = DispatchTime.now()
        predictor.score(item.matrix, into: &values)
        let championSeconds = DispatchTime.now().seconds(since: scoringStarted)
        let width = predictor.columns.count
        var outputValues = RunExecutor.project(values, width: width, championProjection)
        let firstRow = Int64(rowsBefore + 1)
        // Shadow challengers: the same rows, into the shadow table, compared with the champion.
        var extras: [ExtraRows] = []
        var comparisons: [ShadowComparison] = []
        for (i, c) in challengers.enumerated() {
            var shadow: [Double] = []
            let started = DispatchTime.now()
            c.predictor.score(item.challengerMatrices[i] ?? item.matrix, into: &shadow)
            var cmp = comparison!.compare(champion: values, championColumns: predictor.columns,
                                         challenger: shadow, challengerColumns: c.predictor.columns)
            cmp.championSeconds = championSeconds
            cmp.challengerSeconds = DispatchTime.now().seconds(since: started)
            comparisons.append(cmp)
            extras.append(ExtraRows(writer: shadowWriters[i], layout: item.layout,
                                    chunk: ScoredChunk(batch: item.batch, values: RunExecutor.project(shadow, width: c.predictor.columns.count, c.projection),
                                                       firstRowNumber: firstRow)))
        }
        // A split: the challenger's rows leave the champion's chunk and are written with the challenger's name.
        var mainBatch = item.batch
        if let s = splitContender, let splitWriter, let mask = item.splitMask, let splitMatrix = item.splitMatrix {
            var scoredSplit: [Double] = []
            s.predictor.score(splitMatrix, into: &scoredSplit)
            extras.append(ExtraRows(writer: splitWriter, layout: item.layout,
                                    chunk: ScoredChunk(batch: item.batch.keeping(mask),
                                                       values: RunExecutor.project(scoredSplit, width: s.predictor.columns.count, s.projection),
                                                       firstRowNumber: firstRow)))
            let championRows = mask.map { !$0 }
            mainBatch = item.batch.keeping(championRows)
            outputValues = RunExecutor.rows(outputValues, width: championProjection.count, keep: championRows)
        }
        var checkpoint = item.checkpoint
        checkpoint.chunk = chunkIndex
        checkpoint.rowsRejected = item.screened.rejectedRows
        checkpoint.stats = try quality?.statistics(item.matrix, predictions: values, stride: width, shadows: comparisons)
        var rejects = item.screened.rejects
        for i in rejects.indices { rejects[i].chunk = chunkIndex }
        return ChunkCommitter.Pending(
            chunk: ScoredChunk(batch: mainBatch, values: outputValues, firstRowNumber: firstRow), layout: item.layout,
            keyTypes: item.keyTypes, extras: extras, checkpoint: checkpoint, rejects: rejects, rowsRead: item.rowsRead,
            fraction: item.fraction, started: item.started,
            batch: item.batch, matrix: item.matrix)
    }
}
