import Foundation
import Testing
@testable import NightjarCore

@Suite struct XGBoostJSONLoaderTests {
    @Test func readsBinaryModelWithCategories() throws {
        let model = try ModelLoader.load(path: fixture("churn/churn_xgb.json"))
        #expect(model.format == .xgboostJSON)
        #expect(model.objective == "binary:logistic")
        #expect(model.task == .binary)
        #expect(model.forest!.treeCount == 150)
        #expect(model.features.map(\.name) == ["age", "income", "tenure_months", "balance", "num_products",
                                               "last_login_days", "has_card", "region", "plan"])
        #expect(model.features[7].kind == .categorical(categories: ["east", "north", "south", "west"]))
        #expect(model.features[8].kind == .categorical(categories: ["basic", "plus", "premium"]))
        // base_score "[1.8116666E-1]" is a probability: the margin is its logit.
        let p = Float(0.18116666)
        #expect(model.forest!.baseMargins == [Double(-Foundation.log(Float(1) / p - 1))])
    }

    @Test func keepsTrainingCategoryOrderNotSortedOrder() throws {
        let model = try ModelLoader.load(path: fixture("extra/xgb_multi.json"))
        #expect(model.features.first { $0.name == "region" }?.kind == .categorical(categories: ["west", "east", "south", "north"]))
        #expect(model.task == .multiclass(classes: 3))
        #expect(model.forest!.outputGroups == 3)
        #expect(model.forest!.baseMargins.count == 3)
    }

    @Test func bareAndBracketedBaseScoreAgree() throws {
        let bracketed = try ModelLoader.load(path: fixture("extra/xgb_reg_logistic.json"))
        let bare = try ModelLoader.load(path: fixture("extra/xgb_bare_base_score.json"))
        #expect(bracketed.forest!.baseMargins == bare.forest!.baseMargins)
        #expect(bracketed.forest!.baseMargins[0] != 0)
        #expect(try XGBoostJSONLoader.parseBaseScore(JSONNode(value: "5E-1", path: "$")) == [0.5])
        #expect(try XGBoostJSONLoader.parseBaseScore(JSONNode(value: "[1E0,2E0]", path: "$")) == [1, 2])
    }

    @Test func truncatedJSONIsAClearError() throws {
        let text = try String(contentsOfFile: fixture("churn/churn_xgb.json"), encoding: .utf8)
        let path = temporaryFile(String(text.prefix(5000)), name: "truncated.json")
        do {
            _ = try ModelLoader.load(path: path)
            Issue.record("a truncated model loaded")
        } catch {
            #expect(error.description.contains(path))
            #expect(error.description.contains("invalid JSON"))
        }
    }

    /// A categorical node without its category list is an error — not a crash while the node
    /// covers were being attached (found by review of the cover reading, 9907ae9).
    @Test func aCategoricalNodeWithoutItsCategoriesIsAnErrorNotACrash() throws {
        let text = try String(contentsOfFile: fixture("extra/xgb_multi.json"), encoding: .utf8)
        let path = temporaryFile(text.replacingOccurrences(of: "\"categories_nodes\"", with: "\"categories_nodes_renamed\""), name: "nocats.json")
        #expect(throws: ModelError.self) { try ModelLoader.load(path: path) }
        do { _ = try ModelLoader.load(path: path) } catch { #expect(error.description.contains("categories for categorical node")) }
    }

    @Test func jsonThatIsNotAModel() {
        let path = temporaryFile(#"{"hello": "world"}"#, name: "other.json")
        #expect { try ModelLoader.load(path: path) } throws: { error in
            "\(error)".contains("$.learner") && "\(error)".contains(path)
        }
    }

    @Test func unsupportedObjectiveIsRefused() throws {
        var text = try String(contentsOfFile: fixture("churn/churn_xgb.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: #""name":"binary:logistic""#, with: #""name":"reg:cox-made-up""#)
        let path = temporaryFile(text, name: "odd.json")
        #expect { try ModelLoader.load(path: path) } throws: { error in
            "\(error)".contains("unsupported") && "\(error)".contains("reg:cox-made-up")
        }
    }

    @Test func notAModelAtAll() {
        let path = temporaryFile("customer_id,age\nC1,3\n", name: "data.csv")
        #expect { try ModelLoader.load(path: path) } throws: { error in
            "\(error)".contains("not a model file") && "\(error)".contains(path)
        }
        let empty = temporaryFile("", name: "empty.json")
        #expect { try ModelLoader.load(path: empty) } throws: { error in "\(error)".contains("empty") }
        #expect { try ModelLoader.load(path: "/nonexistent/model.json") } throws: { error in "\(error)".contains("no such file") }
    }
}
