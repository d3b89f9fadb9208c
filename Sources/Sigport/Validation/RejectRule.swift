/// Stable ids of the rules a row can break, as `rejects.jsonl` and reports name them. Reader
/// rules (`csv-ragged`, `utf8`, `jsonl-syntax`, …) come from the readers.
public enum RejectRule: String, Sendable, CaseIterable, Codable, Error {
    case timestampMissing = "timestamp-missing"
    case timestampFormat = "timestamp-format"
    case timestampNoZone = "timestamp-no-zone"
    case timestampGap = "timestamp-dst-gap"
    case timestampAmbiguous = "timestamp-dst-ambiguous"
    case timestampInfer = "timestamp-dst-infer"
    case timestampRange = "timestamp-range"
    case number = "number"
    case finite = "number-finite"
    case precision = "number-precision"
    case enumState = "enum-state"
    case enumKey = "enum-key"
    case inputID = "input-id"
    case templateField = "template-field-empty"
    case oxReadingInteger = "ox-reading-integer"
    case oxReadingRange = "ox-reading-range"
    case oxText = "ox-required-text"
    case duplicateTime = "duplicate-time"

    /// What the rule says, for reports.
    public var summary: String {
        switch self {
        case .timestampMissing: "the timestamp field is empty or missing"
        case .timestampFormat: "the timestamp is not in the declared format"
        case .timestampNoZone: "a local time without an offset, and the mapping names no timezone"
        case .timestampGap: "a local time that does not exist (DST gap), with nonexistent: reject"
        case .timestampAmbiguous: "a local time that happens twice (DST overlap), with ambiguous: reject"
        case .timestampInfer: "a local time in a DST overlap whose file order does not say which of the two it is (ambiguous: infer)"
        case .timestampRange: "a time outside years 0001-9999"
        case .number: "not a number"
        case .finite: "not a finite number (JSON has no NaN or Infinity)"
        case .precision: "a number a double changes: nonzero but too small (it would be 0), or a whole number beyond ±2^53 that is not exactly a double (it would be another one)"
        case .enumState: "a text state the mapping's `states` does not list"
        case .enumKey: "an enum key outside 0-9999, or not a whole number"
        case .inputID: "the input ID does not match ^[a-zA-Z0-9-_:.#+/]{1,128}$"
        case .templateField: "a field used in a template is empty, and the mapping has no default for it"
        case .oxReadingInteger: "event_reading must be an integer (the mapping says reading: reject)"
        case .oxReadingRange: "event_reading does not fit a 64-bit integer"
        case .oxText: "a required ox text field (event_type, sensor or beacon fields) is empty"
        case .duplicateTime: "a signal already has a value at this time from an earlier row of the run (duplicates: reject)"
        }
    }
}
