import Foundation

/// The preprocessing operators: each becomes column expressions, tables or constants.
extension ONNXLowering {
    mutating func lowerTransform(_ r: ONNXNodeReader, domain: String) throws(ModelError) {
        let node = r.node
        switch (domain, node.opType) {
        case ("", "Identity"):
            try r.checkAttributes([])
            setOutput(r, try input(0, of: r))
        case ("", "Constant"):
            try r.checkAttributes(["value", "value_float", "value_floats", "value_int", "value_ints"])
            if r.has("value"), let a = node.attribute.first(where: { $0.name == "value" }) {
                do { setOutput(r, .constant(try ONNXTensorDecoder.decode(a.t))) } catch { throw r.malformed(error.detail) }
            } else if r.has("value_float") {
                setOutput(r, .constant(ONNXConstant(dims: [], type: .float, numbers: [Double(r.float("value_float", default: 0))], strings: [])))
            } else if r.has("value_floats") {
                let v = r.floats("value_floats").map(Double.init)
                setOutput(r, .constant(ONNXConstant(dims: [v.count], type: .float, numbers: v, strings: [])))
            } else if r.has("value_int") {
                setOutput(r, .constant(ONNXConstant(dims: [], type: .int64, numbers: [Double(r.int("value_int", default: 0))], strings: [])))
            } else if r.has("value_ints") {
                let v = r.ints("value_ints").map(Double.init)
                setOutput(r, .constant(ONNXConstant(dims: [v.count], type: .int64, numbers: v, strings: [])))
            } else {
                throw r.unsupported("has no value; Nightjar reads the 'value', 'value_float(s)' and 'value_int(s)' forms")
            }
        case ("", "Flatten"):
            try r.checkAttributes(["axis"])
            guard r.int("axis", default: 1) == 1 else { throw r.unsupported("only axis=1 is supported") }
            setOutput(r, .rows(try rows(0, of: r)))
        case ("", "Concat"):
            try r.checkAttributes(["axis"])
            let axis = r.int("axis", default: 1)
            guard axis == 1 || axis == -1 else { throw r.unsupported("concatenation along axis \(axis); Nightjar concatenates columns (axis 1)") }
            var columns: [ONNXColumn] = []
            for i in 0..<node.input.count { columns += try rows(i, of: r) }
            setOutput(r, .rows(columns))
            step(r, "\(columns.count) columns from \(node.input.count) inputs")
        case ("ai.onnx.ml", "FeatureVectorizer"):
            try r.checkAttributes(["inputdimensions"])
            let dims = r.ints("inputdimensions")
            var columns: [ONNXColumn] = []
            for i in 0..<node.input.count {
                let c = try rows(i, of: r)
                let want = i < dims.count ? Int(dims[i]) : c.count
                guard want >= 0 else { throw r.malformed("input \(i) has a negative dimension \(want)") }
                guard want <= c.count else { throw r.unsupported("input \(i) has \(c.count) columns but the vectorizer takes \(want)") }
                columns += c.prefix(want)
            }
            setOutput(r, .rows(columns))
            step(r, "\(columns.count) columns from \(node.input.count) inputs")
        case ("", "Reshape"):
            try r.checkAttributes(["allowzero"])
            let columns = try rows(0, of: r)
            guard let shape = try optionalConstant(1, of: r) else { throw r.unsupported("the shape must be a constant") }
            let s = try integers(shape, of: r, "the shape")
            let ok = (s.count == 2 && (s[1] == columns.count || (s[1] == -1 && (s[0] == -1 || s[0] == 0))))
                || (s.count == 1 && s[0] == -1 && columns.count == 1)
            guard ok else { throw r.unsupported("reshape to \(s) is not a row-preserving reshape of \(columns.count) columns") }
            setOutput(r, .rows(columns))
        case ("", "Cast"):
            try r.checkAttributes(["to", "saturate"])
            let to = r.int("to", default: 0)
            guard let target = ONNXElementType(onnx: Int32(truncatingIfNeeded: to)) else { throw r.unsupported("cast to type \(to)") }
            switch try input(0, of: r) {
            case .rows(let columns):
                setOutput(r, .rows(try columns.map { (c: ONNXColumn) throws(ModelError) -> ONNXColumn in try cast(c, to: target, r) }))
            case .constant(var c):
                guard (c.type == .string) == (target == .string) else { throw r.unsupported("casts a constant between strings and numbers") }
                if target != .string { c.numbers = c.numbers.map { castValue($0, from: c.type, to: target) } }
                c.type = target
                setOutput(r, .constant(c))
            default: break
            }
        case ("ai.onnx.ml", "ArrayFeatureExtractor"), ("", "Gather"):
            try r.checkAttributes(node.opType == "Gather" ? ["axis"] : [])
            let axis = node.opType == "Gather" ? r.int("axis", default: 0) : 1
            guard let indices = try optionalConstant(1, of: r) else { throw r.unsupported("indices must be constant") }
            let idx = try integers(indices, of: r, "the indices")
            switch try input(0, of: r) {
            case .rows(let columns):
                guard axis == 1 || axis == -1 else { throw r.unsupported("gathers rows (axis \(axis)); Nightjar selects columns only") }
                var out: [ONNXColumn] = []
                for i in idx {
                    let j = i < 0 ? i + columns.count : i
                    guard j >= 0 && j < columns.count else { throw r.malformed("index \(i) is outside the \(columns.count) columns") }
                    out.append(columns[j])
                }
                setOutput(r, .rows(out))
            case .constant(let c):
                guard c.dims.count <= 1 else { throw r.unsupported("selects from a constant of rank \(c.dims.count)") }
                var out = ONNXConstant(dims: [idx.count], type: c.type, numbers: [], strings: [])
                for i in idx {
                    guard i >= 0 && i < c.count else { throw r.malformed("index \(i) is outside the constant") }
                    if c.type == .string { out.strings.append(c.strings[i]) } else { out.numbers.append(c.numbers[i]) }
                }
                setOutput(r, .constant(out))
            default: break
            }
        case ("ai.onnx.ml", "Imputer"):
            try lowerImputer(r)
        case ("ai.onnx.ml", "Scaler"):
            try r.checkAttributes(["offset", "scale"])
            let columns = try numericRows(0, of: r)
            let offset = r.floats("offset"), scale = r.floats("scale")
            let out = try columns.enumerated().map { (i, s) throws(ModelError) -> ONNXColumn in
                let o = try pick(offset, i, columns.count, r, "offset", default: 0)
                let k = try pick(scale, i, columns.count, r, "scale", default: 1)
                let scaled = s.mapped(.scale(offset: Double(o), scale: Double(k)), to: s.type.isFloat ? .float : .double)
                return .numeric(s.type.isFloat ? scaled : scaled.mapped(.toFloat, to: .float))
            }
            setOutput(r, .rows(out))
            step(r, "(x − offset) × scale on \(columns.count) columns")
        case ("ai.onnx.ml", "Normalizer"):
            try r.checkAttributes(["norm"])
            let columns = try numericRows(0, of: r)
            let norm = r.string("norm", default: "MAX")
            guard let n = ONNXOutputTransform.Normalization(rawValue: norm) else { throw r.unsupported("norm '\(norm)'") }
            let multi = MultiColumnNode(.normalize(n), sources: columns, outputs: columns.count)
            setOutput(r, .rows((0..<columns.count).map { .numeric(NumericSymbol(.multi(multi, $0), type: .float)) }))
            step(r, "\(norm) normalisation of \(columns.count) columns")
        case ("ai.onnx.ml", "Binarizer"):
            try r.checkAttributes(["threshold"])
            let t = Double(r.float("threshold", default: 0))
            setOutput(r, .rows(try numericRows(0, of: r).map { .numeric($0.mapped(.binarize(threshold: t))) }))
            step(r, "x > \(t) → 1, else 0")
        case ("ai.onnx.ml", "OneHotEncoder"):
            try lowerOneHot(r)
        case ("ai.onnx.ml", "LabelEncoder"):
            try lowerLabelEncoder(r)
        case ("", "Add"), ("", "Sub"), ("", "Mul"), ("", "Div"):
            try lowerArithmetic(r)
        case ("", "MatMul"), ("", "Gemm"):
            try lowerMatMul(r)
        case ("", "Sigmoid"), ("", "Abs"), ("", "Neg"):
            try r.checkAttributes([])
            let op: FeaturePlan.Operation = node.opType == "Sigmoid" ? .sigmoid : node.opType == "Abs" ? .abs : .negate
            setOutput(r, .rows(try numericRows(0, of: r).map { .numeric($0.mapped(op)) }))
            step(r, node.opType.lowercased())
        case ("", "Clip"):
            try r.checkAttributes(["min", "max"])
            var lo = Double(r.float("min", default: -Float.greatestFiniteMagnitude))
            var hi = Double(r.float("max", default: Float.greatestFiniteMagnitude))
            if let c = try optionalConstant(1, of: r), let v = c.numbers.first { lo = v }
            if let c = try optionalConstant(2, of: r), let v = c.numbers.first { hi = v }
            setOutput(r, .rows(try numericRows(0, of: r).map { .numeric($0.mapped(.clip(min: lo, max: hi))) }))
            step(r, "clip to [\(lo), \(hi)]")
        case ("", "Equal"):
            try lowerEqual(r)
        case ("", "Where"):
            try lowerWhere(r)
        default:
            throw r.unsupported("operator is not supported; Nightjar refuses the model rather than score it differently")
        }
    }

