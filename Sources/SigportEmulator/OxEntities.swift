import Foundation
import GRDB
import SigportContract

/// The ox schemas: validating what clients send and rendering what they get back.
enum OxEntities {
    /// Names used elsewhere on the page for the same event fields; told apart in the error.
    private static let eventAliases = ["collected_at": "event_timestamp", "parent_beacon": "event_beacon", "parent_sensor": "event_sensor"]

    /// Checks one entity (or, with `partial`, one set of changes) against its schema and returns
    /// the fields to store. Fails with 400 naming the field.
    static func validate(_ kind: OxContract.Kind, _ value: JSONValue, partial: Bool, at location: String) throws -> [String: JSONValue] {
        let prefix = location.isEmpty ? "" : "\(location): "
        guard let object = value.objectValue else { throw APIError.ox(.badRequest, "Invalid payload: \(prefix)a \(kind.rawValue) must be an object") }
        let fields = OxContract.fields(of: kind)
        let byName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
        for key in object.keys.sorted() where byName[key] == nil {
            let hint = eventAliases[key].map { "; the endpoints call it \"\($0)\"" } ?? ""
            throw APIError.ox(.badRequest, "Invalid payload: \(prefix)\"\(key)\" is not a \(kind.rawValue) field\(hint)")
        }
        if !partial {
            for field in fields where field.required && object[field.name] == nil {
                throw APIError.ox(.badRequest, "Invalid payload: \(prefix)\"\(field.name)\" is required")
            }
        }
        for (key, value) in object {
            guard let field = byName[key] else { continue }
            if value == .null && !field.required { continue }
            guard conforms(value, to: field.type) else {
                throw APIError.ox(.badRequest, "Invalid payload: \(prefix)\"\(key)\" must be \(describe(field.type))")
            }
        }
        return object
    }

    private static func conforms(_ value: JSONValue, to type: OxContract.FieldType) -> Bool {
        switch type {
        case .integer: value.integerValue != nil
        case .number: value.numberValue != nil
        case .string: value.stringValue != nil
        case .boolean: value.boolValue != nil
        case .object: value.objectValue != nil
        case .idMap:
            // Entity ids to an epoch timestamp (non-zero enables, zero disables).
            value.objectValue?.allSatisfy { key, stamp in Int64(key).map { $0 > 0 } == true && (stamp.integerValue ?? -1) >= 0 } ?? false
        }
    }

    private static func describe(_ type: OxContract.FieldType) -> String {
        switch type {
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .boolean: "a boolean"
        case .object: "an object"
        case .idMap: "an IdMap: {\"<entity id>\": <epoch timestamp, 0 to disable>}"
        }
    }

    /// Referenced entities must exist, and an event's sensor and beacon must share its org.
    static func checkReferences(_ document: [String: JSONValue], kind: OxContract.Kind, db: Database) throws {
        for field in OxContract.fields(of: kind) {
            guard let target = field.reference, let id = document[field.name]?.integerValue else { continue }
            guard let record = try OxEntityRecord.fetchOne(db, key: id), record.kind == target.rawValue else {
                throw APIError.ox(.badRequest, "Invalid payload: \(field.name) \(id) is not an existing \(target.rawValue)", ids: [String(id)])
            }
            if target != .org, record.parentOrg != document["parent_org"]?.integerValue {
                throw APIError.ox(.badRequest, "Invalid payload: \(field.name) \(id) belongs to another org", ids: [String(id)])
            }
        }
    }

    /// Ids from a URL segment `id,id,id`: 1 to 19 digits each, no duplicates.
    static func parseIDs(_ text: String) throws -> [Int64] {
        var ids: [Int64] = []
        var seen = Set<Int64>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 19, part.allSatisfy(\.isASCII), let id = Int64(part), id > 0 else {
                throw APIError.ox(.badRequest, "Invalid id \"\(part.prefix(24))\": ids are positive integers separated by commas")
            }
            if seen.insert(id).inserted { ids.append(id) }
        }
        guard !ids.isEmpty else { throw APIError.ox(.badRequest, "No id given") }
        return ids
    }

    /// Reference kinds of fields that point at entities the emulator does not model (users).
    private static let userReferences: Set<String> = ["org_owner", "parent_user"]

    /// The entity as GET returns it: integers that reference entities become Key objects, and
    /// `created_at`/`modified_at` are appended (clients also get their key's hash).
    static func render(_ record: OxEntityRecord, secretHash: String? = nil) -> [String: JSONValue] {
        guard let kind = OxContract.Kind(rawValue: record.kind), var document = JSONValue.parse(record.document)?.objectValue else { return [:] }
        for field in OxContract.fields(of: kind) {
            guard let id = document[field.name]?.integerValue else { continue }
            if let target = field.reference {
                document[field.name] = KeyObject(id: id, kind: target.rawValue).json
            } else if userReferences.contains(field.name) {
                document[field.name] = KeyObject(id: id, kind: "User").json
            }
        }
        document["created_at"] = .string(record.createdAt)
        document["modified_at"] = .string(record.modifiedAt)
        if let secretHash { document["client_secret"] = .string("sha256$" + secretHash) }
        return document
    }
}
