import CZlib
import Foundation

/// A stream of input bytes: a file, a gzip file (decompressed through zlib) or standard input.
public protocol ByteSource {
    /// Fills `buffer` from the start; returns how many bytes were read, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
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
}