    // MARK: Helpers

    func pick(_ list: [Float], _ i: Int, _ count: Int, _ r: ONNXNodeReader, _ name: String, default value: Float) throws(ModelError) -> Float {
        if list.isEmpty { return value }
        if list.count == 1 { return list[0] }
        guard list.count == count else { throw r.malformed("'\(name)' has \(list.count) values for \(count) columns") }
        return list[i]
    }

    func castValue(_ x: Double, from: ONNXElementType, to: ONNXElementType) -> Double {
        switch to {
        case .float: return Double(Float(x))
        case .double: return x
        case .int64: return from == .int64 || from == .bool ? x : FeaturePlan.Operation.toInt64.apply(x, float: false)
        case .bool: return x != 0 ? 1 : 0
        case .string: return x
        }
    }

    func cast(_ c: ONNXColumn, to target: ONNXElementType, _ r: ONNXNodeReader) throws(ModelError) -> ONNXColumn {
        switch c {
        case .string(let s):
            guard target == .string else { throw r.unsupported("casts strings to numbers") }
            return .string(s)
        case .numeric(let s):
            switch target {
            case .string: throw r.unsupported("casts numbers to strings")
            case .float: return .numeric(s.type == .float || s.type == .bool ? s.retyped(.float) : s.mapped(.toFloat, to: .float))
            case .double: return .numeric(s.retyped(.double))
            case .int64: return .numeric(s.type == .int64 || s.type == .bool ? s.retyped(.int64) : s.mapped(.toInt64, to: .int64))
            case .bool: return .numeric(s.mapped(.toBool, to: .bool))
            }
        }
    }

