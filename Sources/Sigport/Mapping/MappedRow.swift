/// What one row became: the values and events it holds, at one time.
public struct MappedRow: Sendable {
    /// Microseconds since the Unix epoch, UTC.
    public var time: Int64
    /// Integration target.
    public var values: [MappedValue] = []
    /// ox target.
    public var events: [MappedEvent] = []
    /// Array elements no part of the mapping read: of `source.each`, those none of its value
    /// fields had a value in; of arrays read by position, those past the last position read.
    public var unmapped = 0
}

/// A value for the integration target.
public struct MappedValue: Sendable {
    /// Index into the signal catalog.
    public var signal: Int
    public var value: Double
    /// The value's JSON text, when the input's text already is exactly what `JSONText.number`
    /// makes of it (`670.487`, no scale or offset applied) and is short enough to be inline:
    /// the body copies it rather than formatting the number again, which was a tenth of a wide
    /// CSV plan's time. `.absent` otherwise.
    var text: CellText

    init(signal: Int, value: Double, text: CellText = .absent) {
        self.signal = signal
        self.value = value
        self.text = text
    }
}

public struct MappedEvent: Sendable, Hashable {
    /// Index into the sensor catalog.
    public var sensor: Int
    /// Index into the beacon catalog, if the mapping names beacons.
    public var beacon: Int?
    public var eventType: String
    public var reading: Int64
}

/// A row that breaks a rule: where, which field, the value, which rule, why, and the raw row.
public struct Rejection: Sendable {
    public var location: RowLocation
    public var column: String?
    public var value: String?
    public var rule: String
    public var message: String
    public var raw: [UInt8]
}

public enum MapOutcome: Sendable {
    case mapped(MappedRow)
    case filtered
    case rejected(Rejection)
}

/// A signal as the mapping renders it for one input ID: its save view.
public struct SignalDefinition: Sendable, Hashable {
    public var inputID: String
    public var name: String?
    public var description: String?
    public var valueType: SignalSpec.ValueType
    public var engUnit: String?
    public var labels: [String: [String]]
    public var annotations: [String: String]
    public var enumValues: [Int: String]
    public var sourceType: String?
    public var sampleInterval: String?
    public var gapDetection: String?
}

/// An ox sensor or beacon as the mapping renders it: its schema fields.
public struct EntityDefinition: Sendable, Hashable {
    public var fields: [String: String]
}
