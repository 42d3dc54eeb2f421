import Foundation
import Testing
import NightjarIO

/// The throwaway server started by scripts/test.sh (NIGHTJAR_TEST_PG_DSN). When the suite is run
/// that way (NIGHTJAR_REQUIRE_PG=1) a missing server is a failure, not a skip.
enum PostgresTestServer {
    static let dsn = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"]
    static var available: Bool { dsn != nil }

    static func connect() throws -> PostgresConnection {
        try PostgresConnection(conninfo: dsn!, name: "test")
    }

    /// A unique lower-case identifier for one test's tables.
    static func name(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Loads score_input.csv into `table` with typed columns (NULL for empty fields).
    static func loadChurn(into table: String, connection: PostgresConnection) throws {
        try connection.execute("""
            CREATE TABLE \(table) (customer_id text PRIMARY KEY, age integer, income numeric, tenure_months smallint,
                balance double precision, num_products bigint, last_login_days real, has_card boolean, region text, plan varchar(16))
            """)
        let csv = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
        try connection.copyIn("COPY \(table) FROM STDIN (FORMAT csv, HEADER true)") { send in
            var bytes = Array(csv.utf8)
            try bytes.withUnsafeMutableBytes { try send(UnsafeRawBufferPointer($0)) }
        }
    }
}

@Suite struct PostgresServerPresence {
    @Test func serverIsThereWhenRequired() throws {
        if ProcessInfo.processInfo.environment["NIGHTJAR_REQUIRE_PG"] == "1" {
            try #require(PostgresTestServer.available, "scripts/test.sh starts a PostgreSQL cluster; NIGHTJAR_TEST_PG_DSN is missing")
            let c = try PostgresTestServer.connect()
            #expect(try c.execute("SELECT 1").string(0, 0) == "1")
        }
    }
}
