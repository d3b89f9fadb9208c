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
/// that the reader has not freed yet (half the queue at most).
final class ReadAhead {
    /// One batch: outcomes, and how the reader ended after them (if it did).
    private struct Batch {
        var outcomes: [ReadOutcome]
        /// The reader's `position` after each outcome.
        var positions: [ReadPosition?] = []
        var ended = false
        var error: (any Error)?
    }

    /// What both threads touch, behind `condition`.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var ready: [Batch] = []
        var stop = false
        var exited = false
        /// Whether a side sleeps on `condition`: the other wakes it only then, not once per batch.
        var readerWaits = false
        var callerWaits = false
        /// Batches handed out, given back so the reader thread frees their rows. Memory freed
        /// on another thread than the one that allocated it takes glibc's lock of the arena the
        /// reader allocates from; in a wide CSV plan, waiting on that lock was 9% of the profile
        /// and most of its 3,500 context switches (576 with the rows freed by the reader).
        var spent: [[ReadOutcome]] = []
    }

    /// Hands the reader to the thread; nothing else touches it afterwards.
    private struct Owned: @unchecked Sendable { var reader: any RowReader }

    private let shared = Shared()
    private let depth: Int
    private var current: [ReadOutcome] = []
    private var currentPositions: [ReadPosition?] = []
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

    init(_ reader: any RowReader, batchSize: Int = 256, batchBytes: Int = 1 << 20, depth: Int = 8) {
        self.depth = depth
        let shared = self.shared
        let owned = Owned(reader: reader)
        let thread = Thread {
            var reader = owned.reader
            var spent: [[ReadOutcome]] = []
            while true {
                shared.condition.lock()
                while shared.ready.count >= depth && !shared.stop {
                    shared.readerWaits = true
                    shared.condition.wait()
                }
                shared.readerWaits = false
                let stop = shared.stop
                swap(&spent, &shared.spent)
                shared.condition.unlock()
                spent.removeAll()
                if stop { break }

                var batch = Batch(outcomes: [])
                batch.outcomes.reserveCapacity(batchSize)
                batch.positions.reserveCapacity(batchSize)
                var bytes = 0
                do {
                    while batch.outcomes.count < batchSize && bytes < batchBytes {
                        guard let outcome = try reader.next() else { batch.ended = true; break }
                        switch outcome {
                        case .row(let row): bytes += row.raw.count
                        case .problem(let problem): bytes += problem.raw.count
                        }
                        batch.outcomes.append(outcome)
                        batch.positions.append(reader.position)
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

    /// The next outcome, as the reader's own `next()` would give it.
    func nextOutcome() throws -> ReadOutcome? {
        while true {
            if next < current.count {
                defer { next += 1 }
                position = currentPositions[next]
                return current[next]
            }
            if let error = pendingError {
                pendingError = nil
                throw error
            }
            if ended { return nil }
            shared.condition.lock()
            while shared.ready.isEmpty {
                shared.callerWaits = true
                shared.condition.wait()
            }
            shared.callerWaits = false
            shared.spent.append(current)
            let batch = shared.ready.removeFirst()
            // The reader, when it sleeps on a full queue, is woken once half of it is taken: it
            // then reads several batches per wake-up, not one.
            if shared.readerWaits && shared.ready.count <= depth / 2 { shared.condition.signal() }
            shared.condition.unlock()
            current = batch.outcomes
            currentPositions = batch.positions
            next = 0
            ended = batch.ended || batch.error != nil
            pendingError = batch.error
        }
    }
}
