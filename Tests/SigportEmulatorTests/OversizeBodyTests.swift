import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import SigportEmulator

/// A body over the limit gets its 413, and the client reads it: the emulator drains the body before
/// answering and closing. Checked with three clients that each handle a server that answers early
/// in their own way: Python's `urllib`, `requests`, and async-http-client.
@Suite("an oversized body's 413 reaches the client")
struct OversizeBodyTests {
    static let python = ProcessInfo.processInfo.environment["SIGPORT_PYTHON"]
    /// 1.1's limit and a mebibyte more: large enough that the client is still sending when the
    /// server knows the answer.
    static let size = 9 * 1024 * 1024

    @Test("async-http-client sees 413, also with Connection: close, and the next request on a new connection is served")
    func asyncHTTPClient() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            for close in [false, true] {
                var headers = [h.basicAuth, ("X-API-Version", "1.1")]
                if close { headers.append(("Connection", "close")) }
                let reply = try await h.send(.POST, "v1/rpc", headers: headers, body: Data(repeating: 0x20, count: Self.size))
                #expect(reply.status == 413, "Connection: close \(close)")
                #expect(reply.json.rpcCode == -32600)
            }
            let after = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","signalsByInput":{}}"#)
            #expect(after.status == 200)
        }
    }

    @Test("Python's urllib and requests see 413 with its JSON-RPC body",
          .enabled(if: python != nil, "needs SIGPORT_PYTHON with requests installed; `make test` sets it up"),
          .timeLimit(.minutes(1)))
    func pythonClients() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            let auth = h.basicAuth.1
            let script = """
            import json, sys, urllib.request, urllib.error, requests
            url, auth, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
            headers = {"Authorization": auth, "Content-Type": "application/json", "X-API-Version": "1.1"}
            body = b" " * size
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30)
                print("urllib: no error")
            except urllib.error.HTTPError as e:
                print("urllib:", e.code, json.loads(e.read())["error"]["code"])
            r = requests.post(url, data=body, headers=headers, timeout=30)
            print("requests:", r.status_code, r.json()["error"]["code"])
            """
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sigport-413-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let output = directory.appendingPathComponent("output.txt")
            let status = try await PyclarifyConformanceTests.run(Self.python!, ["-c", script, h.baseURL + "v1/rpc", auth, String(Self.size)], output: output)
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(status == 0, "\(text)")
            #expect(text.contains("urllib: 413 -32600"), "\(text)")
            #expect(text.contains("requests: 413 -32600"), "\(text)")
            #expect(await h.emulator.stats().sizeViolations == 2)
        }
    }
    /// 96 MiB: past the 64 MiB the emulator used to read before giving up, by more than the
    /// sockets' buffers hold. Python's timeout bounds the whole `sendall` (50 s: the debug
    /// emulator reads slowly beside the rest of `make test`; alone it takes under a second).
    @Test("a 96 MiB body with Connection: close, sent whole before reading (a blocking sendall): the emulator reads it to its end and the 413 arrives",
          .enabled(if: python != nil, "needs SIGPORT_PYTHON; `make test` sets it up"), .timeLimit(.minutes(2)))
    func hugeBodyWithConnectionClose() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            let url = try #require(URL(string: h.baseURL))
            // Before: the emulator stopped reading at 64 MiB and waited for the client to close,
            // so the client's send blocked until its own timeout.
            let script = """
            import socket, sys
            host, port, auth, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], 96 << 20
            s = socket.create_connection((host, port), timeout=50)
            head = f"POST /v1/rpc HTTP/1.1\\r\\nHost: {host}\\r\\nAuthorization: {auth}\\r\\nX-API-Version: 1.1\\r\\nContent-Type: application/json\\r\\nContent-Length: {size}\\r\\nConnection: close\\r\\n\\r\\n"
            try:
                s.sendall(head.encode() + b" " * size)
            except socket.timeout:
                print("send: timed out"); sys.exit(0)
            answer = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                answer += chunk
                if answer.count(b"\\r\\n\\r\\n") and answer.endswith(b"}"): break
            print("answer:", answer.split(b"\\r\\n")[0].decode())
            """
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sigport-413-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let output = directory.appendingPathComponent("output.txt")
            let status = try await PyclarifyConformanceTests.run(Self.python!, ["-c", script, try #require(url.host), String(try #require(url.port)), h.basicAuth.1],
                                                                 output: output)
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(status == 0 && text.contains("answer: HTTP/1.1 413"), "\(text)")
            #expect(await h.emulator.stats().sizeViolations == 1)
        }
    }
}