    /// A constant broadcast over `count` columns.
    func broadcast(_ c: ONNXConstant, _ count: Int, _ r: ONNXNodeReader) throws(ModelError) -> [Double] {
        if c.numbers.count == 1 { return Array(repeating: c.numbers[0], count: count) }
        guard c.numbers.count == count else { throw r.unsupported("a constant of \(c.numbers.count) values does not broadcast over \(count) columns") }
        return c.numbers
    }

    // MARK: Operators

    mutating func lowerImputer(_ r: ONNXNodeReader) throws(ModelError) {
        try r.checkAttributes(["imputed_value_floats", "replaced_value_float", "imputed_value_int64s", "replaced_value_int64"])
        let columns = try numericRows(0, of: r)
        let floats = r.floats("imputed_value_floats"), ints = r.ints("imputed_value_int64s")
        var out: [ONNXColumn] = []
        for (i, s) in columns.enumerated() {
            if !floats.isEmpty {
                // ONNX Runtime replaces exactly the values equal to `replaced` (NaN: the NaNs; −0.0 and
                // 0.0: both zeros); with a number there, a missing value (NaN) passes through.
                let v = try pick(floats, i, columns.count, r, "imputed_value_floats", default: 0)
                let replaced = r.float("replaced_value_float", default: 0)
                let imputed = s.mapped(.impute(replaced: Double(replaced), value: Double(v)))
                if !replaced.isNaN, case .map = imputed.kind {
                    nanPassingImputers[ObjectIdentifier(imputed)] = (imputed, r.label, replaced)
                }
                out.append(.numeric(imputed))
            } else if !ints.isEmpty {
                let v = ints.count == 1 ? ints[0] : (i < ints.count ? ints[i] : 0)
                let replaced = Double(r.int("replaced_value_int64", default: 0))
                out.append(.numeric(s.mapped(.impute(replaced: replaced, value: Double(v)))))
            } else {
                throw r.malformed("no imputed values")
            }
        }
        setOutput(r, .rows(out))
        let replaced = floats.isEmpty ? String(r.int("replaced_value_int64", default: 0)) : String(describing: r.float("replaced_value_float", default: 0))
        let shown = (floats.isEmpty ? ints.map { String($0) } : floats.map { String(describing: $0) }).prefix(4).joined(separator: ", ")
        step(r, "\(replaced) → [\(shown)\((floats.count + ints.count) > 4 ? ", …" : "")] on \(columns.count) columns")
    }

