import Foundation
import SigportContract

/// A signal's writable fields (the "signal save view") with the documented defaults applied.
/// Stored as JSON; the field for the value type is always `valueType` here and renamed on the way
/// out for versions that call it `type`.
struct SignalDocument: Codable, Sendable, Equatable {
    var name: String
    var valueType: String = "numeric"
    var description: String = ""
    var labels: [String: [String]] = [:]
    var annotations: [String: String] = [:]
    var engUnit: String = ""
    var enumValues: [String: String] = [:]
    var sourceType: String = "measurement"
    var sampleInterval: String? = nil
    var gapDetection: String? = nil

    /// An empty signal, as `integration.insert` creates for an unknown input ID.
    init(inputID: String) { name = inputID }

    /// Validates a save view sent as JSON and fills in the defaults. Every problem is recorded
    /// under `path` so one answer names all bad fields.
    init(saveView: JSONValue, inputID: String, path: String, version: IntegrationAPIVersion, extraKeys: Set<String> = [], problems: inout ParamProblems) {
        self.init(inputID: inputID)
        guard let fields = saveView.objectValue else {
            problems.add(path, "must be an object (a signal save view)")
            return
        }
        let typeField = version.valueTypeField
        let known = extraKeys.union(["annotations", "name", typeField, "description", "labels", "engUnit",
                                     "enumValues", "sourceType", "sampleInterval", "gapDetection"])
        for key in fields.keys.sorted() where !known.contains(key) {
            let other = typeField == "type" ? "valueType" : "type"
            problems.add("\(path).\(key)", key == other
                ? "is not a field in API version \(version.rawValue): use \"\(typeField)\""
                : "is not a field of the signal save view")
        }
        func string(_ key: String) -> String? {
            guard let value = fields[key] else { return nil }
            guard let s = value.stringValue else { problems.add("\(path).\(key)", "must be a string"); return nil }
            return s
        }
        if let v = string("name") { name = v }
        if let v = string("description") { description = v }
        if let v = string("engUnit") { engUnit = v }
        if let v = string(typeField) {
            if IntegrationContract.valueTypes.contains(v) { valueType = v } else { problems.add("\(path).\(typeField)", "must be \"numeric\" or \"enum\"") }
        }
        if let v = string("sourceType") {
            if IntegrationContract.sourceTypes.contains(v) { sourceType = v } else { problems.add("\(path).sourceType", "must be \"measurement\", \"aggregation\" or \"prediction\"") }
        }
        for key in ["sampleInterval", "gapDetection"] {
            guard let value = fields[key], value != .null else { continue }
            guard let text = value.stringValue, RFC3339Duration.isValid(text) else {
                problems.add("\(path).\(key)", "must be null or an RFC 3339 duration such as PT1M")
                continue
            }
            if key == "sampleInterval" { sampleInterval = text } else { gapDetection = text }
        }
        if let value = fields["labels"] {
            if let map = value.objectValue {
                for (key, entry) in map {
                    if !IntegrationContract.labelKey.matches(key) { problems.add("\(path).labels", "key \"\(key)\" must match \(IntegrationContract.labelKey.pattern)") }
                    guard let strings = entry.arrayValue?.compactMap(\.stringValue), strings.count == entry.arrayValue?.count else {
                        problems.add("\(path).labels.\(key)", "must be an array of strings")
                        continue
                    }
                    labels[key] = strings
                }
            } else {
                problems.add("\(path).labels", "must be a map of label key to array of strings")
            }
        }
        if let value = fields["annotations"] {
            if let map = value.objectValue {
                for (key, entry) in map {
                    if !IntegrationContract.annotationKey.matches(key) { problems.add("\(path).annotations", "key \"\(key)\" must match \(IntegrationContract.annotationKey.pattern)") }
                    guard let text = entry.stringValue else { problems.add("\(path).annotations.\(key)", "must be a string"); continue }
                    annotations[key] = text
                }
            } else {
                problems.add("\(path).annotations", "must be a map of annotation key to string")
            }
        }
        if let value = fields["enumValues"] {
            if let map = value.objectValue {
                for (key, entry) in map {
                    // Canonical decimal integers only: "7", not "07" or "7.0".
                    guard let number = Int(key), String(number) == key, IntegrationContract.enumKeys.contains(number) else {
                        problems.add("\(path).enumValues", "key \"\(key)\" must be an integer in range 0-9999")
                        continue
                    }
                    guard let text = entry.stringValue else { problems.add("\(path).enumValues.\(key)", "must be a string"); continue }
                    enumValues[key] = text
                }
            } else {
                problems.add("\(path).enumValues", "must be a map of integer key to string")
            }
        }
    }

    /// The signal as a version shows it: `type` or `valueType`, all fields present.
    func rendered(version: IntegrationAPIVersion) -> [String: JSONValue] {
        var out: [String: JSONValue] = [
            "name": .string(name),
            version.valueTypeField: .string(valueType),
            "description": .string(description),
            "labels": .object(labels.mapValues { .array($0.map(JSONValue.string)) }),
            "annotations": .object(annotations.mapValues(JSONValue.string)),
            "engUnit": .string(engUnit),
            "enumValues": .object(enumValues.mapValues(JSONValue.string)),
            "sourceType": .string(sourceType),
            "sampleInterval": sampleInterval.map(JSONValue.string) ?? .null,
            "gapDetection": gapDetection.map(JSONValue.string) ?? .null,
        ]
        if version.valueTypeField != "valueType" { out["valueType"] = nil }
        return out
    }

    static func decode(_ text: String) -> SignalDocument? {
        try? JSONDecoder().decode(SignalDocument.self, from: Data(text.utf8))
    }

    func jsonText() -> String {
        String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self)
    }
}
