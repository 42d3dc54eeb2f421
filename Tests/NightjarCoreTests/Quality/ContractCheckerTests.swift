import Foundation
import Testing
@testable import NightjarCore

@Suite struct ContractCheckerTests {
    let contract = InputContract(columns: [
        .init(name: "x", type: .numeric, nullable: false, min: 0, max: 10, tolerance: 0.5),  // allowed −5 … 15
        .init(name: "y", type: .numeric, nullable: true, min: 0, max: 1),                      // no tolerance: 0 … 1
        .init(name: "color", type: .categorical, nullable: false, categories: ["red", "green"], unseen: .reject),
        .init(name: "k", type: .categorical, nullable: true, categories: ["1", "2"], unseen: .reject),
        .init(name: "note", type: .categorical, nullable: true, categories: ["a"]),           // unseen: read as missing
    ])
    // Header order differs from the contract's; an extra column is ignored.
    let header = ["id", "color", "x", "k", "y", "note"]

    @Test func everyReasonWithRowColumnAndValue() throws {
        let checker = try ContractChecker(contract: contract, header: header)
        let batch = textBatch([
            ["r0", "red", "3", "1", "0.5", "anything"],   // fine: unseen note is only missing
            ["r1", "blue", "", "2", "", ""],              // x null, color unseen
            ["r2", "green", "abc", "", "0", "a"],         // x not a number
            ["r3", "red", "15.5", "1", "1.0000001", ""],  // x and y out of range
            ["r4", "red", "inf", "2.0", "1", ""],         // x infinite; k "2.0" is category "2"
            ["r5", "", "-5", "3", "0", ""],               // x on the bound; color null; k unseen
            ["r6", "green", "NA", "1", "", ""],           // x missing token
            ["r7", "green", "15", "01", "", ""],          // x on the upper bound, k "01" is 1
        ])
        let check = checker.check(batch)
        #expect(check.violations == [
            ContractViolation(row: 1, column: "x", value: "", reason: .nullValue),
            ContractViolation(row: 1, column: "color", value: "blue", reason: .unseenCategory),
            ContractViolation(row: 2, column: "x", value: "abc", reason: .notANumber),
            ContractViolation(row: 3, column: "x", value: "15.5", reason: .outOfRange),
            ContractViolation(row: 3, column: "y", value: "1.0000001", reason: .outOfRange),
            ContractViolation(row: 4, column: "x", value: "inf", reason: .outOfRange),
            ContractViolation(row: 5, column: "color", value: "", reason: .nullValue),
            ContractViolation(row: 5, column: "k", value: "3", reason: .unseenCategory),
            ContractViolation(row: 6, column: "x", value: "NA", reason: .nullValue),
        ])
        #expect(Set(check.violations.map(\.reason)) == Set(RejectReason.allCases))
        #expect(check.keep == [true, false, false, false, false, false, false, true])
        #expect(check.rejectedRows == 6 && check.keptRows == 2)
        #expect(check.allNullColumns.isEmpty)
        #expect("\(check.violations[1])" == "row 1, column 'color': 'blue': category not seen in training (unseen_category)")
    }

    @Test func allNullColumnsOfANonEmptyBatch() throws {
        let checker = try ContractChecker(contract: contract, header: header)
        let check = checker.check(textBatch([["a", "red", "1", "", "", ""], ["b", "red", "2", "", "NaN", ""]]))
        #expect(check.allNullColumns == ["y", "k", "note"])
        #expect(check.rejectedRows == 0 && check.violations.isEmpty)
        // Non-nullable columns that are all empty are reported both ways.
        let empty = checker.check(textBatch([["a", "", "", "1", "1", "a"]]))
        #expect(empty.allNullColumns == ["x", "color"])
        #expect(empty.violations.map(\.reason) == [.nullValue, .nullValue])
        #expect(checker.check(TextBatch(columnCount: header.count)).allNullColumns.isEmpty)
    }

    @Test func infinityIsOutOfRangeEvenWithoutBounds() throws {
        let open = InputContract(columns: [.init(name: "v", type: .numeric, nullable: true)])
        let check = try ContractChecker(contract: open, header: ["v"]).check(textBatch([["1e300"], ["-inf"], ["Infinity"], [""]]))
        #expect(check.violations == [
            ContractViolation(row: 1, column: "v", value: "-inf", reason: .outOfRange),
            ContractViolation(row: 2, column: "v", value: "Infinity", reason: .outOfRange),
        ])
        #expect(check.keep == [true, false, false, true])
    }

    @Test func missingColumnsAndBadRulesAreOneLineErrors() {
        #expect { try ContractChecker(contract: contract, header: ["id", "x", "y", "color"]) } throws: { error in
            let text = "\(error)"
            return (error as? ContractError) == .missingColumns(["k", "note"], header: ["id", "x", "y", "color"])
                && text.contains("'k', 'note'") && text.contains("(the input has: id, x, y, color)") && !text.contains("\n")
        }
        let inverted = InputContract(columns: [.init(name: "x", type: .numeric, nullable: true, min: 2, max: 1)])
        #expect { try ContractChecker(contract: inverted, header: ["x"]) } throws: { error in
            "\(error)".contains("'x'") && "\(error)".contains("min 2.0 is above max 1.0")
        }
        let noCategories = InputContract(columns: [.init(name: "c", type: .categorical, nullable: true, unseen: .reject)])
        #expect { try ContractChecker(contract: noCategories, header: ["c"]) } throws: { error in
            "\(error)".contains("no categories")
        }
    }

    @Test func unseenRegionOfTheChurnInputIsRejectedWhenAsked() throws {
        let (trainHeader, train) = try csvBatch("churn/train_sample.csv")
        var contract = try InputContract.derive(features: churnFeatures, header: trainHeader, sample: train)
        let (header, input) = try csvBatch("churn/score_input.csv")
        let region = header.firstIndex(of: "region")!
        let central = (0..<input.rowCount).filter { input.string(row: $0, column: region) == "central" }
        #expect(!central.isEmpty)

        // As derived, unseen values are missing: the scoring input passes.
        #expect(try ContractChecker(contract: contract, header: header).check(input).rejectedRows == 0)
        contract.columns[7].unseen = .reject
        let check = try ContractChecker(contract: contract, header: header).check(input)
        #expect(check.violations.map(\.row) == central)
        #expect(check.violations.allSatisfy { $0.column == "region" && $0.value == "central" && $0.reason == .unseenCategory })
        #expect(check.rejectedRows == central.count)
    }

    @Test func keepingCopiesTheKeptRowsExactly() {
        let rows = [["a", "1", ""], ["bb", "", "x"], ["", "", ""], ["ccc", "22", "yy"], ["d", "3", "z"]]
        let batch = textBatch(rows)
        let keep = [false, true, true, false, true]
        let kept = batch.keeping(keep)
        #expect(kept.rowCount == 3 && kept.columnCount == 3)
        #expect(kept.fieldEnds.count == 9)
        let expected = rows.enumerated().filter { keep[$0.offset] }.map(\.element)
        for (r, row) in expected.enumerated() {
            for (c, field) in row.enumerated() { #expect(kept.string(row: r, column: c) == field) }
        }
        #expect(kept.bytes == Array("bb" + "x" + "" + "d3z").map { $0.asciiValue! })

        let all = batch.keeping([Bool](repeating: true, count: 5))
        #expect(all.rowCount == 5 && all.bytes == batch.bytes && all.fieldEnds == batch.fieldEnds)
        let none = batch.keeping([Bool](repeating: false, count: 5))
        #expect(none.rowCount == 0 && none.bytes.isEmpty && none.fieldEnds.isEmpty)
        let first = batch.keeping([true, false, false, false, false])
        #expect(first.rowCount == 1 && first.string(row: 0, column: 0) == "a" && first.string(row: 0, column: 2) == "")
    }
}