    mutating func lowerOneHot(_ r: ONNXNodeReader) throws(ModelError) {
        try r.checkAttributes(["cats_strings", "cats_int64s", "zeros"])
        guard r.int("zeros", default: 1) == 1 else {
            throw r.unsupported("zeros=0 makes ONNX Runtime fail on an unseen category; export with handle_unknown='ignore' (zeros=1)")
        }
        let strings = r.strings("cats_strings"), ints = r.ints("cats_int64s")
        var out: [ONNXColumn] = []
        for column in try rows(0, of: r) {
            switch column {
            case .string(let s):
                guard !strings.isEmpty else { throw r.unsupported("string input with integer categories") }
                for cat in strings {
                    let values = s.values.map { $0 == .known(cat) ? 1.0 : 0.0 }
                    out.append(.numeric(table(s.domain, values)))
                }
            case .numeric(let s):
                guard !ints.isEmpty else { throw r.unsupported("numeric input with string categories") }
                let asInt = s.type == .int64 || s.type == .bool ? s : s.mapped(.toInt64, to: .int64)
                if case let .table(domain, values) = asInt.kind {
                    for cat in ints { out.append(.numeric(NumericSymbol(.table(domain, values.map { $0 == Double(cat) ? 1 : 0 }), type: .float))) }
                } else if case .constant(let v) = asInt.kind {
                    for cat in ints { out.append(.numeric(NumericSymbol(.constant(v == Double(cat) ? 1 : 0), type: .float))) }
                } else {
                    let domain = CategoryDomain(.integer(asInt, keys: ints), size: ints.count + 1)
                    for (k, _) in ints.enumerated() {
                        var values = [Double](repeating: 0, count: ints.count + 1)
                        values[k] = 1
                        out.append(.numeric(NumericSymbol(.table(domain, values), type: .float)))
                    }
                }
            }
        }
        setOutput(r, .rows(out))
        let cats = strings.isEmpty ? ints.map { String($0) } : strings
        step(r, "one-hot over [\(cats.joined(separator: ", "))], unseen → all zeros")
    }

    /// A numeric column that is a function of `domain` (a constant when the domain is nil).
    func table(_ domain: CategoryDomain?, _ values: [Double], type: ONNXElementType = .float) -> NumericSymbol {
        guard let domain else { return NumericSymbol(.constant(values[0]), type: type) }
        return NumericSymbol(.table(domain, values), type: type)
    }

