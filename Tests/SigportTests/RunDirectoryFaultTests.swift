import Foundation
import GRDB
import Testing
@testable import SigportEmulator

/// The run directory failing under an import: a full disk, a read-only directory, a checkpoint
/// deleted mid-run, a damaged checkpoint. Each is a clear error (exit 7) that says what to do,
/// never a silent restart from zero, and the checkpoint stays usable: the next run completes exactly.
@Suite("run directory faults", .serialized)
struct RunDirectoryFaultTests {
    /// `sigport` under a file-size limit (`ulimit -f`, SIGXFSZ ignored): writes past it fail
    /// as they do on a full disk.
    static func runWithFileLimit(kilobytes: Int, _ arguments: [String], in dir: URL) async throws -> CLITests.Run {
        let quoted = ([CLITests.binary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try await CLITests.run(["-c", "trap '' XFSZ; ulimit -f \(kilobytes); exec \(quoted)"], in: dir, executable: URL(fileURLWithPath: "/bin/bash"))
    }

    @Test("a full disk stops the import with exit 7 and what to do; after space is freed the run completes exactly", arguments: [40, 160])
    func fullDisk(kilobytes: Int) async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let arguments = ImportTests.importArguments(dir, extra: ["--max-request-bytes", "8192", "--requests-per-second", "25"])
                let full = try await Self.runWithFileLimit(kilobytes: kilobytes, arguments, in: dir)
                #expect(full.status == 7, "\(full.output)")
                #expect(full.output.contains("cannot be written"))
                #expect(full.output.contains("Free space"))
                let resumed = try await CLITests.run(arguments, in: dir)
                #expect(resumed.status == 1, "the sample's one bad row: \(resumed.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
            }
        }
    }

    @Test("a checkpoint deleted during the run stops it at the next write (exit 7), saying what happened")
    func deletedMidRun() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(100))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let checkpoint = dir.appendingPathComponent("run/checkpoint.sqlite")
                let process = Process()
                process.executableURL = CLITests.binary
                process.arguments = ImportTests.importArguments(dir, extra: ["--max-request-bytes", "8192", "--requests-per-second", "5"])
                let log = dir.appendingPathComponent("log.txt")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                process.standardOutput = try FileHandle(forWritingTo: log)
                process.standardError = process.standardOutput
                try process.run()
                for _ in 0..<2000 where process.isRunning {
                    if ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("sent integration.insert") { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                try FileManager.default.removeItem(at: checkpoint)
                process.waitUntilExit()
                let output = try String(contentsOf: log, encoding: .utf8)
                #expect(process.terminationStatus == 7, "\(output)")
                #expect(output.contains("was deleted or replaced while this run was going on"))
            }
        }
    }

    @Test("a damaged checkpoint is refused (exit 7) with the way out, not silently started over")
    func damaged() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let arguments = ImportTests.importArguments(dir, extra: ["--max-requests", "2", "--max-request-bytes", "8192"])
                #expect(try await CLITests.run(arguments, in: dir).status == 5)
                let checkpoint = dir.appendingPathComponent("run/checkpoint.sqlite")
                for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: checkpoint.path + suffix) }
                try Data(repeating: 0x5A, count: 8192).write(to: checkpoint)
                let run = try await CLITests.run(arguments, in: dir)
                #expect(run.status == 7, "\(run.output)")
                #expect(run.output.contains("is damaged"))
                #expect(run.output.contains("Move the run directory aside"))
            }
        }
    }

    @Test("a checkpoint whose index page is damaged (its rows still readable) is refused at the resume by SQLite's integrity check (exit 7), before anything is sent")
    func damagedIndexPage() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let arguments = ImportTests.importArguments(dir, extra: ["--max-requests", "4", "--max-request-bytes", "8192"])
                #expect(try await CLITests.run(arguments, in: dir).status == 5)
                let checkpoint = dir.appendingPathComponent("run/checkpoint.sqlite")
                // The index of sentSeries by chunk: its root page, once the WAL is folded into the file.
                let (page, pageSize) = try await DatabaseQueue(path: checkpoint.path).writeWithoutTransaction { db -> (Int, Int) in
                    try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                    let page = try #require(try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sentSeries'"))
                    return (page, try #require(try Int.fetchOne(db, sql: "PRAGMA page_size")))
                }
                // Its last 64 bytes (cell content: the keys) overwritten; the page header stays valid.
                let handle = try FileHandle(forWritingTo: checkpoint)
                try handle.seek(toOffset: UInt64(page * pageSize - 64))
                try handle.write(contentsOf: Data(repeating: 0x7F, count: 64))
                try handle.close()
                let sent = await RunDirectoryFaultTests.rpcRequests(emulator)
                let run = try await CLITests.run(arguments, in: dir)
                #expect(run.status == 7, "\(run.output)")
                #expect(run.output.contains("is damaged (SQLite's integrity check:"), "\(run.output)")
                #expect(run.output.contains("Move the run directory aside"))
                #expect(await RunDirectoryFaultTests.rpcRequests(emulator) == sent, "nothing is sent")
            }
        }
    }

    /// The command that runs `command` bound by file modes. Root ignores them, and CI runs the
    /// tests as root, so there it runs as root with no capability at all (`setpriv`): the modes
    /// then refuse it what they refuse anyone, while it still reads and runs what root owns — the
    /// built binary, the toolchain's libraries, the 0600 credentials file — which another user
    /// could not in a clone under /root. Anyone else is bound by the modes already.
    static func bound(_ command: [String]) -> (executable: URL, arguments: [String]) {
        guard getuid() == 0 else { return (URL(fileURLWithPath: command[0]), Array(command.dropFirst())) }
        return (URL(fileURLWithPath: "/usr/bin/setpriv"), ["--bounding-set=-all", "--inh-caps=-all", "--"] + command)
    }

    /// `sigport`, bound by file modes (`bound`).
    static func runBound(_ arguments: [String], in dir: URL) async throws -> CLITests.Run {
        let (executable, arguments) = bound([CLITests.binary.path] + arguments)
        return try await CLITests.run(arguments, in: dir, executable: executable)
    }

    /// Makes `directory` read-only (0555), and with `files` the files in it (0444), then checks
    /// that a bound process can create a file in `dir` but not in `directory`: else nothing
    /// would be tested.
    static func makeReadOnly(_ directory: URL, files: Bool = true, in dir: URL) async throws {
        if files {
            for file in try regularFiles(directory) { try setMode(0o444, directory.appendingPathComponent(file)) }
        }
        try setMode(0o555, directory)
        func touch(_ file: URL) async throws -> CLITests.Run {
            let (executable, arguments) = bound(["/usr/bin/touch", file.path])
            return try await CLITests.run(arguments, in: dir, executable: executable)
        }
        let writable = try await touch(dir.appendingPathComponent("probe"))
        try #require(writable.status == 0, "a bound process cannot run here: \(writable.output)")
        let readOnly = try await touch(directory.appendingPathComponent("probe"))
        try #require(readOnly.status != 0, "a bound process can write in \(directory.path): \(readOnly.output)")
    }

    static func makeWritable(_ directory: URL) throws {
        try setMode(0o755, directory)
        for file in try regularFiles(directory) { try setMode(0o644, directory.appendingPathComponent(file)) }
    }

    static func setMode(_ mode: Int, _ url: URL) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    static func regularFiles(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// Every file of a run directory (checkpoint, its WAL and shared memory, rejects), by name.
    static func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try regularFiles(directory) { files[name] = try Data(contentsOf: directory.appendingPathComponent(name)) }
        return files
    }

    static func rpcRequests(_ emulator: Emulator) async -> Int { await emulator.stats().byRoute["rpc"] ?? 0 }

    /// The count once no request of a killed run is still on its way: unchanged for 0.5 s.
    static func settledRPCRequests(_ emulator: Emulator) async throws -> Int {
        var count = await rpcRequests(emulator)
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(500))
            let now = await rpcRequests(emulator)
            if now == count { return now }
            count = now
        }
        return count
    }

    @Test("a fresh import into a read-only run directory, or one it cannot create, stops with exit 7 and what to do, sending nothing; made writable, the run completes exactly",
          arguments: [false, true])
    func readOnlyFresh(createsRunDirectory: Bool) async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let locked = dir.appendingPathComponent("locked")
                try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
                let runDirectory = createsRunDirectory ? locked.appendingPathComponent("run") : locked
                var arguments = ImportTests.importArguments(dir, extra: ["--max-request-bytes", "8192", "--requests-per-second", "25"])
                arguments[arguments.firstIndex(of: "--run-dir")! + 1] = runDirectory.path
                defer { try? Self.makeWritable(locked) }
                try await Self.makeReadOnly(locked, in: dir)
                let refused = try await Self.runBound(arguments, in: dir)
                #expect(refused.status == 7, "\(refused.output)")
                if createsRunDirectory {
                    #expect(refused.output.contains("The run directory \(runDirectory.path) cannot be created."), "\(refused.output)")
                    #expect(refused.output.contains("Choose a writable place with --run-dir, or make this one writable."))
                } else {
                    #expect(refused.output.contains("\(runDirectory.path)/checkpoint.sqlite cannot be written"), "\(refused.output)")
                    #expect(refused.output.contains("make the run directory writable, then run the same command again"))
                }
                #expect(await Self.rpcRequests(emulator) == 0, "nothing is sent without a checkpoint to record it")
                #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
                try Self.makeWritable(locked)
                let run = try await Self.runBound(arguments, in: dir)
                #expect(run.status == 1, "the sample's one bad row: \(run.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
            }
        }
    }

    /// How a run was left half done: stopped by its request budget (exit 5; SQLite removed its
    /// WAL on closing) or SIGKILLed (its WAL and shared-memory files left behind).
    enum HalfDone: String, Sendable { case stopped, killed }
    /// What became read-only: the run directory alone (its files keep mode 0644), or it and its files.
    enum ReadOnlyPart: String, Sendable { case directory, directoryAndFiles }

    @Test("a half-done import whose run directory became read-only: the resume stops with exit 7 and what to do, the checkpoint as it was; made writable, it completes exactly",
          arguments: [(HalfDone.stopped, ReadOnlyPart.directory), (.stopped, .directoryAndFiles), (.killed, .directoryAndFiles), (.killed, .directory)])
    func readOnlyResume(halfDone: HalfDone, readOnly: ReadOnlyPart) async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let runDirectory = dir.appendingPathComponent("run")
                let arguments = ImportTests.importArguments(dir, extra: ["--max-request-bytes", "8192", "--requests-per-second", "25"])
                switch halfDone {
                case .stopped: #expect(try await CLITests.run(arguments + ["--max-requests", "2"], in: dir).status == 5)
                case .killed: try await CLITests.runAndKill(arguments, in: dir, after: 2, of: "sent integration.insert")
                }
                let wal = FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent("checkpoint.sqlite-wal").path)
                try #require(wal == (halfDone == .killed))
                let before = try Self.snapshot(runDirectory)
                let sent = try await Self.settledRPCRequests(emulator)
                defer { try? Self.makeWritable(runDirectory) }
                try await Self.makeReadOnly(runDirectory, files: readOnly == .directoryAndFiles, in: dir)
                let refused = try await Self.runBound(arguments, in: dir)
                #expect(refused.status == 7, "\(refused.output)")
                #expect(refused.output.contains("make the run directory writable, then run the same command again"), "\(refused.output)")
                if halfDone == .killed && readOnly == .directory {
                    // The checkpoint's files all exist and stay writable, so SQLite goes on in
                    // them: the import completes and only the reject file, new, cannot be made.
                    #expect(refused.output.contains("\(runDirectory.path)/rejects.jsonl cannot be written"), "\(refused.output)")
                    #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
                } else {
                    #expect(refused.output.contains("\(runDirectory.path)/checkpoint.sqlite cannot be written"), "\(refused.output)")
                    #expect(try Self.snapshot(runDirectory) == before, "the checkpoint is as it was")
                    #expect(await Self.rpcRequests(emulator) == sent, "nothing is sent that could not be recorded")
                }
                try Self.makeWritable(runDirectory)
                let resumed = try await Self.runBound(arguments, in: dir)
                #expect(resumed.status == 1, "the sample's one bad row: \(resumed.output)")
                #expect(resumed.output.contains("rows read 2880 = sent 2879 + rejected 1 + filtered 0"), "\(resumed.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
                let rejects = try String(contentsOf: runDirectory.appendingPathComponent("rejects.jsonl"), encoding: .utf8)
                #expect(rejects.split(separator: "\n").count == 1, "the rejected row is listed once")
            }
        }
    }
}
