import SigportContract

extension SignalSpec {
    static let keys = ["field", "input_id", "name", "description", "type", "eng_unit", "labels", "annotations",
                       "enum_values", "states", "source_type", "sample_interval", "gap_detection", "scale", "offset"]

    /// One signal (wide, `valueField: true`) or the long layout's template.
    static func load(_ value: YAMLValue, valueField: Bool) throws -> SignalSpec {
        let fields = try value.fields(known: valueField ? keys : keys.filter { $0 != "field" })
        func template(_ key: String) throws -> Template? { try fields[key].map { try Template(try $0.string(), at: $0) } }
        let inputIDValue = try fields.required("input_id")
        let inputID = try Template(try inputIDValue.string(), at: inputIDValue)
        if let constant = inputID.constant, !IntegrationContract.inputID.matches(constant) {
            throw inputIDValue.error("\"\(constant)\" must match \(IntegrationContract.inputID.pattern)")
        }
        let valueType = ValueType(rawValue: try fields["type"]?.oneOf(["numeric", "enum"]) ?? "numeric")!

        var labels: [(String, [Template])] = []
        for entry in try fields["labels"]?.entries() ?? [] {
            guard IntegrationContract.labelKey.matches(entry.key) else {
                throw MappingError(file: value.file, line: entry.line, key: entry.value.path, message: "label key must match \(IntegrationContract.labelKey.pattern)")
            }
            labels.append((entry.key, try entry.value.strings().map { try Template($0, at: entry.value) }))
        }
        var annotations: [(String, Template)] = []
        for entry in try fields["annotations"]?.entries() ?? [] {
            guard IntegrationContract.annotationKey.matches(entry.key) else {
                throw MappingError(file: value.file, line: entry.line, key: entry.value.path, message: "annotation key must match \(IntegrationContract.annotationKey.pattern)")
            }
            annotations.append((entry.key, try Template(try entry.value.string(), at: entry.value)))
        }
        var enumValues: [Int: String] = [:]
        for entry in try fields["enum_values"]?.entries() ?? [] {
            guard let key = Int(entry.key), IntegrationContract.enumKeys.contains(key) else {
                throw MappingError(file: value.file, line: entry.line, key: entry.value.path, message: "enum key must be an integer in range 0-9999")
            }
            enumValues[key] = try entry.value.string()
        }
        var states: [String: Int] = [:]
        for entry in try fields["states"]?.entries() ?? [] {
            let key = try entry.value.int()
            guard IntegrationContract.enumKeys.contains(key) else { throw entry.value.error("must be an enum key in range 0-9999") }
            states[entry.key] = key
        }
        if valueType == .numeric, let stray = fields["enum_values"] ?? fields["states"] { throw stray.error("is only for type: enum") }
        func duration(_ key: String) throws -> String? {
            guard let v = fields[key] else { return nil }
            let text = try v.string()
            guard RFC3339Duration.isValid(text) else { throw v.error("must be an RFC 3339 duration such as PT1M or P1D") }
            return text
        }
        return SignalSpec(
            field: valueField ? try fields.required("field").string() : nil,
            inputID: inputID, name: try template("name"), description: try template("description"), valueType: valueType,
            engUnit: try template("eng_unit"), labels: labels, annotations: annotations, enumValues: enumValues, states: states,
            sourceType: try fields["source_type"]?.oneOf(IntegrationContract.sourceTypes.sorted()),
            sampleInterval: try duration("sample_interval"), gapDetection: try duration("gap_detection"),
            scale: try fields["scale"]?.double() ?? 1, offset: try fields["offset"]?.double() ?? 0)
    }
}

extension OxSpec {
    static let sensorFields = ["sensor_id", "sensor_type", "sensor_version"]
    static let beaconFields = ["beacon_id", "beacon_env", "beacon_type", "beacon_version"]

    static func load(_ value: YAMLValue, long: Bool) throws -> OxSpec {
        let fields = try value.fields(known: ["org", "sensor", "beacon", "events", "event"])
        func templates(_ key: String, _ names: [String]) throws -> [String: Template]? {
            guard let v = fields[key] else { return nil }
            let entity = try v.fields(known: names)
            // Every field is required by the ox schema.
            return try Dictionary(uniqueKeysWithValues: names.map { name in
                let field = try entity.required(name)
                return (name, try Template(try field.string(), at: field))
            })
        }
        let events: [EventSpec]
        if long {
            if let stray = fields["events"] { throw stray.error("is for layout: wide; a long layout has one `event` template") }
            events = [try EventSpec.load(try fields.required("event"), valueField: false)]
        } else {
            if let stray = fields["event"] { throw stray.error("is for layout: long; a wide layout lists `events`") }
            events = try fields.required("events").items().map { try EventSpec.load($0, valueField: true) }
        }
        return OxSpec(org: try fields["org"]?.string(), sensor: try templates("sensor", sensorFields) ?? { throw value.error("is required", key: "sensor") }(),
                      beacon: try templates("beacon", beaconFields), events: events)
    }
}

extension EventSpec {
    static func load(_ value: YAMLValue, valueField: Bool) throws -> EventSpec {
        let keys = ["field", "event_type", "reading", "scale"]
        let fields = try value.fields(known: valueField ? keys : keys.filter { $0 != "field" })
        let type = try fields.required("event_type")
        let mode = try fields["reading"]?.oneOf(["round", "reject", "scale"]) ?? "reject"
        let reading: Reading
        switch mode {
        case "round": reading = .round
        case "scale":
            guard let scale = try fields["scale"]?.double() else { throw value.error("needs `scale` with reading: scale", key: "scale") }
            reading = .scale(scale)
        default: reading = .reject
        }
        if mode != "scale", let stray = fields["scale"] { throw stray.error("is only for reading: scale") }
        return EventSpec(field: valueField ? try fields.required("field").string() : nil,
                         eventType: try Template(try type.string(), at: type), reading: reading)
    }
}
