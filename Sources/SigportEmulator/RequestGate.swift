import Foundation
import Hummingbird
import NIOCore
import SigportContract

/// Renders an `APIError` as one API's wire format.
protocol APIDialect: Sendable {
    func response(for error: APIError, requestID: JSONValue?) -> Response
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
        self.pace = PaceLimiter(interval: configuration.requestInterval, tolerance: configuration.paceTolerance)
        self.faults = FaultInjector(configuration: configuration.faults)
        self.stats = stats
    }

    /// - Parameters:
    ///   - authenticate: names the credential the request is paced under, or throws a 401/403.
    ///   - handle: the API's work, given the whole body.
    func run<Caller: Sendable>(
        _ request: Request,
        route: String,
        dialect: some APIDialect,
        authenticate: @Sendable (Request, ByteBuffer) async throws -> (credential: String, caller: Caller),
        handle: @Sendable (Request, ByteBuffer, Caller) async throws -> Response
    ) async -> Response {
        await stats.enter()
        let response = await admit(request, route: route, dialect: dialect, authenticate: authenticate, handle: handle)
        await stats.leave()
        return response
    }

    private func admit<Caller: Sendable>(
        _ request: Request,
        route: String,
        dialect: some APIDialect,
        authenticate: @Sendable (Request, ByteBuffer) async throws -> (credential: String, caller: Caller),
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

        var request = request
        let limit = configuration.maxRequestBytes
        let body: ByteBuffer
        do {
            if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
                throw BodyTooLarge()
            }
            body = try await request.collectBody(upTo: limit)
        } catch is BodyTooLarge, is NIOTooManyBytesError {
            await stats.recordSizeViolation()
            return dialect.response(for: APIError(
                status: .contentTooLarge, rpcCode: .invalidRequest,
                message: "Request body over the limit of \(limit) bytes: split it into smaller requests"), requestID: nil)
        } catch {
            // The client hung up mid-body (or the body could not be read): no size violation,
            // and nothing to answer that anyone will read.
            return dialect.response(for: APIError(status: .badRequest, rpcCode: .invalidRequest,
                                                  message: "The request body could not be read"), requestID: nil)
        }

        do {
            let (credential, caller) = try await authenticate(request, body)
            if case .refuse(let retryAfter) = await pace.admit(credential, arrivedAt: arrival) {
                await stats.recordPaceViolation()
                let seconds = Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up))
                return dialect.response(for: APIError(
                    status: .tooManyRequests, rpcCode: .tryAgain,
                    message: "Rate limit exceeded: at most 1 request per \(configuration.requestInterval) per credential",
                    retryAfterSeconds: max(1, seconds)), requestID: nil)
            }
            await stats.record(route: route, bodyBytes: body.readableBytes)
            let response = try await handle(request, body, caller)
            return fault == .cutAfterCommit ? Self.cutConnection() : response
        } catch let error as APIError {
            return dialect.response(for: error, requestID: nil)
        } catch {
            return dialect.response(for: APIError(status: .internalServerError, rpcCode: .internalError, message: "Internal error"), requestID: nil)
        }
    }

    private struct BodyTooLarge: Error {}
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