    mutating func lowerLabelEncoder(_ r: ONNXNodeReader) throws(ModelError) {
        try r.checkAttributes(["classes_strings", "default_int64", "default_string", "default_float",
                               "keys_strings", "keys_int64s", "keys_floats", "values_strings", "values_int64s", "values_floats"])
        enum Key: Hashable { case s(String), n(Double) }
        enum Out { case s(String), n(Double) }
        var map: [Key: Out] = [:]
        var fallback: Out
        var outputIsString: Bool
        let classes = r.strings("classes_strings")
        let inputValue = try input(0, of: r)
        var inputIsString: Bool
        switch inputValue {
        case .rows(let c): if case .string = c.first { inputIsString = true } else { inputIsString = false }
        case .constant(let c): inputIsString = c.type == .string
        default: inputIsString = false
        }
        if !classes.isEmpty {
            // ai.onnx.ml v1: strings ↔ their index.
            if inputIsString {
                for (i, c) in classes.enumerated() where map[.s(c)] == nil { map[.s(c)] = .n(Double(i)) }
                fallback = .n(Double(r.int("default_int64", default: -1))); outputIsString = false
            } else {
                for (i, c) in classes.enumerated() { map[.n(Double(i))] = .s(c) }
                fallback = .s(r.string("default_string", default: "_Unused")); outputIsString = true
            }
        } else {
            let ks = r.strings("keys_strings"), ki = r.ints("keys_int64s"), kf = r.floats("keys_floats")
            let vs = r.strings("values_strings"), vi = r.ints("values_int64s"), vf = r.floats("values_floats")
            let keys: [Key] = !ks.isEmpty ? ks.map { .s($0) } : !ki.isEmpty ? ki.map { .n(Double($0)) } : kf.map { .n(Double($0)) }
            let vals: [Out] = !vs.isEmpty ? vs.map { .s($0) } : !vi.isEmpty ? vi.map { .n(Double($0)) } : vf.map { .n(Double($0)) }
            guard keys.count == vals.count, !keys.isEmpty else { throw r.malformed("keys and values differ in length") }
            for (k, v) in zip(keys, vals) where map[k] == nil { map[k] = v }
            outputIsString = !vs.isEmpty
            if outputIsString { fallback = .s(r.string("default_string", default: "_Unused")) }
            else if !vi.isEmpty { fallback = .n(Double(r.int("default_int64", default: -1))) }
            else { fallback = .n(Double(r.float("default_float", default: -0.0))) }
            inputIsString = !ks.isEmpty
        }
        func lookup(_ k: Key?) -> Out { k.flatMap { map[$0] } ?? fallback }
        func stringOut(_ o: Out) -> StringValue { if case .s(let s) = o { return .known(s) }; return .other }
        func numberOut(_ o: Out) -> Double { if case .n(let v) = o { return v }; return .nan }
        let outType: ONNXElementType = outputIsString ? .string : (!r.floats("values_floats").isEmpty ? .float : .int64)

        switch inputValue {
        case .constant(let c):
            var out = ONNXConstant(dims: c.dims, type: outType, numbers: [], strings: [])
            let keys: [Key] = c.type == .string ? c.strings.map { .s($0) } : c.numbers.map { .n($0) }
            for k in keys {
                let o = lookup(k)
                if case .s(let s) = o { out.strings.append(s) } else { out.numbers.append(numberOut(o)) }
            }
            setOutput(r, .constant(out))
        case .rows(let columns):
            var out: [ONNXColumn] = []
            for column in columns {
                switch column {
                case .string(let s):
                    let results = s.values.map { v -> Out in
                        if case .known(let k) = v { return lookup(.s(k)) }
                        return fallback
                    }
                    if outputIsString {
                        out.append(.string(StringSymbol(domain: s.domain, values: results.map(stringOut))))
                    } else {
                        out.append(.numeric(table(s.domain, results.map(numberOut), type: outType)))
                    }
                case .numeric(let s):
                    switch s.kind {
                    case let .table(domain, values):
                        let results = values.map { lookup(.n($0)) }
                        if outputIsString { out.append(.string(StringSymbol(domain: domain, values: results.map(stringOut)))) }
                        else { out.append(.numeric(NumericSymbol(.table(domain, results.map(numberOut)), type: outType))) }
                    default:
                        let intKeys = map.keys.compactMap { k -> Int64? in
                            if case .n(let v) = k, v == v.rounded(), abs(v) < 9e18 { return Int64(v) }
                            return nil
                        }.sorted()
                        guard intKeys.count == map.count, s.type == .int64 || s.type == .bool else {
                            throw r.unsupported("maps a float column; Nightjar maps strings and integers")
                        }
                        let domain = CategoryDomain(.integer(s, keys: intKeys), size: intKeys.count + 1)
                        let results = intKeys.map { lookup(.n(Double($0))) } + [fallback]
                        if outputIsString { out.append(.string(StringSymbol(domain: domain, values: results.map(stringOut)))) }
                        else { out.append(.numeric(NumericSymbol(.table(domain, results.map(numberOut)), type: outType))) }
                    }
                }
            }
            setOutput(r, .rows(out))
            step(r, "maps \(map.count) values on \(columns.count) column\(columns.count == 1 ? "" : "s")")
        default: break
        }
        _ = inputIsString
    }

