import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
@testable import SigportEmulator

extension HostileClientTests {
    @Suite("hostile clients: huge id lists, slow and stalled connections")
    struct Connections {
        /// Sends `head` on a fresh connection and reads to the close: the answer, or nil when the
        /// server closed (or reset) the connection without one.
        static func rawExchange(_ h: EmulatorHarness, _ head: ByteBuffer) async throws -> [UInt8]? {
            try await within(hostileBound, "a huge request line") {
                try await RawTCP.connect(to: h) { inbound, outbound in
                    do {
                        try await outbound.write(head)
                        let answer = try await RawTCP.readToClose(inbound)
                        return answer.isEmpty ? nil : answer
                    } catch {
                        return nil
                    }
                }
            }
        }

        @Test("100,000 ids in one ox URL (GET and DELETE): a quick 400 and a close (or just a close); a fresh connection is served next")
        func hundredThousandIDsInURL() async throws {
            try await OxFixture.with { ox in
                let token = try await ox.token()
                let sensor = try await ox.createOne(.sensor, token: token, OxSamples.sensor(org: ox.orgID()))
                let before = try await ox.snapshot()
                let ids = (1...100_000).map(String.init).joined(separator: ",")
                for method in ["GET", "DELETE"] {
                    let started = ContinuousClock.now
                    let answer = try await Self.rawExchange(ox.h, RawTCP.request(method, "sensor/\(sensor),\(ids)",
                                                                                  headers: [("Authorization", "bearer \(token)")]))
                    // NIO's HTTP/1 decoder refuses a head over 80 KiB (the URL here is 589 KB): a bare
                    // 400 and a close, before the API sees the request. A close alone would do too.
                    if let answer {
                        #expect(RawTCP.status(answer) == 400, "\(method): \(String(decoding: answer.prefix(200), as: UTF8.self))")
                        #expect(String(decoding: answer, as: UTF8.self).lowercased().contains("connection: close"))
                    }
                    #expect(ContinuousClock.now - started < .seconds(10))
                    try await RawTCP.stillServes(ox.h)
                }
                #expect(try await ox.snapshot() == before, "nothing deleted")
                expectOxEnvelope(try await ox.call(.GET, "sensor/\(sensor)", token: token), code: 200)
            }
        }

        /// SQLite refuses statements with more than SQLITE_MAX_VARIABLE_NUMBER parameters: 32,766 by
        /// default, 250,000 in Debian's and Ubuntu's builds, 500,000 in macOS's. Ids in a URL stop far
        /// below (the head is limited to 80 KiB), ids in an update body do not.
        /// 40,000 ids (past the default limit) in `make test`; 260,000 (past Debian's) in `make
        /// soak`, where the CPU it takes does not slow the timing-sensitive tests beside it.
        @Test("more ids in one ox update body than SQLite binds at once: the documented 404 naming every missing id; nothing changes")
        func manyIDsInBody() async throws {
            let count = ProcessInfo.processInfo.environment["SIGPORT_SOAK"] == "1" ? 260_000 : 40_000
            try await OxFixture.with { ox in
                let token = try await ox.token()
                let sensor = try await ox.createOne(.sensor, token: token, OxSamples.sensor(org: ox.orgID()))
                let before = try await ox.snapshot()
                let body = "{" + (1...count).map { #""\#($0)":{}"# }.joined(separator: ",") + #","\#(sensor)":{"sensor_version":"9"}}"#
                #expect(body.utf8.count < 9 * 1024 * 1024)
                // Reading 2.8 MB of JSON into JSONValue takes the emulator seconds (debug builds): a wider bound.
                let reply = try await within(.seconds(120), "PUT with \(count) ids") { try await ox.call(.PUT, "sensor", token: token, body: body) }
                // Decoded once: the answer names every id, megabytes of JSON.
                let json = reply.json
                // The ids are looked up in slices: SQLite binds at most 32,766 (or 250,000) parameters.
                do {
                    #expect(reply.status == 404, "\(String(decoding: reply.body.prefix(300), as: UTF8.self))")
                    #expect(json["status"] == .string("failure"))
                    #expect(json["data"]?.arrayValue?.count == count)
                }
                #expect(try await ox.snapshot() == before)
                try await RawTCP.stillServes(ox.h)
            }
        }

        @Test("a client dribbling its body a byte every 100 ms (4 s): another client is served meanwhile, and the slow request completes")
        func slowClient() async throws {
            try await EmulatorHarness.with { h in
                let body = HostileClientTests.insertRequest(h.integrationID, input: "slow", id: "slow")
                let dribbled = 40
                let (bodySent, fastDone) = try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
                    group.addTask {
                        let (sent, answer) = try await RawTCP.connect(to: h) { inbound, outbound in
                            try await outbound.write(RawTCP.request("POST", "v1/rpc", headers: [h.basicAuth, ("Content-Type", "application/json")],
                                                                    contentLength: body.count))
                            for byte in body.prefix(dribbled) {
                                try await outbound.write(ByteBuffer(bytes: [byte]))
                                try await Task.sleep(for: .milliseconds(100))
                            }
                            try await outbound.write(ByteBuffer(bytes: body.dropFirst(dribbled)))
                            return (ContinuousClock.now, try await RawTCP.readToClose(inbound))
                        }
                        #expect(RawTCP.status(answer) == 200)
                        let json = try JSONDecoder().decode(JSONValue.self, from: Data(RawTCP.body(answer)))
                        #expect(json["id"] == .string("slow"))
                        #expect(json["result"]?["signalsByInput"]?["slow"]?["created"] == .bool(true))
                        return sent
                    }
                    try await Task.sleep(for: .milliseconds(300))
                    try await h.insertOne("fast")
                    let fastDone = ContinuousClock.now
                    return (try await group.next()!, fastDone)
                }
                #expect(fastDone < bodySent, "the other client was answered while the slow body was still arriving")
                #expect(try await InsertTests.stored(h, "slow") == [1_709_251_200_000_000: 7])
                #expect(try await h.signalInputs() == ["fast", "slow"])
            }
        }

