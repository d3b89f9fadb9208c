import Foundation

/// Runs a reader on a thread of its own, a few batches ahead of the caller, so that reading and
/// parsing (about 40% of a CSV plan's CPU time) use the second core while the caller maps and
/// encodes: `plan`, `validate` and `import`. Outcomes, with the reader's position after each,
/// and an error the reader throws, arrive in the order the reader gave them.
///
/// The reader belongs to the thread from `init` on. Only plain files are read ahead (see
/// `worthwhile`): stopping early waits for the thread's current batch, which for a pipe could
/// wait for as long as its writer likes. Memory is bounded: `depth` batches, each ending at
/// `batchSize` outcomes or `batchBytes` of raw rows (a row holds its raw line, and lines may be
/// megabytes long), plus the batch being read, the one being handed out, and those handed out
/// that the reader has not emptied yet (half the queue at most). Emptied batches are kept and
/// filled again (see `RowBatch`), each keeping at most 2 MiB of memory per buffer.
final class ReadAhead {
    /// What both threads touch, behind `condition`.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var ready: [RowBatch] = []
        var stop = false
        var exited = false
        /// Whether a side sleeps on `condition`: the other wakes it only then, not once per batch.
        var readerWaits = false
        var callerWaits = false
        /// Batches handed out, given back for the reader thread to empty and fill again. It
        /// frees their outcomes' rows: memory freed on another thread than the one that
        /// allocated it takes glibc's lock of the arena the reader allocates from; in a wide CSV
        /// plan, waiting on that lock was 9% of the profile and most of its 3,500 context
        /// switches (576 with the rows freed by the reader).
        var spent: [RowBatch] = []
    }

    /// Hands the reader to the thread; nothing else touches it afterwards.
    private struct Owned: @unchecked Sendable { var reader: any RowReader }

    private let shared = Shared()
    private let depth: Int
    private var current: RowBatch?
    private var next = 0
    /// Where reading continues after the last outcome handed out, as the reader's own
    /// `position` said then (see `RowReader.position`): an import records it per row.
    private(set) var position: ReadPosition?
    private var ended = false
    private var pendingError: (any Error)?

    /// Whether reading `input` ahead pays and is safe: a plain file (not standard input, a pipe
    /// or a device), so that a stop never waits on someone else's writes.
    static func worthwhile(_ input: InputFile) -> Bool {
        guard !input.isStandardInput else { return false }
        var info = stat()
        return stat(input.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Batches of 1,024 rows: with 256, the mapper found the queue empty about one batch in four,
    /// each time a sleep and a wake-up (the plans ran 7–9% slower; the bigger batches cost
    /// 2.5–6 MB of peak memory).
    init(_ reader: any RowReader, batchSize: Int = 1024, batchBytes: Int = 1 << 20, depth: Int = 8) {
        self.depth = depth
        let shared = self.shared
        let owned = Owned(reader: reader)
        let thread = Thread {
            var reader = owned.reader
            // The CSV reader's plain rows go flat into the batch (see `RowBatch`).
            var csv = reader as? CSVReader
            let file = csv?.file ?? ""
            let width = reader.fieldNames.count
            var spent: [RowBatch] = []
            while true {
                shared.condition.lock()
                while shared.ready.count >= depth && !shared.stop {
                    shared.readerWaits = true
                    shared.condition.wait()
                }
                shared.readerWaits = false
                let stop = shared.stop
                spent.append(contentsOf: shared.spent)
                shared.spent.removeAll(keepingCapacity: true)
                shared.condition.unlock()
                if stop { break }

                let batch = spent.popLast() ?? RowBatch(file: file, width: width)
                batch.reset()
                do {
                    while batch.count < batchSize && batch.rawBytes < batchBytes {
                        let added = if csv != nil { try csv!.next(into: batch) } else { try reader.next(into: batch) }
                        guard added else {
                            batch.ended = true
                            batch.endPosition = csv?.position ?? reader.position
                            break
                        }
                        batch.setLastPosition(csv?.position ?? reader.position)
                    }
                } catch {
                    batch.error = error
                }
                let last = batch.ended || batch.error != nil
                shared.condition.lock()
                shared.ready.append(batch)
                if shared.callerWaits { shared.condition.signal() }
                shared.condition.unlock()
                if last { break }
            }
            shared.condition.lock()
            shared.exited = true
            shared.condition.broadcast()
            shared.condition.unlock()
        }
        thread.name = "sigport read-ahead"
        thread.start()
    }

    /// Stops the thread (at the end of the batch it is reading) and waits for it: the reader,
    /// and its file, are released when this returns.
    deinit {
        shared.condition.lock()
        shared.stop = true
        shared.condition.broadcast()
        while !shared.exited { shared.condition.wait() }
        shared.condition.unlock()
    }

    /// The next row or outcome, as the reader's own `next()` would give it (a flat row is valid
    /// until the next call).
    func nextItem() throws -> ReadItem? {
        while true {
            if let current, next < current.count {
                defer { next += 1 }
                position = current.position(after: next)
                return current.item(next)
            }
            if let error = pendingError {
                pendingError = nil
                throw error
            }
            if ended {
                if let end = current?.endPosition { position = end }
                return nil
            }
            shared.condition.lock()
            while shared.ready.isEmpty {
                shared.callerWaits = true
                shared.condition.wait()
            }
            shared.callerWaits = false
            if let current { shared.spent.append(current) }
            let batch = shared.ready.removeFirst()
            // The reader, when it sleeps on a full queue, is woken once half of it is taken: it
            // then reads several batches per wake-up, not one.
            if shared.readerWaits && shared.ready.count <= depth / 2 { shared.condition.signal() }
            shared.condition.unlock()
            current = batch
            next = 0
            ended = batch.ended || batch.error != nil
            pendingError = batch.error
        }
    }
}

extension RowReader {
    /// Adds the next row or problem to `batch` as an outcome; false at the end of the input.
    mutating func next(into batch: RowBatch) throws -> Bool {
        guard let outcome = try next() else { return false }
        batch.append(outcome)
        return true
    }
}