    mutating func lowerArithmetic(_ r: ONNXNodeReader) throws(ModelError) {
        try r.checkAttributes([])
        let a = try input(0, of: r), b = try input(1, of: r)
        let op = r.node.opType
        let columns: [NumericSymbol], constant: ONNXConstant, constantFirst: Bool
        switch (a, b) {
        case (.rows, .constant(let c)): columns = try numericRows(0, of: r); constant = c; constantFirst = false
        case (.constant(let c), .rows): columns = try numericRows(1, of: r); constant = c; constantFirst = true
        default: throw r.unsupported("Nightjar supports arithmetic between a per-row tensor and a constant only")
        }
        let k = try broadcast(constant, columns.count, r)
        let out = columns.enumerated().map { (i, s) -> ONNXColumn in
            let c = k[i]
            let operation: FeaturePlan.Operation
            switch op {
            case "Add": operation = .add(c)
            case "Sub": operation = constantFirst ? .subtractFrom(c) : .subtract(c)
            case "Mul": operation = .multiply(c)
            default: operation = constantFirst ? .divideInto(c) : .divide(c)
            }
            return .numeric(s.mapped(operation))
        }
        setOutput(r, .rows(out))
        step(r, "\(op.lowercased()) a constant on \(columns.count) columns")
    }

    mutating func lowerMatMul(_ r: ONNXNodeReader) throws(ModelError) {
        let gemm = r.node.opType == "Gemm"
        try r.checkAttributes(gemm ? ["alpha", "beta", "transA", "transB"] : [])
        let columns = try numericRows(0, of: r)
        guard columns.allSatisfy({ $0.type == .float }) else { throw r.unsupported("matrix products on non-float tensors") }
        guard let b = try optionalConstant(1, of: r), b.dims.count == 2 else { throw r.unsupported("the second operand must be a constant matrix") }
        guard r.int("transA", default: 0) == 0 else { throw r.unsupported("transA=1") }
        let transB = r.int("transB", default: 0) == 1
        let alpha = Double(r.float("alpha", default: 1)), beta = Double(r.float("beta", default: 1))
        let (k, m) = transB ? (b.dims[1], b.dims[0]) : (b.dims[0], b.dims[1])
        guard k == columns.count else { throw r.malformed("a matrix of \(k) rows multiplies \(columns.count) columns") }
        var weights = [Float](repeating: 0, count: m * k)
        for j in 0..<m {
            for i in 0..<k {
                let v = transB ? b.numbers[j * k + i] : b.numbers[i * m + j]
                weights[j * k + i] = Float(alpha * v)
            }
        }
        var bias = [Float](repeating: 0, count: m)
        if gemm, let c = try optionalConstant(2, of: r) {
            let values = try broadcast(c, m, r)
            bias = values.map { Float(beta * $0) }
        }
        let multi = MultiColumnNode(.linear(weights: weights, bias: bias), sources: columns, outputs: m)
        setOutput(r, .rows((0..<m).map { .numeric(NumericSymbol(.multi(multi, $0), type: .float)) }))
        step(r, "\(k) columns × constant matrix → \(m) columns")
    }

