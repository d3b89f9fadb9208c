/// The MongoDB-like resource filters of the read methods: `{"labels.site": "pier"}`,
/// `{"name": {"$regex": "^temp"}}`, `$in`, `$nin`, `$ne`, `$lt`, `$lte`, `$gt`, `$gte`,
/// `$and`, `$or`. An array field matches when any element does, as in MongoDB.
struct ResourceFilter: Sendable {
    let filter: JSONValue

    /// Checks the filter's shape once, so a bad operator is a -32602 before anything is read.
    init(_ filter: JSONValue?, path: String) throws {
        let filter = filter ?? .object([:])
        try Self.validate(filter, path: path)
        self.filter = filter
    }

    private static let comparisons: Set<String> = ["$in", "$nin", "$ne", "$lt", "$lte", "$gt", "$gte", "$regex"]

    private static func validate(_ filter: JSONValue, path: String) throws {
        guard let fields = filter.objectValue else { throw APIError.invalidParam(path, "must be an object") }
        for (key, condition) in fields {
            if key == "$and" || key == "$or" {
                guard let parts = condition.arrayValue else { throw APIError.invalidParam("\(path).\(key)", "must be an array of filters") }
                for (index, part) in parts.enumerated() { try validate(part, path: "\(path).\(key).\(index)") }
            } else if key.hasPrefix("$") {
                throw APIError.invalidParam("\(path).\(key)", "is not a supported operator")
            } else if let operators = condition.objectValue, operators.keys.contains(where: { $0.hasPrefix("$") }) {
                for (op, operand) in operators {
                    guard comparisons.contains(op) else { throw APIError.invalidParam("\(path).\(key).\(op)", "is not a supported operator") }
                    if (op == "$in" || op == "$nin") && operand.arrayValue == nil { throw APIError.invalidParam("\(path).\(key).\(op)", "must be an array") }
                    if op == "$regex", let pattern = operand.stringValue, (try? Regex(pattern)) == nil {
                        throw APIError.invalidParam("\(path).\(key).\(op)", "is not a valid regular expression")
                    }
                    if op == "$regex" && operand.stringValue == nil { throw APIError.invalidParam("\(path).\(key).\(op)", "must be a string") }
                }
            }
        }
    }

    func matches(_ document: JSONValue) -> Bool { Self.matches(filter, document) }

    private static func matches(_ filter: JSONValue, _ document: JSONValue) -> Bool {
        guard let fields = filter.objectValue else { return false }
        return fields.allSatisfy { key, condition in
            switch key {
            case "$and": return condition.arrayValue?.allSatisfy { matches($0, document) } ?? false
            case "$or": return condition.arrayValue?.contains { matches($0, document) } ?? false
            default:
                let value = document.value(atPath: Substring(key))
                if let operators = condition.objectValue, operators.keys.contains(where: { $0.hasPrefix("$") }) {
                    return operators.allSatisfy { op, operand in test(op, operand, value) }
                }
                return anyElement(value) { $0 == condition }
            }
        }
    }

    /// Applies a predicate to a value, or to each element of an array value.
    private static func anyElement(_ value: JSONValue?, _ predicate: (JSONValue) -> Bool) -> Bool {
        guard let value else { return false }
        if predicate(value) { return true }
        if case .array(let elements) = value { return elements.contains(where: predicate) }
        return false
    }

    private static func test(_ op: String, _ operand: JSONValue, _ value: JSONValue?) -> Bool {
        switch op {
        case "$in": return anyElement(value) { operand.arrayValue?.contains($0) ?? false }
        case "$nin": return !anyElement(value) { operand.arrayValue?.contains($0) ?? false }
        case "$ne": return !anyElement(value) { $0 == operand }
        case "$regex":
            guard let pattern = operand.stringValue, let regex = try? Regex(pattern) else { return false }
            return anyElement(value) { ($0.stringValue).map { (try? regex.firstMatch(in: $0)) != nil } ?? false }
        default:
            return anyElement(value) { compare($0, operand).map { order in
                switch op {
                case "$lt": order < 0
                case "$lte": order <= 0
                case "$gt": order > 0
                default: order >= 0
                }
            } ?? false }
        }
    }

    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)): x < y ? -1 : x > y ? 1 : 0
        case (.string(let x), .string(let y)): x < y ? -1 : x > y ? 1 : 0
        default: nil
        }
    }
}

/// `query` of the 1.1 read methods: filter, sort, limit, skip, total.
struct ResourceQuery: Sendable {
    var filter: ResourceFilter
    var sort: [String]
    var limit: Int
    var skip: Int
    var total: Bool

    init(_ value: JSONValue?, maxLimit: Int, path: String = "query") throws {
        let fields = value?.objectValue ?? [:]
        for key in fields.keys where !["filter", "sort", "limit", "skip", "total"].contains(key) {
            throw APIError.invalidParam("\(path).\(key)", "is not a field of a query")
        }
        filter = try ResourceFilter(fields["filter"], path: "\(path).filter")
        guard let sort = (fields["sort"] ?? .array([])).arrayValue?.compactMap(\.stringValue) else {
            throw APIError.invalidParam("\(path).sort", "must be an array of field names")
        }
        self.sort = sort
        let limit = fields["limit"].map { $0.integerValue } ?? Int64(min(50, maxLimit))
        guard let limit, limit >= 0, limit <= Int64(maxLimit) else {
            throw APIError.invalidParam("\(path).limit", "must be an integer from 0 to \(maxLimit)")
        }
        self.limit = Int(limit)
        guard let skip = fields["skip"].map({ $0.integerValue }) ?? 0, skip >= 0 else {
            throw APIError.invalidParam("\(path).skip", "must be a non-negative integer")
        }
        self.skip = Int(skip)
        guard let total = fields["total"].map({ $0.boolValue }) ?? false else {
            throw APIError.invalidParam("\(path).total", "must be a boolean")
        }
        self.total = total
    }

    /// Filters, sorts (`-field` for descending; ties by id) and pages documents.
    func apply(to documents: [JSONValue]) -> (page: [JSONValue], total: Int) {
        var matched = documents.filter(filter.matches)
        matched.sort { a, b in
            for key in sort {
                let descending = key.hasPrefix("-")
                let path = Substring(descending ? String(key.dropFirst()) : key)
                guard let x = a.value(atPath: path), let y = b.value(atPath: path),
                      let order = ResourceFilter.compare(x, y), order != 0 else { continue }
                return descending ? order > 0 : order < 0
            }
            return (a["id"]?.stringValue ?? "") < (b["id"]?.stringValue ?? "")
        }
        let page = Array(matched.dropFirst(skip).prefix(limit))
        return (page, total ? matched.count : -1)
    }
}
