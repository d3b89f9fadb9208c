import Crypto
import Foundation

/// Where a file's bytes go: a file, written as `<path>.partial` and renamed when whole (so a
/// killed export never leaves a file that looks finished), or standard output. Bytes are counted
/// and hashed (SHA-256, for the manifest) as they pass, and written in 256 KiB blocks.
final class ExportOutput {
    private let fd: Int32
    let path: String?
    private var hasher = SHA256()
    private(set) var bytes: Int64 = 0
    private var isOpen = true
    var buffer: [UInt8] = []
    private static let block = 256 * 1024

    /// `path` nil is standard output.
    init(path: String?) throws {
        self.path = path
        buffer.reserveCapacity(Self.block + 4096)
        guard let path else { fd = STDOUT_FILENO; return }
        fd = open(path + ".partial", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure("create", path + ".partial") }
    }

    /// Writes the buffer out once it holds a block; writers append to `buffer` and call this.
    @inline(__always) func flushIfFull() throws {
        if buffer.count >= Self.block { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        hasher.update(data: buffer)
        bytes += Int64(buffer.count)
        try buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Self.failure("write", path.map { $0 + ".partial" } ?? "standard output")
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and closes; a file is renamed into place. Returns its size and SHA-256.
    func finish() throws -> (bytes: Int64, sha256: String) {
        try flush()
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if let path {
            isOpen = false
            let synced = fsync(fd) == 0
            guard close(fd) == 0, synced else { throw Self.failure("write", path + ".partial") }
            guard rename(path + ".partial", path) == 0 else { throw Self.failure("rename into place", path) }
        }
        return (bytes, digest)
    }

    /// SHA-256 and size of a whole file (an SQLite export, written by SQLite itself).
    static func digest(ofFile path: String) throws -> (bytes: Int64, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw failure("read", path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            bytes += Int64(chunk.count)
        }
        return (bytes, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    static func failure(_ what: String, _ path: String) -> SigportError {
        let reason = String(cString: strerror(errno))
        return SigportError(.invalidArgument, "Could not \(what) \(path): \(reason).",
                            hint: "Check that the directory exists, is writable and has space; the export resumes where it stopped.")
    }

    deinit {
        if path != nil, isOpen { close(fd) }
    }
}
