import Foundation
import SigportContract

extension Verifier {
    /// A window of time and the signals whose sent range it meets.
    struct IntegrationStep {
        var from: Int64
        var to: Int64
        var signals: [String]
    }

    /// Each signal read over its own time range, in the contract's raw-data windows, and summed
    /// into the digest of what the API holds there.
    func verifyIntegration(_ client: IntegrationClient) async throws -> Report {
        var report = Report()
        report.target = "integration"
        let sent = try checkpoint.sentSeries()
        let unrecorded = try checkpoint.insertsWithoutSeries()
        if unrecorded > 0 {
            report.notes.append("\(unrecorded) answered inserts have no record of what they sent (every row refused, or answered by a sigport from before verify): values they sent count as extra")
        }
        guard !sent.isEmpty else {
            report.notes.append("the checkpoint records no values sent (nothing answered yet, or a run of a sigport before verify)")
            return report
        }
        let steps = Self.integrationSteps(sent)
        let parameters = Checkpoint.hash("integration \(client.credentials.integration) publish=\(options.publish)\n"
            + sent.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.digest.count) \($0.value.digest.checksum) \($0.value.replaced)" }.joined(separator: "\n"))
        let (done, restored) = try checkpoint.beginVerify(parameters: parameters, steps: steps.count)
        var found = restored
        let selectPages = max(1, (sent.count + IntegrationContract.maxSelectLimit - 1) / IntegrationContract.maxSelectLimit)
        let reads = steps[done...].reduce(0) { $0 + ($1.signals.count + IntegrationContract.maxDataFrameItems - 1) / IntegrationContract.maxDataFrameItems }
        report.estimate = Estimate(series: sent.count, steps: steps.count, stepsDone: done, requests: selectPages + reads)
        onEvent(.estimate(report.estimate))

        var selection = IntegrationExportSource.Selection()
        selection.inputIDs = sent.keys.sorted()
        selection.publish = options.publish
        selection.skipUnpublished = !options.publish
        let onEvent = self.onEvent
        let source = IntegrationExportSource(client: client, selection: selection, maxAttempts: options.maxAttempts,
                                             willPublish: { onEvent(.publishing(signals: $0)) })
        let listed = try await source.prepare()
        report.notes += listed.notes
        let index = Dictionary(listed.series.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a })
        let ms = SeriesDigest.millisecond
        try await walk(steps, from: done, found: &found) { step, found in
            let read = step.signals.compactMap { index[$0] }
            try await source.records(in: ExportWindow(from: step.from, to: step.to, name: ""), series: read) { record in
                let key = listed.series[record.series].key
                // Within what was sent to the signal, at the precision the API shows times.
                guard let range = sent[key]?.digest, ms(range.first) <= ms(record.time), ms(record.time) <= ms(range.last),
                      case .real(let value) = record.value else { return }
                found[key, default: FoundSeries()].digest.add(time: record.time, value: value)
            }
            return Set(step.signals)
        }
        report.requests = source.requests
        for (key, series) in sent {
            report.checks.append(index[key] == nil
                ? .unread(key, sent: series, note: options.publish ? "the API lists no signal with this input ID" : "no item, and --no-publish")
                : .integration(key, sent: series, found: found[key]))
        }
        return report
    }

    /// Windows of the contract's raw-data span from the earliest value sent to just past the
    /// latest (whole milliseconds, as the API shows times), each with the signals it meets.
    static func integrationSteps(_ sent: [String: SentSeries]) -> [IntegrationStep] {
        let ms = SeriesDigest.millisecond
        let ranges = sent.map { (key: $0.key, from: ms($0.value.digest.first) * 1000, to: (ms($0.value.digest.last) + 1) * 1000) }.sorted { $0.key < $1.key }
        guard let low = ranges.map(\.from).min(), let high = ranges.map(\.to).max() else { return [] }
        let span = IntegrationContract.rawWindowSeconds * 1_000_000
        return stride(from: low, to: high, by: Int(span)).compactMap { from in
            let to = min(from + span, high)
            let signals = ranges.filter { $0.from < to && from < $0.to }.map(\.key)
            return signals.isEmpty ? nil : IntegrationStep(from: from, to: to, signals: signals)
        }
    }
}
