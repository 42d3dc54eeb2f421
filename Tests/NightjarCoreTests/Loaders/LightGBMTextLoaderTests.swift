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
}
