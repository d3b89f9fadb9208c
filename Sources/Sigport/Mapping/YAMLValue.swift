import Yams

/// A YAML node with where it came from, read with typed accessors that fail as `MappingError`s
/// naming the file, line and key. Every mapping is checked for unknown keys.
struct YAMLValue {
    let node: Node
    let file: String
    let path: String

    var line: Int { node.mark?.line ?? 0 }

    func error(_ message: String, key: String? = nil) -> MappingError {
        MappingError(file: file, line: line, key: key.map { path.isEmpty ? $0 : "\(path).\($0)" } ?? (path.isEmpty ? "(top)" : path), message: message)
    }

    /// The children of a YAML mapping, refusing keys outside `known` (with a did-you-mean).
    func fields(known: [String]) throws -> Fields {
        guard let mapping = node.mapping else { throw error("must be a mapping (key: value lines)") }
        var values: [String: YAMLValue] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw YAMLValue(node: key, file: file, path: path).error("keys must be text") }
            // An empty key is shown as `""`, so that an error about it still names a key (found by the fuzzer).
            let shown = name.isEmpty ? "\"\"" : name
            let child = YAMLValue(node: value, file: file, path: path.isEmpty ? shown : "\(path).\(shown)")
            guard known.contains(name) else {
                let hint = DidYouMean.suggestion(for: name, among: known).map { "; did you mean \"\($0)\"?" } ?? "; known keys: \(known.joined(separator: ", "))"
                throw MappingError(file: file, line: key.mark?.line ?? line, key: child.path, message: "unknown key\(hint)")
            }
            if values[name] != nil { throw MappingError(file: file, line: key.mark?.line ?? line, key: child.path, message: "appears twice") }
            values[name] = child
        }
        return Fields(owner: self, values: values)
    }

    /// A mapping whose keys are user data (labels, enum states), in file order.
    func entries() throws -> [(key: String, line: Int, value: YAMLValue)] {
        guard let mapping = node.mapping else { throw error("must be a mapping") }
        return try mapping.map { key, value in
            guard let name = key.string else { throw YAMLValue(node: key, file: file, path: path).error("keys must be text") }
            return (name, key.mark?.line ?? line, YAMLValue(node: value, file: file, path: "\(path).\(name)"))
        }
    }

    func items() throws -> [YAMLValue] {
        guard let sequence = node.sequence else { throw error("must be a list") }
        return sequence.enumerated().map { YAMLValue(node: $1, file: file, path: "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard let scalar = node.scalar else { throw error("must be a single value, not a list or mapping") }
        return scalar.string
    }

    func strings() throws -> [String] {
        if node.scalar != nil { return [try string()] }
        return try items().map { try $0.string() }
    }

    func double() throws -> Double {
        guard let value = Double(try string()), value.isFinite else { throw error("must be a number") }
        return value
    }

    func int() throws -> Int {
        guard let value = Int(try string()) else { throw error("must be a whole number") }
        return value
    }

    func bool() throws -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("must be true or false")
        }
    }

    func oneOf(_ choices: [String]) throws -> String {
        let value = try string()
        guard choices.contains(value) else {
            let hint = DidYouMean.suggestion(for: value, among: choices).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw error("must be one of \(choices.joined(separator: ", ")), not \"\(value)\"\(hint)")
        }
        return value
    }

    struct Fields {
        let owner: YAMLValue
        let values: [String: YAMLValue]
        subscript(_ key: String) -> YAMLValue? { values[key] }
        func required(_ key: String) throws -> YAMLValue {
            guard let value = values[key] else { throw owner.error("is required", key: key) }
            return value
        }
    }
}
