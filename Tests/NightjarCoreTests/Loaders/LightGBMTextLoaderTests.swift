import Foundation
import Testing
@testable import NightjarCore

@Suite struct LightGBMTextLoaderTests {
    @Test func readsBinaryModelWithPandasCategories() throws {
        let model = try ModelLoader.load(path: fixture("churn/churn_lgbm.txt"))
        #expect(model.format == .lightgbmText)
        #expect(model.task == .binary)
        #expect(model.link == .sigmoid(scale: 1))
        #expect(model.forest!.treeCount == 150)
        #expect(model.features[7].kind == .categorical(categories: ["east", "north", "south", "west"]))
        #expect(model.features[0].kind == .numeric)
    }

    @Test func objectivesAndAverageOutput() throws {
        let multi = try ModelLoader.load(path: fixture("extra/lgbm_multi.txt"))
        #expect(multi.task == .multiclass(classes: 3))
        #expect(multi.link == .softmax)
        #expect(multi.features.first { $0.name == "region" }?.kind == .categorical(categories: ["north", "south", "west", "east"]))
        let rf = try ModelLoader.load(path: fixture("extra/lgbm_rf.txt"))
        #expect(rf.forest!.averageOutput)
        let huber = try ModelLoader.load(path: fixture("extra/lgbm_huber.txt"))
        #expect(huber.task == .regression && huber.link == .identity)
        #expect(try LightGBMTextLoader.objectiveSemantics("poisson", numClass: 1, line: 1, path: "m").1 == .exp)
        #expect(try LightGBMTextLoader.objectiveSemantics("regression sqrt", numClass: 1, line: 1, path: "m").1 == .signedSquare)
        #expect(try LightGBMTextLoader.objectiveSemantics("binary sigmoid:0.5", numClass: 1, line: 1, path: "m").1 == .sigmoid(scale: 0.5))
    }

    /// A model saved with Windows line ends (CRLF) is the same model: it used to be refused as
    /// one long line.
    @Test func windowsLineEndsLoadTheSameModel() throws {
        let text = try String(contentsOfFile: fixture("churn/churn_lgbm.txt"), encoding: .utf8)
        let crlf = temporaryFile(text.replacingOccurrences(of: "\n", with: "\r\n"), name: "crlf.txt")
        let a = try ModelLoader.load(path: fixture("churn/churn_lgbm.txt")), b = try ModelLoader.load(path: crlf)
        #expect(a.features == b.features && a.objective == b.objective && a.forest!.treeCount == b.forest!.treeCount)
        // The same margins on a grid of rows (numbers, NaN, category codes).
        var rows: [Double] = []
        for r in 0..<64 {
            for f in 0..<a.features.count { rows.append(r % 7 == 0 ? .nan : Double((r * 37 + f * 11) % 97) * (f < 7 ? 1_000.5 : 0.05)) }
        }
        var ma = [Double](repeating: 0, count: 64), mb = ma
        rows.withUnsafeBufferPointer { p in
            a.forest!.computeMargins(features: p.baseAddress!, stride: a.features.count, rows: 64, margins: &ma)
            b.forest!.computeMargins(features: p.baseAddress!, stride: a.features.count, rows: 64, margins: &mb)
        }
        #expect(ma == mb)
    }

    @Test func truncatedModelIsAClearError() throws {
        let text = try String(contentsOfFile: fixture("churn/churn_lgbm.txt"), encoding: .utf8)
        let path = temporaryFile(String(text.prefix(20_000)), name: "truncated.txt")
        #expect { try ModelLoader.load(path: path) } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("truncated")
        }
    }

    @Test func linearTreesAreRefused() throws {
        var text = try String(contentsOfFile: fixture("churn/churn_lgbm.txt"), encoding: .utf8)
        text = text.replacingOccurrences(of: "is_linear=0", with: "is_linear=1")
        let path = temporaryFile(text, name: "linear.txt")
        #expect { try ModelLoader.load(path: path) } throws: { error in
            "\(error)".contains("unsupported") && "\(error)".contains("linear trees")
        }
    }

    @Test func modelWithoutCategoryNamesTakesCodes() throws {
        var text = try String(contentsOfFile: fixture("churn/churn_lgbm.txt"), encoding: .utf8)
        let range = text.range(of: "pandas_categorical:")!
        text = String(text[..<range.lowerBound]) + "pandas_categorical:null\n"
        let path = temporaryFile(text, name: "codes.txt")
        let model = try ModelLoader.load(path: path)
        #expect(model.features[7].kind == .categorical(categories: nil))
    }

    /// A tree block's lines as the loader reads them (from the bytes since the line split and the
    /// values stopped going through `String`): the last line naming a field counts, values are
    /// separated by runs of spaces only, 17-digit and exponent values read as `strtod` reads them.
    @Test func treeFieldsAndValuesReadFromBytes() throws {
        func load(_ from: String, _ to: String) throws -> ScoringModel {
            let model = LightGBMFuzzFindingTests.model
            #expect(model.contains(from), "the model has no \(from)")
            return try ModelLoader.load(data: Data(model.replacingOccurrences(of: from, with: to).utf8), path: "m.txt")
        }
        let repeated = try load("is_linear=0", "is_linear=0\nleaf_value=0.5 0.6 0.7")
        #expect(repeated.forest!.value.suffix(3) == [0.5, 0.6, 0.7])
        let spaced = try load("leaf_value=0.1 0.2 0.30000000000000004", "leaf_value=  0.1   0.2 0.30000000000000004  ")
        #expect(spaced.forest!.value.suffix(3) == [0.1, 0.2, 0.30000000000000004])
        let long = try load("threshold=0 0.5", "threshold=0 0.34398116171360021")
        #expect(long.forest!.threshold[1] == strtod("0.34398116171360021", nil))
        let exponent = try load("threshold=0 0.5", "threshold=0 1.0000000180025095e-35")
        #expect(exponent.forest!.threshold[1] == strtod("1.0000000180025095e-35", nil))
        // A tab is no separator: one value, refused and quoted.
        #expect { try load("leaf_value=0.1 0.2", "leaf_value=0.1\t0.2") } throws: { error in
            "\(error)".contains("'leaf_value' holds '0.1\\t0.2', not a number")
        }
    }

    /// A line with bytes beyond ASCII is split as the text was: a space followed by a combining
    /// mark is one character, not a separator, so the value quoted is the whole "0.1 \u{301}0.2".
    @Test func nonASCIILinesSplitAsText() throws {
        let model = LightGBMFuzzFindingTests.model.replacingOccurrences(of: "leaf_value=0.1 0.2", with: "leaf_value=0.1 \u{301}0.2")
        #expect { try ModelLoader.load(data: Data(model.utf8), path: "m.txt") } throws: { error in
            "\(error)".contains("'leaf_value' holds '0.1 \u{301}0.2', not a number")
        }
        let names = LightGBMFuzzFindingTests.model.replacingOccurrences(of: "feature_names=a b", with: "feature_names=größe b")
        #expect(try ModelLoader.load(data: Data(names.utf8), path: "m.txt").features.map(\.name) == ["größe", "b"])
    }
}
