import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `sigport emulator` running beside a scenario, as a separate process of the release binary —
/// as a user runs it — so the importer is measured over real HTTP. Each scenario gets its own
/// emulator and fresh credentials: no state, pace window or stats leak from one to the next.
final class EmulatorProcess {
    /// What the emulator counted (`GET /_emulator/stats`).
    struct Stats: Decodable {
        var requests: Int
        var paceViolations: Int
        var sizeViolations: Int
        /// Requests by route: `rpc` (every JSON-RPC method), `oauth/token`, `ox:POST /event`, …
        var byRoute: [String: Int]
    }

    let baseURL: String
    let credentialsPath: String
    private let pid: pid_t
    private var running = true
    private let binary: String
    private let directory: String
    private let environment: [String: String]

    /// Starts an emulator with `flags` (`--requests-per-second 0`, `--db FILE`, …) and waits for
    /// its banner, which names the port it picked. With `port`, it listens there and keeps the
    /// credentials already in `directory` instead of writing fresh ones (see `restarted`).
    init(binary: String, flags: [String], directory: String, environment: [String: String], port: Int? = nil) throws {
        self.binary = binary
        self.directory = directory
        self.environment = environment
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        credentialsPath = directory + "/creds.json"
        let log = directory + "/emulator.log"
        var arguments = ["emulator", "--port", port.map(String.init) ?? "0"]
        if port == nil {
            try? FileManager.default.removeItem(atPath: credentialsPath)
            arguments += ["--bootstrap", credentialsPath]
        }
        pid = try ChildProcess(executable: binary, arguments: arguments + flags,
                               environment: environment, stdoutPath: log, stderrPath: log).start()
        let deadline = monotonicSeconds() + 60
        while true {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on (http://[0-9.:]+/)"#, options: .regularExpression),
               FileManager.default.fileExists(atPath: credentialsPath) {
                baseURL = String(text[range].dropFirst("listening on ".count))
                break
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                running = false
                throw BenchError("the emulator exited at start: \(text.suffix(500))")
            }
            if monotonicSeconds() > deadline {
                kill(pid, SIGKILL)
                _ = ChildProcess.wait(pid, since: 0)
                running = false
                throw BenchError("the emulator did not start within 60 s (\(log))")
            }
            usleep(50_000)
        }
    }

    func stats() throws -> Stats {
        guard let url = URL(string: baseURL + "_emulator/stats") else { throw BenchError("bad emulator URL \(baseURL)") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw BenchError("cannot read \(url): \(error)") }
        return try JSONDecoder().decode(Stats.self, from: data)
    }

    /// Stops this emulator and starts another with `flags` on the same port, whose clients keep
    /// their credentials file: a restart with other settings, such as the pace, on the same state
    /// (`flags` must name the `--db` file this one kept it in).
    func restarted(flags: [String]) throws -> EmulatorProcess {
        guard let port = URL(string: baseURL)?.port else { throw BenchError("no port in \(baseURL)") }
        stop()
        return try EmulatorProcess(binary: binary, flags: flags, directory: directory, environment: environment, port: port)
    }

    /// Stops it (SIGTERM, then SIGKILL after 10 s) and reaps it.
    func stop() {
        guard running else { return }
        running = false
        kill(pid, SIGTERM)
        let deadline = monotonicSeconds() + 10
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if monotonicSeconds() > deadline { kill(pid, SIGKILL); waitpid(pid, &status, 0); return }
            usleep(50_000)
        }
    }

    deinit { stop() }

    /// Runs `body` with a fresh emulator and stops it afterwards, also when `body` throws.
    static func with<T>(binary: String, flags: [String], directory: String, environment: [String: String],
                        _ body: (EmulatorProcess) throws -> T) throws -> T {
        let emulator = try EmulatorProcess(binary: binary, flags: flags, directory: directory, environment: environment)
        defer { emulator.stop() }
        return try body(emulator)
    }
}
