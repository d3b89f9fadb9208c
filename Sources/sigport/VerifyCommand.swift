import ArgumentParser
import Foundation
import Sigport

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read back what a run sent and compare it with the API, series by series.",
        discussion: """
        The checkpoint of an import or migration keeps, per answered request and signal, the \
        count, first and last time and a checksum of the (time, value) pairs it sent (ox: every \
        event it created). verify reads the API and compares: integration signals with \
        clarify.dataFrame over each signal's own time range (40 days and 50 items a call), ox \
        events by id. It needs neither the inputs nor memory that grows with them, and says how \
        many requests it takes before the first; paced like every job, and resumable: a killed \
        verify goes on from the last window done.

        Times are compared to the millisecond, as the API shows them. Per series it reports \
        expected vs found, missing, extra (values the API holds within the series' range that were \
        not sent) and changed values. A signal some of whose values replaced earlier ones \
        (duplicates: keep-last) is compared by count only. ox lists no events, so ox has no \
        extra. The API reads data through items only: signals without one are published as \
        hidden items (visible: false) first, said before it is done; --no-publish reads only \
        published signals and reports the others as not read.

        Exit codes: 0 every series matches; 8 a series differs or was not read; 4 no checkpoint \
        or no credentials for the run's API; 6 the API refused or did not answer (resumable).

        Example:
          sigport verify sigport-run --credentials creds.json
        """)

    @Argument(help: ArgumentHelp("The run directory of an import or migration.", valueName: "run-dir"))
    var runDir = "sigport-run"

    @OptionGroup var target: TargetOptions

    @Flag(help: "Do not publish signals that have no item; report them as not read.")
    var noPublish = false

    @Option(help: "Pace every method at this many requests per second instead of its documented rate.")
    var requestsPerSecond: Double?

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if let requestsPerSecond, requestsPerSecond <= 0 { throw ValidationError("--requests-per-second must be positive.") }
    }

    func run() async throws {
        do {
            try await target.withTransport { transport in
                let run = URL(fileURLWithPath: runDir)
                guard let api = try Verifier.runTarget(run) else {
                    throw CommandFailure(exitCode: .inputUnreadable, message: "\(runDir) has no checkpoint of an import or migration.")
                }
                let verifier = try Self.verifier(run: run, api: api, target: target, transport: transport, requestsPerSecond: requestsPerSecond,
                                                 publish: !noPublish, json: json)
                try Self.finish(try await verifier.run(), json: json)
            }
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    /// A verifier of the run in `run` against the API it wrote to, with the credentials given.
    static func verifier(run: URL, api: String, target: TargetOptions, transport: HTTPTransport, requestsPerSecond: Double?,
                         publish: Bool, json: Bool) throws -> Verifier {
        let credentials = try Credentials.load(path: target.credentials)
        var options = Verifier.Options(runDirectory: run)
        options.publish = publish
        let client: Verifier.Target
        if api == "ox" {
            guard let ox = credentials.ox else { throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox section.") }
            let org = try Verifier.oxOrg(run)
            guard let entry = ox.orgs.first(where: { $0.org == org }) ?? (org == nil ? ox.orgs.first : nil) else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox client for org \(org ?? "?"), which the run wrote to.")
            }
            client = .ox(try OxClient(apiUrl: ox.apiUrl, org: entry, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                      requestsPerSecond: requestsPerSecond))
        } else {
            guard let integration = credentials.integration else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no integration section.")
            }
            client = .integration(try IntegrationClient(credentials: integration, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                                        requestsPerSecond: requestsPerSecond))
        }
        let note: @Sendable (String) -> Void = { Self.note($0, json: json) }
        return try Verifier(target: client, options: options) { event in
            switch event {
            case .estimate(let e):
                note("verify: \(e.series) series in \(e.steps) step\(e.steps == 1 ? "" : "s")" + (e.stepsDone > 0 ? " (\(e.stepsDone) done by an earlier verify)" : "")
                    + ", about \(e.requests) requests")
            case .publishing(let n):
                note("verify: publishing \(n) signals without an item as hidden items (visible: false) to read them; --no-publish reads only published signals")
            case .step(let done, let total):
                note("verify: step \(done) of \(total) done")
            }
        }
    }

    /// Prints the report; throws exit 8 unless every series matched.
    static func finish(_ report: Verifier.Report, json: Bool) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(summary(report))
        }
        guard report.allMatch else {
            throw CommandFailure(exitCode: .verifyMismatch, message: report.checks.isEmpty ? "nothing to verify" : "the API does not hold what the run sent")
        }
    }

    static func summary(_ report: Verifier.Report) -> String {
        var lines: [String] = []
        for check in report.checks {
            var line = "\(check.series): \(check.outcome.rawValue) expected \(check.expected.count), found \(check.found.count)"
            if check.missing > 0 { line += ", \(check.missing) missing" }
            if let extra = check.extra, extra > 0 { line += ", \(extra) extra in range" }
            if let changed = check.changed, changed > 0 { line += ", \(changed) changed" } else if check.valuesDiffer { line += ", values changed" }
            if let first = check.expected.first, let last = check.expected.last { line += " [\(time(first)) … \(time(last))]" }
            if check.replaced > 0 { line += " (\(check.replaced) replaced earlier values: compared by count)" }
            if let note = check.note { line += " (\(note))" }
            lines.append(line)
        }
        let counts = Dictionary(report.checks.map { ($0.outcome, 1) }, uniquingKeysWith: +)
        lines += report.notes.map { "note: \($0)" }
        lines.append("\(report.checks.count) series: \(counts[.match] ?? 0) match, \(counts[.mismatch] ?? 0) differ, \(counts[.unread] ?? 0) not read; "
            + String(format: "%d requests, %.1f s", report.requests, report.seconds))
        return lines.joined(separator: "\n")
    }

    private static func time(_ micros: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1e6))
    }

    /// A line of progress: with the report on standard output, or on standard error when that
    /// holds the JSON report alone.
    private static func note(_ text: String, json: Bool) {
        if json { FileHandle.standardError.write(Data((text + "\n").utf8)) } else { print(text) }
    }
}
