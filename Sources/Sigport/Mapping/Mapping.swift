import Foundation

/// A declarative mapping file: how rows of device logs become signals and values (integration
/// API) or sensors, beacons and events (ox API). Reference: `docs/mapping.md`; JSON Schema:
/// `Mappings/mapping.schema.json`.
public struct Mapping: Sendable {
    public enum Target: String, Sendable { case integration, ox }
    public enum Format: String, Sendable { case csv, jsonl }

    public var file: String
    /// The file's text, for the checkpoint's fingerprint of what a run was started with.
    public var text: String
    public var source: SourceSpec
    public var target: Target
    /// Long layout: one row per reading, an id field naming the series and a value field.
    public var long: LongLayout?
    /// Integration target: one signal per value field (wide), or one template (long).
    public var signals: [SignalSpec]
    public var ox: OxSpec?
    /// Integration target: what a second value for a signal at a time already taken does.
    public var duplicates: DuplicatePolicy = .reject

    public struct LongLayout: Sendable {
        public var idField: String
        public var valueField: String
    }

    /// Every row field the mapping reads, each once, in a stable order: what a JSONL reader is
    /// asked for, and what a CSV header must have. With `source.each`, not the element's fields.
    public var referencedFields: [String] { allFields.filter { source.each == nil || !Mapping.isItem($0) } }

    private var allFields: [String] {
        var seen = Set<String>()
        var fields: [String] = []
        func add(_ name: String?) { if let name, seen.insert(name).inserted { fields.append(name) } }
        add(source.timestamp.field)
        add(long?.idField)
        add(long?.valueField)
        for filter in source.filters { add(filter.field) }
        for signal in signals {
            add(signal.field)
            signal.templates.flatMap(\.fields).forEach(add)
        }
        if let ox {
            for event in ox.events {
                add(event.field)
                event.eventType.fields.forEach(add)
            }
            // In the schema's order of the entity fields, not the dictionaries' (which changes from run to run).
            for name in OxSpec.sensorFields { ox.sensor[name]?.fields.forEach(add) }
            for name in OxSpec.beaconFields { ox.beacon?[name]?.fields.forEach(add) }
        }
        return fields
    }

    /// The element fields (`item.k`, as written) the mapping reads, each once, in a stable order.
    /// Without `source.each` there are none: `item.k` is then a field like any other.
    public var itemFields: [String] { source.each == nil ? [] : allFields.filter(Mapping.isItem) }

    /// Whether a field (with `source.each`) reads the current element: `item` or `item.<path>`.
    public static func isItem(_ field: String) -> Bool { field == "item" || field.hasPrefix("item.") }

    /// The path inside the element that an item field reads (`""` for the element itself).
    public static func itemPath(_ field: String) -> String { field == "item" ? "" : String(field.dropFirst(5)) }
}

public struct SourceSpec: Sendable {
    public var format: Mapping.Format
    public var csv: CSVDialect
    public var timestamp: TimestampSpec
    /// `1,5` means one and a half.
    public var decimalComma: Bool
    /// Field texts that mean "no value" (the row is kept, the value left out).
    public var nulls: Set<String>
    /// The longest null text in bytes: longer field texts cannot be null, without hashing them.
    public var longestNull: Int
    /// A regex over the file's base name; named captures become `{file.<name>}`.
    public var fileName: NSRegularExpressionBox?
    public var filters: [RowFilter]
    /// Values used when a field is empty or missing.
    public var defaults: [String: String]
    /// JSONL: the path of an array whose elements are one reading each; `item.<path>` fields
    /// (and `{item.<path>}` in templates) read the element's own fields.
    public var each: String? = nil
}

/// `NSRegularExpression` is not `Sendable`; it is immutable and thread-safe, so the box is.
public struct NSRegularExpressionBox: @unchecked Sendable {
    public let regex: NSRegularExpression
    public let captureNames: [String]
}

public struct TimestampSpec: Sendable {
    public enum Format: Sendable, Equatable {
        /// RFC 3339 / ISO 8601 with an offset; without one, `timeZone` applies.
        case iso8601
        /// Seconds (or ms, µs, ns) since the Unix epoch; decimals allowed.
        case epoch(unitsPerSecond: Int64)
        /// A strptime-style pattern (`%d.%m.%Y %H:%M:%S`).
        case pattern(String)
    }
    public enum Ambiguous: String, Sendable { case earlier, later, infer, reject }
    public enum Nonexistent: String, Sendable { case shift, reject }

    public var field: String
    public var format: Format
    /// For local times (no offset in the text): an IANA zone such as `Europe/Oslo`.
    public var timeZone: TimeZone?
    /// A local time that happens twice (DST ends): take the earlier or later instant, infer it
    /// from the order of the file's rows (`OverlapInference`), or reject.
    public var ambiguous: Ambiguous
    /// A local time that never happens (DST starts): shift it forward by the gap, or reject.
    public var nonexistent: Nonexistent
}

/// Skips a row when its condition holds: the row is counted as filtered, not rejected.
public struct RowFilter: Sendable {
    public enum Condition: Sendable {
        case equals(String)
        case oneOf(Set<String>)
        case matches(NSRegularExpressionBox)
        case empty
    }
    public var field: String
    public var condition: Condition
    /// `unless:` filters keep rows that match and skip the rest.
    public var negated: Bool
}

/// A signal's save view, with templates where the mapping uses placeholders.
public struct SignalSpec: Sendable {
    public enum ValueType: String, Sendable { case numeric, `enum` }

    /// The value field (wide); nil in a long layout's template (the value field is shared).
    public var field: String?
    public var inputID: Template
    public var name: Template?
    public var description: Template?
    public var valueType: ValueType
    public var engUnit: Template?
    public var labels: [(key: String, values: [Template])]
    public var annotations: [(key: String, value: Template)]
    public var enumValues: [Int: String]
    /// Text states to enum keys (`OFF: 0`).
    public var states: [String: Int]
    public var sourceType: String?
    public var sampleInterval: String?
    public var gapDetection: String?
    /// value × scale + offset.
    public var scale: Double
    public var offset: Double

    var templates: [Template] {
        [inputID] + [name, description, engUnit].compactMap { $0 } + labels.flatMap(\.values) + annotations.map(\.value)
    }
}

/// ox target: which sensor and beacon each row belongs to, and which fields are events.
public struct OxSpec: Sendable {
    /// The org the entities go to; nil takes the first org of the credentials.
    public var org: String?
    /// sensor_id, sensor_type, sensor_version templates.
    public var sensor: [String: Template]
    /// beacon_id, beacon_env, beacon_type, beacon_version templates, if events name a beacon.
    public var beacon: [String: Template]?
    public var events: [EventSpec]
}

public struct EventSpec: Sendable {
    /// How a reading that is not a whole number becomes `event_reading` (an integer).
    public enum Reading: Sendable, Equatable {
        case round
        case reject
        /// Multiply, then round: `scale(10)` keeps one decimal as tenths.
        case scale(Double)
    }
    /// The value field (wide); nil in a long layout (the value field is shared).
    public var field: String?
    public var eventType: Template
    public var reading: Reading
}
