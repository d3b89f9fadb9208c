import Foundation
import SigportContract

/// Applies a mapping to rows: filters, timestamp, values, templates, and every documented rule
/// that depends on row data. Keeps the catalogs of signals (or sensors and beacons) it has seen.
public struct RowMapper {
    public let mapping: Mapping
    private let timestamps: TimestampParser
    /// The source's field rules and this file's field positions.
    private var rules: FieldRules
    private var fileFields: [String: String] = [:]

    public private(set) var signals: [SignalDefinition] = []
    /// Per signal spec, the position of its value field in this file's rows.
    private var valuePosition: [Int?] = []
    /// The positions of the timestamp and (long layouts) id fields in this file's rows.
    private var timePosition: Int?
    private var idPosition: Int?
    /// Per ox event spec, the position of its reading's field in this file's rows.
    private var eventPosition: [Int?] = []
    private var signalIndex: [String: Int] = [:]
    public private(set) var sensors: [EntityDefinition] = []
    private var sensorIndex: [EntityDefinition: Int] = [:]
    public private(set) var beacons: [EntityDefinition] = []
    private var beaconIndex: [EntityDefinition: Int] = [:]
    /// The catalog index each combination of template fields gave, for this file: at 0 the
    /// sensor's, at 1 the beacon's, at 2 + s signal spec s's input ID; `.off` where a field the
    /// templates read is not in the file. A row of a known device then names its entity
    /// without rendering four templates and hashing a field dictionary (a third of a JSONL-to-ox
    /// plan's time before), and its signal without rendering and hashing its input ID.
    private var keyCaches: [TemplateKeyCache] = []
    private static let signalCaches = 2
    private var signalMemo = SignalMemo(caches: [])
    /// Keys this row added, taken out again if the row is rejected.
    private var newKeys: [(cache: Int, hash: Int)] = []
    /// The values array of the row mapped last, kept so the next row can reuse its memory: a
    /// row has one, and one allocation less per row counts in long layouts (one value a row).
    private var valuesBuffer: [MappedValue] = []
    private var lastTime: (text: String, microseconds: Int64)?
    /// With `ambiguous: infer`, the instant of each of this file's rows in a DST overlap.
    private var overlaps = OverlapInference()

    /// What mapping a value needs of its signal spec, small enough to copy per value (a whole
    /// `SignalSpec`, with its templates and labels, costs a copy in the hot loop).
    private struct HotSignal {
        var field: String
        var valueType: SignalSpec.ValueType
        var scale: Double
        var offset: Double
        var states: [String: Int]
        /// Values are taken as read (no scale or offset), so their text may go to the body as is.
        var asRead: Bool { scale == 1 && offset == 0 }
    }
    private let hotSignals: [HotSignal]
    /// Per signal spec (and per ox event spec): it reads an element of `source.each`, so it is
    /// mapped once per element, not once per row.
    private let itemSignals: [Bool]
    private let itemEvents: [Bool]
    /// How many item fields an element of `source.each` has; nil without `each`. Kept here, not
    /// read from `mapping` per row: reading it there copied the source spec.
    private let itemWidth: Int?

    public init(mapping: Mapping) {
        self.mapping = mapping
        hotSignals = mapping.signals.map {
            HotSignal(field: $0.field ?? mapping.long?.valueField ?? "", valueType: $0.valueType, scale: $0.scale, offset: $0.offset,
                      states: $0.states)
        }
        let each = mapping.source.each != nil
        itemWidth = each ? mapping.itemFields.count : nil
        itemSignals = mapping.signals.map { spec in each && ([spec.field].compactMap { $0 } + spec.templates.flatMap(\.fields)).contains(where: Mapping.isItem) }
        itemEvents = (mapping.ox?.events ?? []).map { spec in each && ([spec.field].compactMap { $0 } + spec.eventType.fields).contains(where: Mapping.isItem) }
        self.timestamps = TimestampParser(mapping.source.timestamp)
        self.rules = FieldRules(mapping.source)
    }