        @Test("a client that stops mid-body, then hangs up: others are served meanwhile, nothing is stored or counted as oversize")
        func stalledClient() async throws {
            try await EmulatorHarness.with { h in
                let body = HostileClientTests.insertRequest(h.integrationID, input: "stalled")
                try await RawTCP.connect(to: h) { _, outbound in
                    try await outbound.write(RawTCP.request("POST", "v1/rpc", headers: [h.basicAuth, ("Content-Type", "application/json")],
                                                            contentLength: body.count))
                    try await outbound.write(ByteBuffer(bytes: body.dropLast(10)))
                    try await Task.sleep(for: .milliseconds(200))
                    for i in 0..<3 { try await h.insertOne("other\(i)") }
                }
                // The server learns of the hang-up asynchronously: give it up to 2 s to count anything.
                let hungUp = ContinuousClock.now
                while await h.emulator.stats().sizeViolations == 0, ContinuousClock.now - hungUp < .seconds(2) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await h.signalInputs() == ["other0", "other1", "other2"])
                let stats = await h.emulator.stats()
                do {
                    #expect(stats.sizeViolations == 0, "the client sent nothing over the limit")
                }
                try await RawTCP.stillServes(h)
            }
        }

        @Test("the emulator stops promptly while a client is stalled mid-body")
        func stopWithStalledClient() async throws {
            let (hangUp, hangUpNow) = AsyncStream<Void>.makeStream()
            final class Flag: Sendable {
                let raised = Mutex(false)
                var isRaised: Bool { raised.withLock { $0 } }
            }
            let stopped = Flag()
            // Timed from the end of the body, not from the start: setting the emulator up may
            // take long on a loaded machine; stopping it is what must not wait for the client.
            let bodyDone = Mutex<ContinuousClock.Instant?>(nil)
            let run = Task {
                defer { stopped.raised.withLock { $0 = true } }
                try await EmulatorHarness.with { h in
                    let (opened, openedNow) = AsyncStream<Void>.makeStream()
                    Task {
                        try await RawTCP.connect(to: h) { _, outbound in
                            try await outbound.write(RawTCP.request("POST", "v1/rpc", headers: [h.basicAuth], contentLength: 1000))
                            try await outbound.write(ByteBuffer(string: #"{"jsonrpc":"2.0","#))
                            openedNow.yield()
                            for await _ in hangUp {}
                        }
                    }
                    for await _ in opened { break }
                    try await Task.sleep(for: .milliseconds(200))
                    try await h.insertOne("meanwhile")
                    bodyDone.withLock { $0 = .now }
                }
            }
            let started = ContinuousClock.now
            while !stopped.isRaised, ContinuousClock.now - (bodyDone.withLock { $0 } ?? ContinuousClock.now) < .seconds(10),
                  ContinuousClock.now - started < .seconds(120) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(stopped.isRaised, "the emulator stopped within 10 s while the stalled connection was open")
            hangUpNow.finish()
            try await run.value
        }
    }
}
