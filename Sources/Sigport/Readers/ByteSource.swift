import CZlib
import Foundation

/// A stream of input bytes: a file, a gzip file (decompressed through zlib) or standard input.
public protocol ByteSource {
    /// Fills `buffer` from the start; returns how many bytes were read, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Continues reading at `offset` of the (decompressed) stream, for a resumed import that
    /// skips what it already sent without parsing it again. `current` is how many bytes were
    /// read so far (a source that cannot move skips forward from there).
    mutating func seek(to offset: Int64, current: Int64) throws
}

extension ByteSource {
    /// Reads and discards up to `offset`: for a source that cannot move (and only forwards).
    public mutating func seek(to offset: Int64, current: Int64) throws {
        guard offset >= current else {
            throw SigportError(.invalidArgument, "Cannot go back to byte \(offset) of an input that was read past it.")
        }
        var left = offset - current
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { scratch.deallocate() }
        while left > 0 {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<Int(min(left, Int64(scratch.count)))]))
            if count == 0 { throw SigportError(.invalidArgument, "The input ended before byte \(offset), where the resumed run continues.") }
            left -= Int64(count)
        }
    }
}

/// A plain file, read with `read(2)` in the caller's buffer sizes.
public struct FileByteSource: ByteSource {
    private let handle: FileHandle
    private let path: String

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SigportError(.invalidArgument, "Cannot open \(path).", hint: "Check that the file exists and is readable.")
        }
        self.handle = handle
        self.path = path
    }

    /// Standard input.
    public init(standardInput: Void = ()) {
        handle = .standardInput
        path = "-"
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let fd = handle.fileDescriptor
        while true {
            let count = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw SigportError(.invalidArgument, "Reading \(path) failed: \(String(cString: strerror(errno))).")
        }
    }

    public mutating func seek(to offset: Int64, current: Int64) throws {
        guard lseek(handle.fileDescriptor, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw SigportError(.invalidArgument, "Cannot seek in \(path) to byte \(offset): \(String(cString: strerror(errno))).",
                               hint: "A resumable run reads a regular file, not a pipe.")
        }
    }
}

/// A gzip file (or several concatenated gzip members), decompressed by zlib as it is read.
public final class GzipByteSource: ByteSource {
    private let file: gzFile
    private let path: String

    public init(path: String) throws {
        guard let file = gzopen(path, "rb") else {
            throw SigportError(.invalidArgument, "Cannot open \(path).", hint: "Check that the file exists and is readable.")
        }
        gzbuffer(file, 256 * 1024)
        self.file = file
        self.path = path
    }

    deinit { gzclose(file) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = gzread(file, buffer.baseAddress, UInt32(min(buffer.count, Int(Int32.max))))
        if count < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
            throw SigportError(.invalidArgument, "\(path) is not a readable gzip file: \(message).",
                               hint: "Check the file; a truncated download ends this way.")
        }
        return Int(count)
    }

    /// zlib decompresses up to the offset (no parsing: much faster than reading rows).
    public func seek(to offset: Int64, current: Int64) throws {
        guard gzseek(file, Int(offset), SEEK_SET) == Int(offset) else {
            throw SigportError(.invalidArgument, "Cannot seek in \(path) to byte \(offset) of its decompressed content.",
                               hint: "The file may be truncated or not gzip.")
        }
    }
}