    /// Prepares for the rows of one file: which value holds which field, and the file-name
    /// captures. Fails when the file lacks a field the mapping reads, or its name does not match.
    public mutating func start(file: InputFile, fieldNames: [String]) throws {
        var index = Dictionary(fieldNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        // An element's item fields come after the row's fields in its context (see `element(_:of:_:)`).
        for (j, item) in mapping.itemFields.enumerated() { index[item] = fieldNames.count + j }
        rules = FieldRules(mapping.source, index: index)
        valuePosition = mapping.signals.map { index[$0.field ?? mapping.long?.valueField ?? ""] }
        eventPosition = (mapping.ox?.events ?? []).map { index[$0.field ?? mapping.long?.valueField ?? ""] }
        timePosition = index[mapping.source.timestamp.field]
        idPosition = mapping.long.flatMap { index[$0.idField] }
        let positionOf = index, idField = mapping.long?.idField
        func keyCache(_ templates: [Template]?) -> TemplateKeyCache {
            guard let templates else { return .off }
            var names = Set(templates.flatMap(\.fields))
            if templates.contains(where: { $0.parts.contains(.id) }) {
                guard let idField else { return .off }
                names.insert(idField)
            }
            let positions = names.sorted().map { positionOf[$0] }
            return positions.contains(nil) ? .off : TemplateKeyCache(positions: positions.compactMap { $0 })
        }
        keyCaches = [keyCache(mapping.ox.map { Array($0.sensor.values) }), keyCache(mapping.ox?.beacon.map { Array($0.values) })]
            + mapping.signals.map { keyCache([$0.inputID]) }
        signalMemo = SignalMemo(caches: keyCaches[Self.signalCaches...])
        let missing = mapping.referencedFields.filter { index[$0] == nil }
        if !missing.isEmpty && mapping.source.format == .csv {
            throw SigportError(.invalidArgument, "\(file.path) has no column \(missing.map { "\"\($0)\"" }.joined(separator: ", ")), which \(mapping.file) reads.",
                               hint: "Its columns are: \(fieldNames.joined(separator: ", ")).")
        }
        overlaps = mapping.source.timestamp.ambiguous == .infer ? try OverlapInference.scan(file, mapping: mapping) : OverlapInference()
        fileFields = ["name": file.baseName]
        if let pattern = mapping.source.fileName {
            let name = file.baseName
            guard let match = pattern.regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) else {
                throw SigportError(.invalidArgument, "The file name \(name) does not match the mapping's file_name pattern \(pattern.regex.pattern).",
                                   hint: "Rename the file or adjust source.file_name.pattern in \(mapping.file).")
            }
            for capture in pattern.captureNames {
                if let range = Range(match.range(withName: capture), in: name) { fileFields[capture] = String(name[range]) }
            }
        }
    }

    /// Maps one row. A rejected row leaves no trace: the signals, sensors and beacons it named
    /// before the rule it broke are taken out of the catalogs again.
    public mutating func map(_ row: SourceRow) -> MapOutcome { map(.source(row)) }

    /// Maps a row of a read-ahead batch, its fields read in place.
    mutating func map(_ row: FlatRow) -> MapOutcome { map(.flat(row)) }

    mutating func map(_ row: RowRef) -> MapOutcome {
        let marks = (signals: signals.count, sensors: sensors.count, beacons: beacons.count)
        if !newKeys.isEmpty { newKeys.removeAll(keepingCapacity: true) }
        let outcome = mapRow(row)
        if case .rejected = outcome {
            signalMemo.forget()
            for (cache, hash) in newKeys.reversed() { keyCaches[cache].removeLast(hash: hash) }
            for signal in signals[marks.signals...] { signalIndex[signal.inputID] = nil }
            signals.removeLast(signals.count - marks.signals)
            for sensor in sensors[marks.sensors...] { sensorIndex[sensor] = nil }
            sensors.removeLast(sensors.count - marks.sensors)
            for beacon in beacons[marks.beacons...] { beaconIndex[beacon] = nil }
            beacons.removeLast(beacons.count - marks.beacons)
        }
        return outcome
    }

    private mutating func mapRow(_ row: RowRef) -> MapOutcome {
        let context = switch row {
        case .source(let source): RowContext(values: source.values, rules: rules)
        case .flat(let flat): RowContext(flat: flat, rules: rules)
        }
        for filter in mapping.source.filters where filter.skips(context.text(filter.field)) { return .filtered }
        func reject(_ rule: RejectRule, _ column: String?, _ message: String? = nil, in fields: RowContext? = nil) -> MapOutcome {
            .rejected(Rejection(location: row.location, column: column, value: column.flatMap { (fields ?? context).display($0) },
                                rule: rule.rawValue, message: message ?? rule.summary, raw: row.raw))
        }
        // The row's array read element by element (`source.each`): element e's context is the
        // row's values, then its item fields (the positions `start` gave them).
        let source: SourceRow? = if itemWidth != nil, case .source(let source) = row { source } else { nil }
        let elements = source?.elements ?? 0

        let timeField = mapping.source.timestamp.field
        let time: Int64
        if let bytes = context.plainBytes(at: timePosition), let micros = timestamps.positionalMicroseconds(bytes) {
            // A flat row's `YYYY-MM-DDTHH:MM:SSZ`, read in place: what `timestamp` makes of its text.
            time = micros
        } else {
            let timeValue = context.value(at: timePosition, field: timeField)
            if context.isEmpty(timeValue) { return reject(.timestampMissing, timeField) }
            switch timestamp(timeValue) {
            case .success(let micros): time = micros
            case .failure(.format): return reject(.timestampFormat, timeField)
            case .failure(.noZone): return reject(.timestampNoZone, timeField)
            case .failure(.gap): return reject(.timestampGap, timeField)
            case .failure(.ambiguous(let earlier, let later)):
                switch overlaps.choice(atByte: row.location.byteOffset) {
                case .earlier: time = earlier
                case .later: time = later
                case .noRepeat: return reject(.timestampInfer, timeField, "a local time in the DST overlap that its series passes once: nothing says whether it is the first or the second (ambiguous: infer)")
                case .outOfOrder: return reject(.timestampInfer, timeField, "a local time in the DST overlap of a series that goes back more than once there: its order does not say which it is (ambiguous: infer)")
                case nil: return reject(.timestampAmbiguous, timeField)
                }
            case .failure(.range): return reject(.timestampRange, timeField)
            }
        }

        var mapped = MappedRow(time: time)
        let rowID = mapping.long.flatMap { context.text(at: idPosition, field: $0.idField) }
        switch mapping.target {
        case .integration:
            // The last row's array, empty: its memory is reused when the consumer let go of it.
            swap(&mapped.values, &valuesBuffer)
            mapped.values.removeAll(keepingCapacity: true)
            mapped.values.reserveCapacity(hotSignals.count)
            var memo = false
            if let flat = context.flat, signalMemo.isUseful {
                signalMemo.enter(flat)
                memo = true
            }
            // By index, not `for spec in`: copying a spec per value retained and released its
            // field name and states.
            for s in hotSignals.indices where !itemSignals[s] {
                if let failure = addValue(s, context, rowID: rowID, memo: memo, to: &mapped.values) {
                    return reject(failure.rule, failure.column, failure.message)
                }
            }
            for e in 0..<elements {
                let element = element(e, of: source!, context)
                let before = mapped.values.count
                for s in hotSignals.indices where itemSignals[s] {
                    if let failure = addValue(s, element, rowID: rowID, memo: false, to: &mapped.values) {
                        return reject(failure.rule, failure.column, failure.message, in: element)
                    }
                }
                if mapped.values.count == before { mapped.unmapped += 1 }
            }
        case .ox:
            let ox = mapping.ox!
            let oxRenderer = renderer(context, rowID: rowID)
            let sensor: Int, beacon: Int?
            switch entity(0, ox.sensor, oxRenderer, row: context) {
            case .success(let i): sensor = i
            case .failure(let failure): return reject(failure.rule, failure.column, failure.message)
            }
            if let beaconSpec = ox.beacon {
                switch entity(1, beaconSpec, oxRenderer, row: context) {
                case .success(let i): beacon = i
                case .failure(let failure): return reject(failure.rule, failure.column, failure.message)
                }
            } else { beacon = nil }
            for e in ox.events.indices where !itemEvents[e] {
                switch event(e, context, oxRenderer) {
                case .success(let found): if let found { mapped.events.append(MappedEvent(sensor: sensor, beacon: beacon, eventType: found.type, reading: found.reading)) }
                case .failure(let failure): return reject(failure.rule, failure.column, failure.message)
                }
            }
            for n in 0..<elements {
                let element = element(n, of: source!, context)
                let before = mapped.events.count
                for e in ox.events.indices where itemEvents[e] {
                    switch event(e, element, renderer(element, rowID: rowID)) {
                    case .success(let found): if let found { mapped.events.append(MappedEvent(sensor: sensor, beacon: beacon, eventType: found.type, reading: found.reading)) }
                    case .failure(let failure): return reject(failure.rule, failure.column, failure.message, in: element)
                    }
                }
                if mapped.events.count == before { mapped.unmapped += 1 }
            }
        }
        if case .source(let read) = row { mapped.unmapped += read.unreadElements }
        if mapping.target == .integration { valuesBuffer = mapped.values }
        return .mapped(mapped)
    }

    /// Spec `s`'s value in `context` (the row's, or an element's of `source.each`), appended to
    /// `values`; the rule it breaks, if it does. A method, not a function nested in `mapRow`: a
    /// nested function captured the row being built, which then lived on the heap, in every row.
    private mutating func addValue(_ s: Int, _ context: RowContext, rowID: String?, memo: Bool, to values: inout [MappedValue]) -> TemplateFailure? {
        func failure(_ rule: RejectRule) -> TemplateFailure { TemplateFailure(rule: rule, column: hotSignals[s].field, message: rule.summary) }
        let number: Double
        var text = CellText.absent
        switch hotSignals[s].valueType {
        case .numeric:
            let read: (value: Double, text: CellText)
            if let bytes = context.plainBytes(at: valuePosition[s]), let plain = NumberText.plainDecimalAndText(bytes) {
                // A flat row's plain decimal, read in place: what `numberAndText` makes of its text.
                read = plain
            } else {
                let value = context.value(at: valuePosition[s], field: hotSignals[s].field)
                if context.isEmpty(value) { return nil }
                switch context.numberAndText(value) {
                case .success(let general): read = general
                case .failure(let rule): return failure(rule)
                }
            }
            number = read.value * hotSignals[s].scale + hotSignals[s].offset
            if hotSignals[s].asRead { text = read.text }
            guard number.isFinite else { return failure(.finite) }
        case .enum:
            let value = context.value(at: valuePosition[s], field: hotSignals[s].field)
            if context.isEmpty(value) { return nil }
            switch enumKey(value, states: hotSignals[s].states, context: context) {
            case .success(let key): number = Double(key)
            case .failure(let rule): return failure(rule)
            }
        }
        switch signalOf(spec: s, context, rowID: rowID, memo: memo) {
        case .success(let signal):
            values.append(MappedValue(signal: signal, value: number, text: text))
            return nil
        case .failure(let failure): return failure
        }
    }

    /// Element `e` of the row's `source.each` array as a context: the row's values, then the
    /// element's item fields, at the positions `start` gave them.
    private func element(_ e: Int, of source: SourceRow, _ context: RowContext) -> RowContext {
        let width = itemWidth ?? 0
        return RowContext(values: context.values + source.items[(e * width)..<((e + 1) * width)], rules: rules)
    }

    /// Event spec `e`'s type and reading in `context` (the row's, or an element's); nil when its
    /// field is empty, the rule it breaks when it breaks one.
    private func event(_ e: Int, _ context: RowContext, _ renderer: TemplateRenderer) -> Result<(type: String, reading: Int64)?, TemplateFailure> {
        let spec = mapping.ox!.events[e]
        let field = spec.field ?? mapping.long!.valueField
        let value = context.value(at: eventPosition[e], field: field)
        if context.isEmpty(value) { return .success(nil) }
        let reading: Int64
        switch Self.oxReading(value, spec.reading, context: context) {
        case .success(let r): reading = r
        case .failure(let rule): return .failure(TemplateFailure(rule: rule, column: field, message: rule.summary))
        }
        guard case .success(let type) = renderer.render(spec.eventType), !type.isEmpty else {
            return .failure(TemplateFailure(rule: .oxText, column: renderer.column(of: spec.eventType), message: "event_type is empty"))
        }
        return .success((type, reading))
    }

    /// The row's time. Rows of a long layout repeat their time text row after row (a reading
    /// per signal): the text read last is kept, and compared before parsing.
    private mutating func timestamp(_ value: FieldValue) -> Result<Int64, TimestampParser.Failure> {
        guard case .text(let text) = value else { return timestamps.microseconds(value) }
        if let last = lastTime, last.text == text { return .success(last.microseconds) }
        let parsed = timestamps.microseconds(value)
        if case .success(let microseconds) = parsed { lastTime = (text, microseconds) }
        return parsed
    }

    struct TemplateFailure: Error {
        var rule: RejectRule
        var column: String?
        var message: String
    }

    /// The catalog index of the signal `spec` renders to for this row, adding it on first sight.
    private mutating func catalogSignal(_ spec: SignalSpec, _ renderer: TemplateRenderer) -> Result<Int, TemplateFailure> {
        let inputID: String
        switch renderer.render(spec.inputID) {
        case .success(let text): inputID = text
        case .failure(let failure): return .failure(failure)
        }
        if let known = signalIndex[inputID] { return .success(known) }
        guard IntegrationContract.inputID.matches(inputID) else {
            return .failure(TemplateFailure(rule: .inputID, column: renderer.column(of: spec.inputID), message: "input ID \"\(inputID)\" does not match \(IntegrationContract.inputID.pattern)"))
        }
        func optional(_ template: Template?) -> Result<String?, TemplateFailure> {
            guard let template else { return .success(nil) }
            return renderer.render(template).map { $0 }
        }
        do {
            let definition = SignalDefinition(
                inputID: inputID, name: try optional(spec.name).get(), description: try optional(spec.description).get(),
                valueType: spec.valueType, engUnit: try optional(spec.engUnit).get(),
                labels: try Dictionary(spec.labels.map { ($0.key, try $0.values.map { try renderer.render($0).get() }) }, uniquingKeysWith: +),
                annotations: try Dictionary(spec.annotations.map { ($0.key, try renderer.render($0.value).get()) }, uniquingKeysWith: { a, _ in a }),
                enumValues: spec.enumValues, sourceType: spec.sourceType, sampleInterval: spec.sampleInterval, gapDetection: spec.gapDetection)
            signals.append(definition)
            signalIndex[inputID] = signals.count - 1
            return .success(signals.count - 1)
        } catch let failure as TemplateFailure {
            return .failure(failure)
        } catch {
            return .failure(TemplateFailure(rule: .templateField, column: nil, message: "\(error)"))
        }
    }

    private func renderer(_ context: RowContext, rowID: String?) -> TemplateRenderer {
        TemplateRenderer(context: context, file: fileFields, id: rowID, idField: mapping.long?.idField, defaults: mapping.source.defaults)
    }

    /// Spec `s`'s signal for the row: from the memo (a flat row), the key cache, or rendered
    /// and added to the catalog.
    private mutating func signalOf(spec s: Int, _ context: RowContext, rowID: String?, memo: Bool) -> Result<Int, TemplateFailure> {
        if memo, let known = signalMemo.signal(s) { return .success(known) }
        let cache = Self.signalCaches + s
        let found = lookUp(cache, row: context)
        let signal: Int
        if let known = found.index {
            signal = known
        } else {
            switch catalogSignal(mapping.signals[s], renderer(context, rowID: rowID)) {
            case .success(let i): signal = i
            case .failure(let failure): return .failure(failure)
            }
            if let probe = found.probe { remember(probe, cache: cache, row: context, index: signal) }
        }
        if memo { signalMemo.set(s, signal: signal) }
        return .success(signal)
    }

    /// The catalog index of the sensor (kind 0) or beacon (kind 1) a row names.
    private mutating func entity(_ kind: Int, _ templates: [String: Template], _ renderer: TemplateRenderer, row: RowContext) -> Result<Int, TemplateFailure> {
        let cached = lookUp(kind, row: row)
        if let known = cached.index { return .success(known) }
        let found = kind == 0 ? Self.entity(templates, renderer, catalog: &sensors, index: &sensorIndex)
                              : Self.entity(templates, renderer, catalog: &beacons, index: &beaconIndex)
        if let probe = cached.probe, case .success(let i) = found { remember(probe, cache: kind, row: row, index: i) }
        return found
    }

    /// The catalog index cache `cache` holds for the row: the entry found last first (read-only,
    /// so most rows do not write the array of caches), then by hash. On a miss, the probe to
    /// `remember` the resolved index under (nil when the cache is off).
    private mutating func lookUp(_ cache: Int, row: RowContext) -> (index: Int?, probe: TemplateKeyCache.Probe?) {
        // Read in place through the buffer: `keyCaches[cache].repeated` copied the cache (its
        // arrays and dictionary retained and released) on every lookup.
        if let known = keyCaches.withUnsafeBufferPointer({ $0[cache].repeated(row) }) { return (known, nil) }
        let probe = keyCaches[cache].probe(row)
        return (probe?.index, probe)
    }

    /// Caches the catalog index a row's templates gave, to be taken back if the row is rejected.
    private mutating func remember(_ probe: TemplateKeyCache.Probe, cache: Int, row: RowContext, index: Int) {
        keyCaches[cache].insert(probe, row: row, index: index)
        newKeys.append((cache, probe.hash))
    }

    private static func entity(_ templates: [String: Template], _ renderer: TemplateRenderer,
                               catalog: inout [EntityDefinition], index: inout [EntityDefinition: Int]) -> Result<Int, TemplateFailure> {
        var fields: [String: String] = [:]
        // In the schema's order, so that a row with several empty fields always names the same one.
        for name in OxSpec.sensorFields + OxSpec.beaconFields {
            guard let template = templates[name] else { continue }
            switch renderer.render(template) {
            case .success(let text):
                guard !text.isEmpty else { return .failure(TemplateFailure(rule: .oxText, column: renderer.column(of: template), message: "\(name) is empty")) }
                fields[name] = text
            case .failure(let failure): return .failure(failure)
            }
        }
        let definition = EntityDefinition(fields: fields)
        if let known = index[definition] { return .success(known) }
        catalog.append(definition)
        index[definition] = catalog.count - 1
        return .success(catalog.count - 1)
    }
}

extension RowFilter {
    func skips(_ text: String?) -> Bool {
        let holds: Bool
        switch condition {
        case .equals(let expected): holds = text == expected
        case .oneOf(let set): holds = text.map(set.contains) ?? false
        case .matches(let box): holds = text.map { box.regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil } ?? false
        case .empty: holds = text == nil
        }
        return negated ? !holds : holds
    }
}
