import Foundation
import GRDB

/// The one place SQLite failures of a run directory's stores (checkpoint, export staging) become
/// errors a person can act on: a full or read-only disk says so and that the run resumes once
/// it can write; a damaged file says to move the run directory aside. SQLite rolls a failed
/// transaction back, so the store stays as it was before it: nothing half-written is resumed.
enum RunStore {
    /// Which file a path names now (device and inode), nil when none.
    struct FileIdentity: Equatable, Sendable {
        let device: UInt64
        let inode: UInt64

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Creates a run directory (and its parents), or says why it cannot be.
    static func makeDirectory(_ directory: URL) throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw SigportError(.storage, "The run directory \(directory.path) cannot be created.",
                               hint: "Choose a writable place with --run-dir, or make this one writable.", cause: error)
        }
    }

    static func guarded<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError {
            throw failure(path, error)
        }
    }

    static let damagedHint = "Move the run directory aside and run again (inserts are idempotent: nothing is duplicated; ox creates may be, see --in-doubt)."

    static func failure(_ path: String, _ error: DatabaseError) -> SigportError {
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return SigportError(.storage, "\(path) cannot be written: the disk is full, the directory is read-only, or the file was removed.",
                                hint: "Free space or make the run directory writable, then run the same command again: it resumes where it stopped.",
                                cause: error)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return SigportError(.storage, "\(path) is damaged.", hint: damagedHint, cause: error)
        default:
            return SigportError(.storage, "\(path) could not be used.", hint: "Run the same command again; if it fails the same way, move the run directory aside.", cause: error)
        }
    }
}
