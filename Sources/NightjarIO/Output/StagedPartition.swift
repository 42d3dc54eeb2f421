/// The rows of one logical date written to a staging table first, then swapped into the output
/// table in one transaction (SQLite and PostgreSQL writers).
public struct StagedPartition: Sendable {
    /// The output column that holds the partition's value (`logical_date`).
    public var column: String
    public var value: String
    public var stagingTable: String

    public init(column: String, value: String, stagingTable: String) {
        self.column = column
        self.value = value
        self.stagingTable = stagingTable
    }
}
