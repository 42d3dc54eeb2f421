import NightjarCore

/// Streams the rows of a query in key order with one `COPY (query) TO STDOUT`, cut into chunks
/// on the key, as text.
///
/// Why COPY and not a cursor: a `FETCH FORWARD 10000` round trip took ~60 ms, a 1M-row source
/// ~100 of them; one COPY streams the whole ordered result at wire speed and the socket's buffer
/// lets the server run ahead of a slow consumer (it simply blocks when the buffer is full).
///
/// Why text and not binary COPY (measured on 1,000,000 rows × 10 columns of bench/pg_bench.sh's
/// churn table, ordered by the key, local socket, rows streamed through `PostgresCopyOut` and
/// dropped; `NIGHTJAR_PG_COPY_BENCH=1 swift test --filter PostgresCopyFormatMeasurement`): text
/// 0.66–0.87 s (1.15–1.5M rows/s, 53 bytes a row), binary 0.60 s (1.66M rows/s, 116 bytes a row);
/// psql `\copy … TO /dev/null` 0.72–0.79 s text, 0.78–0.92 s binary. Binary saves the server's
/// number formatting (≤ 0.3 s per million rows) but everything downstream (`TextBatch` → feature
/// encoder, keys copied to the output) wants text: binary would move that formatting into Nightjar
/// (float8 → shortest text, PostgreSQL's base-10000 `numeric` decoded by hand) for no gain end to
/// end. Text is decoded here with one copy per field (escapes are rare), at 340k rows/s even in a
/// debug build, well above what scoring takes.
///
/// COPY cannot take bind parameters, so the query is first prepared and described (with its
/// `$n` placeholders, in the same read-only transaction): the server infers the parameters' types
/// and returns the column names and types. The COPY statement then carries each value as a
/// literal quoted by libpq's `PQescapeLiteral` and cast to the inferred type, which is exactly
/// what the parameter would have been. Chunks are cut on the key (keyset: a resumed run adds
/// `WHERE key > last`), inside one read-only repeatable-read transaction, so a run sees one
/// snapshot of the source.
public final class PostgresQueryReader {
    public let connection: PostgresConnection
    public private(set) var header: [String] = []
    public let key: String
    private var decoder = PostgresCopyTextDecoder(booleanColumns: [], keyIndex: 0)
    private let copySQL: String
    private var stream: PostgresCopyOut?
    private var finished = false
    private var previousKey: [UInt8] = []
    private var hasPreviousKey = false

    /// PostgreSQL type OIDs Nightjar reads as features.
    public static let featureTypes: [UInt32: String] = [
        16: "boolean", 20: "bigint", 21: "smallint", 23: "integer", 700: "real", 701: "double precision",
        1700: "numeric", 25: "text", 1042: "character", 1043: "character varying", 19: "name",
    ]

    /// - Parameters:
    ///   - query: the job's query with its template variables already turned into `$1`, `$2`…
    ///   - parameters: values of those placeholders.
    ///   - after: the last key of the committed chunks, to resume after it.
    ///   - features: columns the model reads; their types are checked.
    public init(connection: PostgresConnection, query: String, parameters: [String], key: String, after lastKey: String?,
                features: [String]) throws {
        self.connection = connection
        self.key = key
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let quotedKey = "nightjar_q." + PostgresConnection.quoteIdentifier(key)
        var sql = "SELECT * FROM (\(query)) AS nightjar_q"
        var values = parameters
        if let lastKey {
            values.append(lastKey)
            sql += " WHERE \(quotedKey) > $\(values.count)"
        }
        sql += " ORDER BY \(quotedKey)"
        let described = try connection.describe(sql)
        header = described.columnNames
        let types = described.columnTypes
        guard let k = header.firstIndex(of: key) else {
            throw PostgresError(name: connection.name, message: "the query returns no column '\(key)' (the source key); it returns: \(header.joined(separator: ", "))")
        }
        for name in features {
            guard let c = header.firstIndex(of: name) else { continue }  // missing columns are reported by the feature encoder
            guard PostgresQueryReader.featureTypes[types[c]] != nil else {
                throw PostgresError(name: connection.name, message: "column '\(name)' has a type (oid \(types[c])) that cannot be a feature; cast it in the query to a number, boolean or text")
            }
        }
        decoder = PostgresCopyTextDecoder(booleanColumns: types.map { $0 == 16 }, keyIndex: k)
        guard described.parameterTypes.count == values.count else {
            throw PostgresError(name: connection.name, message: "the query takes \(described.parameterTypes.count) parameter(s) but \(values.count) value(s) are bound")
        }
        // Each value becomes a quoted literal cast to the type the server inferred for its placeholder.
        var literals: [String] = []
        var typeNames: [UInt32: String] = [:]
        for (value, oid) in zip(values, described.parameterTypes) {
            if typeNames[oid] == nil {
                typeNames[oid] = try connection.execute("SELECT format_type($1::oid, NULL)", [String(oid)]).string(0, 0) ?? "text"
            }
            literals.append("\(try connection.literal(value))::\(typeNames[oid]!)")
        }
        do {
            copySQL = "COPY (\(try PostgresPlaceholders.replace(in: sql, with: literals))) TO STDOUT"
        } catch {
            throw PostgresError(name: connection.name, message: "\(error)")
        }
    }

    /// Reads up to `maxRows` rows into `batch` (replacing it). Returns the chunk's last key, or nil at the end.
    public func readChunk(maxRows: Int, into batch: inout TextBatch) throws -> String? {
        // Reuse the batch's storage when it has the right shape (no allocation per chunk).
        if batch.columnCount == header.count { batch.removeAll() } else { batch = TextBatch(columnCount: header.count) }
        guard !finished else { return nil }
        if stream == nil { stream = try connection.copyOut(copySQL) }
        let stream = stream!
        let columns = header.count
        var keyRange = 0..<0
        while batch.rowCount < maxRows {
            let more = try stream.nextRow { line in
                do throws(PostgresCopyTextDecoder.Failure) {
                    keyRange = try decoder.decode(line, into: &batch)
                } catch .nullKey {
                    throw PostgresError(name: connection.name, message: "the source key '\(key)' is NULL in a row; the key must be unique and not null", kind: .input)
                } catch {
                    throw PostgresError(name: connection.name, message: "a COPY row does not have the \(columns) fields the query describes")
                }
            }
            guard more else { finished = true; break }
            // Keys arrive in order: a key equal to the previous one is a duplicate.
            let isDuplicate = batch.bytes.withUnsafeBufferPointer { all in
                hasPreviousKey && previousKey.elementsEqual(UnsafeBufferPointer(rebasing: all[keyRange]))
            }
            if isDuplicate {
                throw PostgresError(name: connection.name, message: "the source key '\(key)' is not unique (\(QuotedValue.quote(String(decoding: previousKey, as: UTF8.self))) twice); chunks are cut on it, so it must be", kind: .input)
            }
            previousKey.removeAll(keepingCapacity: true)
            previousKey.append(contentsOf: batch.bytes[keyRange])
            hasPreviousKey = true
        }
        return batch.rowCount > 0 ? String(decoding: previousKey, as: UTF8.self) : nil
    }

    /// Ends the COPY (cancelled if rows are left: nothing hangs, the connection leaves COPY state)
    /// and the read transaction.
    public func close() {
        stream?.cancel()
        stream = nil
        _ = try? connection.execute("ROLLBACK")
    }
}
