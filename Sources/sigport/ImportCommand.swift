import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load historical readings into the integration API or the ox API, resumably.",
        discussion: """
        Reads and validates the inputs as `validate` does, saves the signals' metadata, and sends \
        the values in integration.insert requests packed up to the declared version's size limit \
        (1.1: 8,000,000 bytes; rows of several files together) at each method's documented pace \
        (1.1: 1 insert and 1 saveSignals a second, each in its own lane), building the next \
        request while one is in flight, retrying 429s, 5xx and dropped connections. Rows the API \
        refuses are isolated by splitting the request and go to the reject file; the rest is sent. \
        On a terminal a status line shows rows, bytes, requests, req/s and the ETA.

        Everything is recorded in <run-dir>/checkpoint.sqlite: run the same command again after a \
        kill, a crash or a budget stop and it resumes where it stopped — nothing lost, nothing sent \
        twice (inserts are idempotent, so the one request whose answer never came is sent again). \
        It refuses to resume when the mapping or an input changed.

        With a `target: ox` mapping it creates the sensors and beacons the rows name (once each), \
        then the events in POST /event arrays, recording every created event's id in the \
        checkpoint. ox creates are not idempotent: a request whose answer was lost (dropped \
        connection, HTTP 500) is "in doubt", and --in-doubt decides what to do with it (default:
        stop with exit 6 so that it can be checked first).

        Exit codes: 0 done; 1 done, some rows rejected; 2 invalid mapping; 3 --max-rejects \
        exceeded; 4 an input cannot be used; 5 stopped by --max-requests or --deadline (resumable); \
        6 the API refused or did not answer (resumable); 8 --verify found the API holding \
        otherwise than the run sent.

        Example:
          sigport import --credentials creds.json --mapping Mappings/gateway-wide.yaml samples/gateway/
        """)

    @OptionGroup var options: MappingOptions
    @OptionGroup var target: TargetOptions

    @Option(help: "Stop cleanly after this many requests (a quota); run again to go on.")
    var maxRequests: Int?

    @Option(help: ArgumentHelp("Stop cleanly at this time (RFC 3339, e.g. 2026-12-01T06:00:00Z); run again to go on.", valueName: "time"))
    var deadline: String?

    @OptionGroup var limits: LimitOptions

    @OptionGroup var api: APIVersionOption

    @Option(help: ArgumentHelp("ox target: what to do with a create whose answer was lost (resend: send it again, duplicates possible; skip: leave it, its events counted as in doubt; stop: exit 6 to check first).", valueName: "resend|skip|stop"))
    var inDoubt: InDoubtPolicy = .stop

    @Option(help: "Integration API: requests in flight at once, still paced; they overlap only when one takes longer than the pace's interval.")
    var maxInFlight = 2

    @Flag(help: "Print one JSON object per event (requests, retries, progress) instead of a status line or log lines.")
    var json = false

    @Flag(help: "When the import is done, read back what it sent and compare, as `sigport verify` does (exit 8 if the API holds otherwise).")
    var verify = false

    func validate() throws {
        if let deadline, ISO8601DateFormatter().date(from: deadline) == nil {
            throw ValidationError("--deadline takes an RFC 3339 time such as 2026-12-01T06:00:00Z.")
        }
        if let maxRequests, maxRequests < 1 { throw ValidationError("--max-requests must be at least 1.") }
        guard (1...16).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be between 1 and 16.") }
    }

    func run() async throws {
        do { try await target.withTransport { try await run(transport: $0) } } catch { throw CommandFailure.exit(error) }
    }

    private func run(transport: HTTPTransport) async throws {
        do {
            let mapping = try options.loadMapping()
            let inputs = try options.resolveInputs()
            let credentials = try Credentials.load(path: target.credentials)
            if mapping.target == .ox {
                try await runOx(mapping: mapping, inputs: inputs, credentials: credentials, transport: transport)
                return
            }
            guard let integration = credentials.integration else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no integration section.")
            }
            let client = try IntegrationClient(credentials: integration, version: api.apiVersion, allowInsecureHTTP: target.allowInsecureHttp,
                                               transport: transport, requestsPerSecond: limits.requestsPerSecond)
            let importOptions = makeImportOptions(requestLimit: client.requestLimit)
            let feedback = ImportFeedback(json: json)
            let importer = try Importer(mapping: mapping, inputs: inputs, client: client, options: importOptions, onEvent: feedback.handle)
            let report: Importer.Report
            do { report = try await importer.run() } catch let error as SigportError {
                feedback.finish()
                let code = SigportExitCode(error)
                throw CommandFailure(exitCode: code, message: "\(error)")
            }
            feedback.finish()
            print(Self.summary(report))
            try options.writeReport(report)
            try await verifyIfAsked(report, api: "integration", transport: transport)
            if let stopped = report.stopped {
                throw ExitCode(stopped.contains("rejected") ? SigportExitCode.rejectLimitExceeded.rawValue : SigportExitCode.partial.rawValue)
            }
            if report.total.rejected > 0 { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    private func runOx(mapping: Mapping, inputs: [InputFile], credentials: Credentials, transport: HTTPTransport) async throws {
        guard let ox = credentials.ox else {
            throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox section.")
        }
        let report: Importer.Report
        do {
            let org = try OxImporter.org(for: mapping, in: ox)
            let client = try OxClient(apiUrl: ox.apiUrl, org: org, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                      requestsPerSecond: limits.requestsPerSecond)
            let importOptions = makeImportOptions(requestLimit: OxContract.maxRequestBytes)
            let feedback = ImportFeedback(json: json)
            defer { feedback.finish() }
            let importer = try OxImporter(mapping: mapping, inputs: inputs, client: client, options: importOptions, onEvent: feedback.handle)
            report = try await importer.run()
        } catch let error as SigportError {
            let code = SigportExitCode(error)
            throw CommandFailure(exitCode: code, message: "\(error)")
        }
        print(Self.summary(report, ox: true))
        try options.writeReport(report)
        try await verifyIfAsked(report, api: "ox", transport: transport)
        if report.undecidedChunks > 0 {
            throw CommandFailure(exitCode: .apiFailed, message: report.stopped ?? "\(report.undecidedChunks) request(s) in doubt")
        }
        if let stopped = report.stopped {
            throw ExitCode(stopped.contains("rejected") ? SigportExitCode.rejectLimitExceeded.rawValue : SigportExitCode.partial.rawValue)
        }
        if report.total.rejected > 0 { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
    }

    /// `--verify`: once the import is done (not stopped), its run verified; exit 8 on a difference.
    private func verifyIfAsked(_ report: Importer.Report, api: String, transport: HTTPTransport) async throws {
        guard verify, report.stopped == nil else { return }
        let verifier = try VerifyCommand.verifier(run: URL(fileURLWithPath: options.runDir), api: api, target: target, transport: transport,
                                                  requestsPerSecond: limits.requestsPerSecond, publish: true, json: json)
        try VerifyCommand.finish(try await verifier.run(), json: json)
    }

    /// The flags as the library's options (one set for both APIs); `requestLimit` is the target's.
    private func makeImportOptions(requestLimit: Int) -> ImportOptions {
        var importOptions = ImportOptions(runDirectory: URL(fileURLWithPath: options.runDir))
        importOptions.maxRequestBytes = limits.maxRequestBytes ?? requestLimit
        importOptions.maxRejects = options.maxRejects.flatMap(RejectLimit.init)
        importOptions.maxRequests = maxRequests
        importOptions.deadline = deadline.flatMap { ISO8601DateFormatter().date(from: $0) }
        importOptions.inDoubt = inDoubt
        importOptions.maxInFlight = maxInFlight
        return importOptions
    }

    /// The ox creates of a run that got no answer, and the most they can have added: the import
    /// and `migrate ox` say it alike.
    static func unanswered(_ u: UnansweredCreates, holder: String) -> String {
        guard u.requests > 0 else { return "" }
        return "; without an answer (all sessions): \(u.requests) create requests of \(u.events) events and \(u.entities) sensors/beacons"
            + " — \(holder) holds at most that many more than the ledger names (duplicates where sent again)"
    }

    static func summary(_ report: Importer.Report, ox: Bool = false) -> String {
        let t = report.total
        var lines = ["rows read \(t.read) = sent \(t.mapped) + rejected \(t.rejected) + filtered \(t.filtered)\(report.resumed ? " (resumed run: counts include earlier sessions)" : "")"]
        lines.append(
            ox ? "\(report.events) events created for \(report.sensors) sensors and \(report.beacons) beacons"
                + "; in doubt: \(report.inDoubtChunks + report.undecidedChunks) requests, \(report.inDoubtEvents + report.undecidedEvents) events"
                + (report.undecidedChunks > 0 ? " (\(report.undecidedChunks) requests, \(report.undecidedEvents) events undecided)" : "")
                + Self.unanswered(report.unanswered, holder: "the org")
               : "\(t.values) values for \(report.signals) signals")
        lines += Validation.breakdown(report.files, total: t, mapped: "sent")
        lines.append(String(format: "requests: %d, %d bytes, mean fill %.1f%% of %d bytes", report.requests.requests, report.requests.bytes, report.requests.meanFill * 100, report.requests.limit))
        for (method, m) in report.requests.byMethod.sorted(by: { $0.key < $1.key }) { lines.append("  \(method): \(m.requests) requests, \(m.bytes) bytes") }
        lines.append("HTTP statuses: " + report.httpStatuses.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        lines.append(String(format: "time: %.1f s, of which %.1f s waiting on the pace and %.1f s backing off (%d retries)",
                            report.seconds, report.secondsWaitingOnPace, report.secondsRetrying, report.retries))
        if let file = report.rejectsFile { lines.append("rejects: \(file)") }
        if let stopped = report.stopped {
            let rest = report.remainingRequests.map { n in
                "; about \(n) more requests remain" + (report.remainingSeconds.map { " (~\(ImportFeedback.duration($0)) at this session's rate)" } ?? "")
            } ?? ""
            lines.append("stopped: \(stopped)\(rest)\(stopped.contains("--in-doubt") ? "" : "; run the same command again to go on")")
        }
        return lines.joined(separator: "\n")
    }
}
extension InDoubtPolicy: ExpressibleByArgument {}
