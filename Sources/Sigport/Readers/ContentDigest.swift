import CZlib
import Foundation
import Synchronization

/// A stretch of an input (its decompressed bytes) that an import read without seeking, as the
/// CRC-32 of each 4 MiB block: what a resume reads again to tell whether those bytes changed.
/// CRC-32 (zlib's, about 5.7 GB/s here) finds every change of up to 32 consecutive bits and misses
/// other changes of a block with odds of 1 in 2^32; the inputs are the user's own files, not an
/// adversary's, so a cryptographic hash (3× slower) buys nothing here.
public struct ContentRun: Sendable, Equatable {
    public static let blockSize: Int64 = 4 << 20
    /// Where the stretch starts in the input, and how many bytes of it were read.
    public var start: Int64
    public var length: Int64 = 0
    /// One per block; the last one covers the bytes of its block read so far.
    public var crcs: [UInt32] = []

    public init(start: Int64, length: Int64 = 0, crcs: [UInt32] = []) {
        (self.start, self.length, self.crcs) = (start, length, crcs)
    }

    public var end: Int64 { start + length }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let inBlock = Int(length % Self.blockSize)
            if inBlock == 0 { crcs.append(0) }
            let take = min(bytes.count - offset, Int(Self.blockSize) - inBlock)
            let crc = crc32(UInt(crcs[crcs.count - 1]), bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self), UInt32(take))
            crcs[crcs.count - 1] = UInt32(crc)
            length += Int64(take)
            offset += take
        }
    }

    /// The bytes of the first block whose content is not what `recorded` read (nil: all alike).
    func firstDifference(from recorded: ContentRun) -> Range<Int64>? {
        let differing = zip(crcs, recorded.crcs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        guard let block = differing ?? (length < recorded.length ? crcs.count : nil) else { return nil }
        let low = start + Int64(block) * Self.blockSize
        return low..<min(low + Self.blockSize, recorded.end)
    }

    /// Reads `input` from its start up to the end of the last run (no parsing, the bytes only) and
    /// returns the first bytes whose content differs from what the runs recorded, nil if none.
    public static func firstDifference(in input: InputFile, from runs: [ContentRun]) throws -> Range<Int64>? {
        guard let end = runs.map(\.end).max(), end > 0 else { return nil }
        var source = try input.open()
        var again = runs.map { ContentRun(start: $0.start) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < end {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(Int64(buffer.count), end - offset))]))
            if count == 0 { break }
            for i in runs.indices where runs[i].start < offset + Int64(count) && runs[i].end > offset {
                let low = Int(max(runs[i].start, offset) - offset), high = Int(min(runs[i].end, offset + Int64(count)) - offset)
                again[i].add(UnsafeRawBufferPointer(rebasing: buffer[low..<high]))
            }
            offset += Int64(count)
        }
        return zip(again, runs).compactMap { $0.firstDifference(from: $1) }.min { $0.lowerBound < $1.lowerBound }
    }
}

/// The stretches of an input one import session has read so far. The reader adds to it on its
/// own thread (`ReadAhead`) and each acknowledgement takes a copy: shared mutable state, behind a lock.
public final class ContentDigest: Sendable {
    private let runs = Mutex<[ContentRun]>([ContentRun(start: 0)])

    public init() {}

    func add(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        runs.withLock { $0[$0.count - 1].add(bytes) }
    }

    /// Reading goes on at `offset`: a new stretch (the one before it stays as read).
    func restart(at offset: Int64) {
        runs.withLock { runs in
            if runs[runs.count - 1].length == 0 { runs.removeLast() }
            runs.append(ContentRun(start: offset))
        }
    }

    /// The stretches read so far (those of no bytes left out).
    public var snapshot: [ContentRun] { runs.withLock { $0.filter { $0.length > 0 } } }
}

/// A byte source whose bytes `digest` records as they pass.
struct DigestingByteSource: ByteSource {
    var base: any ByteSource
    let digest: ContentDigest

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try base.read(into: buffer)
        digest.add(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        return count
    }

    mutating func seek(to offset: Int64, current: Int64) throws {
        try base.seek(to: offset, current: current)
        digest.restart(at: offset)
    }
}
