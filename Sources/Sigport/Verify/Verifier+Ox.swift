import Foundation

extension Verifier {
    /// The events the run created, retrieved by id and compared with the checkpoint's copy.
    /// ox lists no events, so events nobody recorded (a create sent again after a lost answer,
    /// one made by someone else) cannot be found: an ox check has no `extra`.
    func verifyOx(_ client: OxClient) async throws -> Report {
        var report = Report()
        report.target = "ox"
        let org = client.org.org
        guard let total = try checkpoint.oxEventOrgs()[org], total > 0 else {
            report.notes.append("the checkpoint records no events created in org \(org)")
            return report
        }
        // What was created, per series, and the steps (each named by its first id): one pass over the ledger.
        var sent: [String: SentSeries] = [:]
        var steps: [String] = []
        var requests = 0
        let prefix = client.endpoint.url("event/").count
        let reader = OxInventoryReader(source: client, fallback: nil)
        var step: [String] = []
        func endStep() {
            requests += OxInventoryReader.urlBatches(step, prefix: prefix, limit: reader.maxURLBytes).count
            step.removeAll(keepingCapacity: true)
        }
        try checkpoint.forEachOxEvent(org: org, byID: true) { event in
            sent[Self.key(event), default: SentSeries()].digest.add(time: event.timestampMs * 1000, reading: event.reading)
            if step.isEmpty { steps.append(event.id) }
            step.append(event.id)
            if step.count == options.eventsPerStep { endStep() }
        }
        endStep()
        let parameters = Checkpoint.hash("ox \(org) \(total)\n" + sent.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.digest.count) \($0.value.digest.checksum)" }.joined(separator: "\n"))
        let (done, restored) = try checkpoint.beginVerify(parameters: parameters, steps: steps.count)
        var found = restored
        // Each step holds as many events; the estimate of the steps left scales the whole.
        report.estimate = Estimate(series: sent.count, steps: steps.count, stepsDone: done,
                                   requests: steps.isEmpty ? 0 : (requests * (steps.count - done) + steps.count - 1) / steps.count)
        onEvent(.estimate(report.estimate))
        try await walk(steps, from: done, found: &found) { first, found in
            let events = try checkpoint.oxEvents(org: org, from: first, limit: options.eventsPerStep)
            let answered = Dictionary(try await reader.retrieve(client, "event", events.map(\.id), ownedBy: nil, dropForbidden: true),
                                      uniquingKeysWith: { a, _ in a })
            var touched = Set<String>()
            for event in events {
                let key = Self.key(event)
                touched.insert(key)
                guard let document = answered[event.id] else { continue }
                var series = found[key, default: FoundSeries()]
                if let now = OxExportSource.event(event.id, document) {
                    series.digest.add(time: now.timestampMs * 1000, reading: now.reading)
                    if now.timestampMs != event.timestampMs || now.reading != event.reading || now.type != event.type
                        || now.sensor != event.sensor || now.beacon != event.beacon { series.changed += 1 }
                } else {
                    // Found without a time, reading or type: counted as there, and as changed.
                    series.digest.count += 1
                    series.changed += 1
                }
                found[key] = series
            }
            return touched
        }
        report.requests = reader.requests
        report.checks = sent.map { .ox($0.key, sent: $0.value, found: found[$0.key]) }
        report.notes.append("ox lists no events: only the events this run recorded are read, so events created twice after a lost answer are not found here")
        return report
    }

    /// A series of ox events: the sensor's entity id and the event type.
    static func key(_ event: OxEventRecord) -> String { event.sensor + "/" + event.type }
}
