import Foundation

/// What one whole process cost: wall time from spawn to exit and its peak resident memory
/// (`ru_maxrss` from wait4). Whole processes are measured because that is what a user waits for
/// and what the machine must hold; an in-process timer would miss start-up, exit and the allocator.
struct Measurement {
    var seconds: Double
    var peakRSSBytes: Int
    /// The exit code, or 128 + the signal for a process that was killed (as a shell reports it).
    var exitStatus: Int32
}

/// Seconds on the monotonic clock: wall-clock adjustments must not bend a measurement.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Child processes through posix_spawn and wait4, so each one's own rusage is read (Foundation's
/// Process would not give peak RSS per child). Every child gets the bench's extra environment
/// (`XDG_STATE_HOME` in the work directory keeps sigport's pace files out of the user's home).
struct ChildProcess {
    var executable: String
    var arguments: [String]
    var environment: [String: String] = [:]
    var stdoutPath = "/dev/null"
    var stderrPath = "/dev/null"

    /// Starts the process without waiting for it (the emulator, which runs beside a scenario).
    func start() throws -> pid_t {
        try spawn(stderrPipe: nil)
    }

    /// Runs the process to the end and measures it.
    func run() throws -> Measurement {
        let start = monotonicSeconds()
        let pid = try spawn(stderrPipe: nil)
        return Self.wait(pid, since: start)
    }

    /// Runs the process to the end, handing each line of its standard error to `onLine` with the
    /// seconds since spawn at which it was read, and calling `onTick` with the seconds since spawn
    /// about every `tickInterval` meanwhile: how the resume scenario watches a run from outside
    /// (sigport's `--json` events, the emulator's request count) without a second thread.
    func run(onStderrLine onLine: (String, Double) -> Void, tickInterval: Double = 0.02,
             onTick: (Double) -> Void = { _ in }) throws -> Measurement {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
        let start = monotonicSeconds()
        let pid: pid_t
        do { pid = try spawn(stderrPipe: fds) } catch { close(fds[0]); close(fds[1]); throw error }
        close(fds[1])
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var nextTick = start
        while true {
            let now = monotonicSeconds()
            if now >= nextTick {
                onTick(now - start)
                nextTick = monotonicSeconds() + tickInterval
            }
            var ready = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let waitMilliseconds = Int32(max(0, (nextTick - monotonicSeconds()) * 1000).rounded(.up))
            if poll(&ready, 1, waitMilliseconds) == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            let at = monotonicSeconds() - start
            pending.append(contentsOf: chunk[0..<count])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                onLine(String(decoding: pending[..<newline], as: UTF8.self), at)
                pending.removeSubrange(...newline)
            }
        }
        close(fds[0])
        return Self.wait(pid, since: start)
    }

    /// Waits for a child and reads its rusage.
    static func wait(_ pid: pid_t, since start: Double) -> Measurement {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = monotonicSeconds() - start
        // The W* macros are not imported into Swift: low 7 bits are the signal, 0 for an exit.
        let signal = status & 0x7f
        let exit = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return Measurement(seconds: seconds, peakRSSBytes: Int(usage.ru_maxrss) * 1024, exitStatus: exit)
    }

    private func spawn(stderrPipe: [Int32]?) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let fds = stderrPipe {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
        } else if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard error == 0 else { throw BenchError("cannot run \(executable): \(String(cString: strerror(error)))") }
        return pid
    }

    /// The absolute path of a program on PATH, as a shell would find it; nil when it is not installed.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}

/// A scenario that could not run: its row says why instead of a figure.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Progress and results on standard output, written at once: `print` buffers when stdout is a
/// pipe (`make bench | tee`), and a 10-minute run would show nothing until the end.
func say(_ text: String) {
    let line = text + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
}
