import Foundation
import Testing
@testable import NightjarCore

@Suite struct InputContractTests {
    @Test func derivesFromTheChurnTrainingSample() throws {
        let model = try ModelLoader.load(path: fixture("churn/churn_lgbm.txt"))
        let (header, sample) = try csvBatch("churn/train_sample.csv")
        let contract = try InputContract.derive(features: model.features, header: header, sample: sample)

        #expect(contract.columns.map(\.name) == model.features.map(\.name))
        let rule = Dictionary(uniqueKeysWithValues: contract.columns.map { ($0.name, $0) })
        for name in ["age", "income", "tenure_months", "balance", "num_products", "last_login_days", "has_card"] {
            #expect(rule[name]?.type == .numeric)
            #expect(rule[name]?.categories == nil)
            #expect(rule[name]?.tolerance == 0.5)
        }
        #expect(rule["region"]?.type == .categorical && rule["plan"]?.type == .categorical)
        // Only these three columns have empty cells in the sample.
        #expect(Set(contract.columns.filter(\.nullable).map(\.name)) == ["income", "last_login_days", "plan"])
        // The model's names, in training order; unseen values read as missing, as in training.
        #expect(rule["region"]?.categories == ["east", "north", "south", "west"])
        #expect(rule["plan"]?.categories == ["basic", "plus", "premium"])
        #expect(rule["region"]?.unseen == .missing && rule["plan"]?.unseen == .missing)
        #expect(rule["region"]?.min == nil)
        // Ranges of the sample (checked against the CSV by hand).
        #expect(rule["age"]?.min == 18 && rule["age"]?.max == 89)
        #expect(rule["income"]?.min == 2352.83 && rule["income"]?.max == 332280.04)
        #expect(rule["balance"]?.min == -4941.35 && rule["balance"]?.max == 9388.68)
        #expect(rule["has_card"]?.min == 0 && rule["has_card"]?.max == 1)
        // 18 − 0.5·71 … 89 + 0.5·71
        #expect(rule["age"]?.allowedRange == -17.5...124.5)
    }

    @Test func categoriesWithoutModelNamesComeFromTheSample() throws {
        let features = [
            ModelFeature(name: "code", kind: .categorical(categories: nil)),
            ModelFeature(name: "word", kind: .text(vocabulary: ["", "a", "z"])),
            ModelFeature(name: "x", kind: .numeric),
        ]
        let sample = textBatch([["10", "b", "1"], ["2", "a", "inf"], ["3", "", "2"], ["2", "b", ""]])
        let contract = try InputContract.derive(features: features, header: ["code", "word", "x"], sample: sample, defaultTolerance: 0.1)
        // Numeric order for codes; text: vocabulary without "" plus the sample's values, sorted.
        #expect(contract.columns[0].categories == ["2", "3", "10"])
        #expect(contract.columns[0].nullable == false)
        #expect(contract.columns[1].categories == ["a", "b", "z"])
        #expect(contract.columns[1].nullable == true)
        // inf is not part of the training range.
        #expect(contract.columns[2].min == 1 && contract.columns[2].max == 2 && contract.columns[2].nullable)
        #expect(contract.columns[2].tolerance == 0.1)
    }

    @Test func missingColumnAndBadNumberAreNamed() {
        let features = [ModelFeature(name: "x", kind: .numeric), ModelFeature(name: "plan", kind: .categorical(categories: ["a"]))]
        #expect { try InputContract.derive(features: features, header: ["id", "x"], sample: textBatch([["1", "2"]])) } throws: { error in
            let text = "\(error)"
            return (error as? ContractError) == .missingColumns(["plan"], header: ["id", "x"])
                && text.contains("'plan'") && text.contains("id, x")
        }
        #expect { try InputContract.derive(features: [features[0]], header: ["x"], sample: textBatch([["1"], ["1O"]])) } throws: { error in
            (error as? ContractError) == .notANumber(column: "x", row: 1, value: "1O") && "\(error)".contains("data row 2")
        }
    }

    @Test func jsonRoundTripWithSnakeCaseKeys() throws {
        let contract = InputContract(columns: [
            .init(name: "age", type: .numeric, nullable: false, min: 18, max: 89, tolerance: 0.5),
            .init(name: "region", type: .categorical, nullable: true, categories: ["east", "west"], unseen: .reject),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(contract)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#"{"max":89,"min":18,"name":"age","nullable":false,"tolerance":0.5,"type":"numeric"}"#))
        #expect(text.contains(#""unseen":"reject""#))
        #expect(try JSONDecoder().decode(InputContract.self, from: data) == contract)

        // A hand-written file: optional keys left out.
        let hand = #"{"columns": [{"name": "plan", "type": "categorical", "nullable": true, "categories": ["basic"]}]}"#
        let decoded = try JSONDecoder().decode(InputContract.self, from: Data(hand.utf8))
        #expect(decoded.columns[0] == .init(name: "plan", type: .categorical, nullable: true, categories: ["basic"]))
    }
}
