import Foundation
import Testing
@testable import Sigport

/// `ContentDigest` and `ContentRun`: what an import records of the bytes it read, and the
/// resume's second reading of them.
@Suite("content digests of inputs")
struct ContentDigestTests {
    /// 10 MiB and a bit of varied text: three blocks, the last one partial.
    static let bytes: [UInt8] = (0..<(10 << 20) + 12_345).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

    /// Reads `source` to its end through a digest, in pieces of `piece` bytes, seeking first to `from`.
    static func digest(_ source: any ByteSource, piece: Int, from: Int64? = nil) throws -> [ContentRun] {
        let digest = ContentDigest()
        var reading = DigestingByteSource(base: source, digest: digest)
        if let from { try reading.seek(to: from, current: 0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece, alignment: 1)
        defer { buffer.deallocate() }
        while try reading.read(into: buffer) > 0 {}
        return digest.snapshot
    }

    func file(_ dir: URL, _ name: String, _ bytes: [UInt8]) throws -> InputFile {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return InputFile(path: url.path)
    }

    @Test("the blocks do not depend on the sizes of the reads; a seek starts a stretch of its own")
    func pieces() async throws {
        try await withTemporaryDirectory { dir in
            let input = try file(dir, "a.csv", Self.bytes)
            let whole = try Self.digest(input.open(), piece: 1 << 20)
            #expect(whole.count == 1 && whole[0].length == Int64(Self.bytes.count) && whole[0].crcs.count == 3)
            #expect(try Self.digest(input.open(), piece: 7_919) == whole)
            let resumed = try Self.digest(input.open(), piece: 65_536, from: 5_000_000)
            #expect(resumed.map(\.start) == [5_000_000] && resumed[0].end == Int64(Self.bytes.count))
        }
    }

    @Test("a second reading finds nothing in the same bytes, and names the block of a changed byte, also in the overlap of two sessions' stretches")
    func differences() async throws {
        try await withTemporaryDirectory { dir in
            let input = try file(dir, "a.csv", Self.bytes)
            // A first session read from the start, a resumed one from byte 6,000,000 on.
            let runs = try Self.digest(input.open(), piece: 1 << 16) + Self.digest(input.open(), piece: 1 << 16, from: 6_000_000)
            #expect(try ContentRun.firstDifference(in: input, from: runs) == nil)
            for at in [3, 4_200_000, 9_000_000, Self.bytes.count - 1] {
                var edited = Self.bytes
                edited[at] ^= 0x01
                _ = try file(dir, "a.csv", edited)
                // The earliest block holding the byte, of the runs that read it.
                let block = runs.filter { $0.start <= at && at < $0.end }.map { $0.start + (Int64(at) - $0.start) / ContentRun.blockSize * ContentRun.blockSize }.min()
                #expect(try ContentRun.firstDifference(in: input, from: runs)?.lowerBound == block, "byte \(at)")
            }
            _ = try file(dir, "a.csv", Array(Self.bytes.prefix(9 << 20)))
            // The second session's first block, which the cut shortens, is the earliest that differs.
            #expect(try ContentRun.firstDifference(in: input, from: runs) == 6_000_000..<(6_000_000 + ContentRun.blockSize), "a shorter file differs")
        }
    }

    @Test("a gzip input is compared by its decompressed bytes")
    func gzip() async throws {
        try await withTemporaryDirectory { dir in
            func gzipped(_ bytes: [UInt8]) throws -> InputFile {
                let plain = dir.appendingPathComponent("b.csv")
                try Data(bytes).write(to: plain)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/gzip")
                process.arguments = ["-f", "-1", plain.path]
                try process.run()
                process.waitUntilExit()
                return InputFile(path: plain.path + ".gz")
            }
            let input = try gzipped(Self.bytes)
            let runs = try Self.digest(input.open(), piece: 1 << 16)
            #expect(runs.first?.length == Int64(Self.bytes.count))
            #expect(try ContentRun.firstDifference(in: input, from: runs) == nil)
            var edited = Self.bytes
            edited[7_000_000] ^= 0x10
            _ = try gzipped(edited)
            #expect(try ContentRun.firstDifference(in: input, from: runs)?.lowerBound == 4 << 20)
        }
    }
}
