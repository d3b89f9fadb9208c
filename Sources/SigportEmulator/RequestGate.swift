import Foundation
import Hummingbird
import NIOCore
import SigportContract

/// Renders an `APIError` as one API's wire format.
protocol APIDialect: Sendable {
    func response(for error: APIError, requestID: JSONValue?) -> Response
}

/// Who a request acts for and the budget it is counted in, as an API's authentication found it.
struct Admission<Caller: Sendable>: Sendable {
    let lane: PaceLane
    let caller: Caller
}

/// Every API request passes here: injected faults, the size limit, authentication, the pace, then
/// the handler. Both APIs share the gate so their limits behave the same way.
struct RequestGate: Sendable {
    let configuration: EmulatorConfiguration
    let pace: PaceLimiter
    let faults: FaultInjector
    let stats: EmulatorStats

    init(configuration: EmulatorConfiguration, stats: EmulatorStats) {
        self.configuration = configuration
        self.pace = PaceLimiter(tolerance: configuration.paceTolerance, queueLimit: configuration.queueLimit)
        self.faults = FaultInjector(configuration: configuration.faults)
        self.stats = stats
    }

    /// The lane `name` of `credential`, at `requestsPerSecond` scaled by the configured interval.
    func lane(_ name: String, of credential: String, requestsPerSecond: Double, overRate: OverRatePolicy) -> PaceLane {
        PaceLane(key: credential + "|" + name, interval: configuration.requestInterval / requestsPerSecond,
                 overRate: overRate, name: name)
    }

    /// - Parameters:
    ///   - bodyLimit: the largest body accepted, in bytes.
    ///   - authenticate: names the lane the request is paced in and the caller, or throws a 401/403.
    ///   - handle: the API's work, given the whole body.
    func run<Caller: Sendable>(
        _ request: Request,
        route: String,
        dialect: some APIDialect,
        bodyLimit: Int,
        authenticate: @Sendable (Request, ByteBuffer) async throws -> Admission<Caller>,
        handle: @Sendable (Request, ByteBuffer, Caller) async throws -> Response
    ) async -> Response {
        await stats.enter()
        let response = await admit(request, route: route, dialect: dialect, bodyLimit: bodyLimit, authenticate: authenticate, handle: handle)
        await stats.leave()
        return response
    }

    private func admit<Caller: Sendable>(
        _ request: Request,
        route: String,
        dialect: some APIDialect,
        bodyLimit limit: Int,
        authenticate: @Sendable (Request, ByteBuffer) async throws -> Admission<Caller>,
        handle: @Sendable (Request, ByteBuffer, Caller) async throws -> Response
    ) async -> Response {
        let arrival = ArrivalStamp.arrival(of: request.headers, now: configuration.paceClock.now())
        let fault = await faults.draw()
        if let fault { await stats.recordFault(fault) }
        switch fault {
        case .error500:
            return dialect.response(for: APIError(status: .internalServerError, rpcCode: .internalError, message: "Injected fault: internal error"), requestID: nil)
        case .error503:
            return dialect.response(for: APIError(status: .serviceUnavailable, rpcCode: .tryAgain, message: "Injected fault: service unavailable, try again"), requestID: nil)
        case .tooManyRequests:
            return dialect.response(for: APIError(status: .tooManyRequests, rpcCode: .tryAgain, message: "Injected fault: too many requests", retryAfterSeconds: 1), requestID: nil)
        case .delay:
            try? await Task.sleep(for: configuration.faults.delay)
        case .cutAfterCommit, nil:
            break
        }

        let body: ByteBuffer
        switch await BodyReader.read(request, limit: limit) {
        case .whole(let whole):
            body = whole
        case .tooLarge:
            await stats.recordSizeViolation()
            var response = dialect.response(for: APIError(
                status: .contentTooLarge, rpcCode: .invalidRequest,
                message: "Request body over the limit of \(limit) bytes: split it into smaller requests"), requestID: nil)
            response.headers[.connection] = "close"
            return response
        case .unreadable:
            // The client hung up mid-body (or the body could not be read): no size violation,
            // and nothing to answer that anyone will read.
            return dialect.response(for: APIError(status: .badRequest, rpcCode: .invalidRequest,
                                                  message: "The request body could not be read"), requestID: nil)
        }

        do {
            let admission = try await authenticate(request, body)
            if let refusal = await wait(for: admission.lane, arrival: arrival) {
                return dialect.response(for: refusal, requestID: nil)
            }
            await stats.record(route: route, bodyBytes: body.readableBytes)
            let response = try await handle(request, body, admission.caller)
            return fault == .cutAfterCommit ? Self.cutConnection() : response
        } catch let error as APIError {
            return dialect.response(for: error, requestID: nil)
        } catch {
            return dialect.response(for: APIError(status: .internalServerError, rpcCode: .internalError, message: "Internal error"), requestID: nil)
        }
    }

    /// Holds a request until its lane serves it; nil when it may go on, else the error it gets
    /// (429 in reject mode, the queue's time-out in throttle mode, after waiting the queue limit).
    private func wait(for lane: PaceLane, arrival: ContinuousClock.Instant) async -> APIError? {
        let decision = await pace.admit(lane, arrivedAt: arrival)
        switch decision {
        case .serve(let slot, let overRate):
            if overRate {
                await stats.recordPaceViolation(lane: lane.name, outcome: decision)
                await configuration.paceClock.sleep(slot)
            }
            return nil
        case .refuse(let retryAfter):
            await stats.recordPaceViolation(lane: lane.name, outcome: decision)
            let seconds = Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up))
            return APIError(status: .tooManyRequests, rpcCode: .tryAgain,
                            message: "Rate limit exceeded: at most 1 request per \(lane.interval) in \(lane.name) per credential",
                            retryAfterSeconds: max(1, seconds))
        case .timeOut:
            await stats.recordPaceViolation(lane: lane.name, outcome: decision)
            await configuration.paceClock.sleep(arrival + configuration.queueLimit)
            return APIError(status: .ok, rpcCode: .tryAgain,
                            message: "Request timed out after \(configuration.queueLimit) in the rate limit's queue of \(lane.name) (1 request per \(lane.interval)): send it again later, more slowly")
        }
    }

    private struct ConnectionCut: Error {}

    /// A response that promises a body and then fails, which makes the server close the
    /// connection: the client sees a dropped connection although the write was committed.
    static func cutConnection() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(contentLength: 64) { writer in
            try await writer.write(ByteBuffer(string: "{"))
            throw ConnectionCut()
        })
    }
}

extension Response {
    /// A JSON response from an `Encodable` value.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