    mutating func lowerEqual(_ r: ONNXNodeReader) throws(ModelError) {
        try r.checkAttributes([])
        guard case .constant(let c) = try input(1, of: r) else { throw r.unsupported("compares with a non-constant") }
        var out: [ONNXColumn] = []
        for column in try rows(0, of: r) {
            switch column {
            case .string(let s):
                guard let v = c.strings.first else { throw r.unsupported("compares strings with numbers") }
                out.append(.numeric(table(s.domain, s.values.map { $0 == .known(v) ? 1 : 0 }, type: .bool)))
            case .numeric(let s):
                guard let v = c.numbers.first else { throw r.unsupported("compares numbers with strings") }
                out.append(.numeric(s.mapped(.equal(v), to: .bool)))
            }
        }
        setOutput(r, .rows(out))
    }

    mutating func lowerWhere(_ r: ONNXNodeReader) throws(ModelError) {
        try r.checkAttributes([])
        let conditions = try numericRows(0, of: r)
        func operand(_ i: Int) throws(ModelError) -> [ONNXColumn] {
            switch try input(i, of: r) {
            case .rows(let c): return c
            case .constant(let c):
                if c.type == .string { return c.strings.map { .string(StringSymbol(domain: nil, values: [.known($0)])) } }
                return c.numbers.map { .numeric(NumericSymbol(.constant($0), type: c.type)) }
            default: throw r.unsupported("selects from the estimator's output")
            }
        }
        let x = try operand(1), y = try operand(2)
        let width = max(conditions.count, x.count, y.count)
        func at<T>(_ list: [T], _ j: Int) throws(ModelError) -> T {
            if list.count == 1 { return list[0] }
            guard j < list.count else { throw r.unsupported("operands of different widths") }
            return list[j]
        }
        var out: [ONNXColumn] = []
        for j in 0..<width {
            let cond = try at(conditions, j)
            let (domain, condValues): (CategoryDomain?, [Double])
            switch cond.kind {
            case let .table(d, v): (domain, condValues) = (d, v)
            case .constant(let v): (domain, condValues) = (nil, [v])
            default: throw r.unsupported("a condition that is not a function of one categorical column")
            }
            func codes(_ d: CategoryDomain?) -> Int { d?.size ?? 1 }
            let size = codes(domain)
            switch (try at(x, j), try at(y, j)) {
            case let (.string(a), .string(b)):
                guard a.domain == nil || a.domain === domain, b.domain == nil || b.domain === domain else {
                    throw r.unsupported("mixes values of different columns")
                }
                let values = (0..<size).map { code -> StringValue in
                    let c = condValues.count == 1 ? condValues[0] : condValues[code]
                    let pick = c != 0 ? a : b
                    return pick.values.count == 1 ? pick.values[0] : pick.values[code]
                }
                out.append(.string(StringSymbol(domain: domain, values: values)))
            case let (.numeric(a), .numeric(b)):
                func values(_ s: NumericSymbol) throws(ModelError) -> [Double] {
                    switch s.kind {
                    case .constant(let v): return [Double](repeating: v, count: size)
                    case let .table(d, v) where d === domain: return v
                    default: throw r.unsupported("selects between per-row numbers; Nightjar supports categorical selections")
                    }
                }
                let va = try values(a), vb = try values(b)
                let result = (0..<size).map { code in (condValues.count == 1 ? condValues[0] : condValues[code]) != 0 ? va[code] : vb[code] }
                out.append(.numeric(table(domain, result, type: a.type)))
            default:
                throw r.unsupported("selects between a string and a number")
            }
        }
        setOutput(r, .rows(out))
        step(r, "fills the empty string with the imputed category")
    }
}
