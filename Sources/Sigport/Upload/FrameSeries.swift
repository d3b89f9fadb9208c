/// An `InsertFrameBuilder`'s series: per series, its cells by time column (every series has one
/// per column of the frame) and the value the row being added gives it.
///
/// Memory the builder manages itself, behind one reference it copies on write (checked once per
/// row, in `InsertFrameBuilder.add`): as an array of arrays, every cell appended checked its
/// series' storage unique and its capacity, ten times a row in a wide CSV; without that, the
/// wide plan went 0.94 → 0.85 s.
/// A series' cells are contiguous, as the body writes them, 8 bytes each (`FrameCell`): texts of
/// 8–15 bytes go to the spill bytes, shared by the series. Emptied, the series keep their memory
/// for the next frame: `plan` fills one body after another.
final class FrameSeries: @unchecked Sendable {
    /// Per series slot (those in use first, then spares): its cells, room for `capacity` each.
    private var cells: UnsafeMutablePointer<UnsafeMutablePointer<FrameCell>>
    /// Spilled texts, each stored as the 16 bytes of its `CellText` and read back as 16 (the
    /// next text overwrites the bytes past one; room is kept for the last).
    private(set) var spill: UnsafeMutablePointer<UInt8>
    private var spillCount = 0
    private var spillCapacity = 4096
    /// Per series slot: the number of the `add` that last gave it a value, and that value.
    private var marks: UnsafeMutablePointer<Int>
    private var pending: UnsafeMutablePointer<CellText>
    private var slots: Int
    private var allocated = 0
    private(set) var count = 0
    /// Cells per series: the frame's time columns.
    private(set) var columns = 0
    private var capacity: Int

    init(slots: Int = 16, capacity: Int = 256) {
        self.slots = slots
        self.capacity = capacity
        cells = .allocate(capacity: slots)
        marks = .allocate(capacity: slots)
        pending = .allocate(capacity: slots)
        spill = .allocate(capacity: spillCapacity)
    }

    deinit {
        for s in 0..<allocated { cells[s].deallocate() }
        cells.deallocate()
        spill.deallocate()
        marks.deallocate()
        pending.deallocate()
    }

    /// A copy of the series in use, for a builder that was copied and is then changed.
    func copy() -> FrameSeries {
        let copy = FrameSeries(slots: max(count, 1), capacity: max(columns, 1))
        for s in 0..<count {
            let slot = copy.addSeries(add: marks[s], value: pending[s])
            copy.cells[slot].initialize(from: cells[s], count: columns)
        }
        copy.columns = columns
        // 16 past the last: a spilled text is read as 16 bytes.
        copy.reserveSpill(spillCount + 16)
        copy.spill.initialize(from: spill, count: spillCount)
        copy.spillCount = spillCount
        return copy
    }

    /// Empties every series and the columns, keeping the memory.
    func removeAll() {
        count = 0
        columns = 0
        spillCount = 0
    }

    @inline(__always)
    subscript(series: Int, column: Int) -> CellText {
        get { cells[series][column].cellText(spill: spill) }
        set { cells[series][column] = cell(newValue) }
    }

    /// Series `s`'s cells, column by column; a spilled text's bytes are in `spill`.
    func cells(of s: Int) -> UnsafeBufferPointer<FrameCell> { UnsafeBufferPointer(start: cells[s], count: columns) }

    /// `text` as a cell, spilling a text of 8–15 bytes.
    @inline(__always)
    private func cell(_ text: CellText) -> FrameCell {
        FrameCell(text) ?? spilled(text)
    }

    /// Out of line: most cells are inline, and the hot loops stay small.
    @inline(never)
    private func spilled(_ text: CellText) -> FrameCell {
        reserveSpill(16)
        let offset = spillCount
        spillCount += text.store(to: spill + offset)
        return FrameCell(spilledAt: offset, count: text.count)
    }

    /// Room for `more` spill bytes past those in use.
    private func reserveSpill(_ more: Int) {
        guard spillCount + more > spillCapacity else { return }
        spillCapacity = max(spillCapacity * 2, spillCount + more)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: spillCapacity)
        grown.moveInitialize(from: spill, count: spillCount)
        spill.deallocate()
        spill = grown
    }

    /// The number of the `add` that last gave series `s` a value.
    func mark(_ s: Int) -> Int { marks[s] }
    /// The value that add gave it.
    func pending(_ s: Int) -> CellText { pending[s] }
    /// Series `s` gets `value` in add number `add`.
    func setPending(_ s: Int, add: Int, value: CellText) {
        marks[s] = add
        pending[s] = value
    }

    /// Appends a time column: each series' value from add number `add`, or `null`.
    func appendColumn(add: Int) {
        reserveColumn()
        for s in 0..<count { cells[s][columns] = marks[s] == add ? cell(pending[s]) : .null }
        commitColumn()
    }

    /// Room for one more column, whose cells (`self[s, columns]`) may then be written before
    /// `commitColumn` makes it part of the series; until then they are scratch.
    func reserveColumn() {
        if columns == capacity { grow() }
    }

    /// The column written after `reserveColumn`, every series' cell in it set, joins the series.
    func commitColumn() {
        columns += 1
    }

    /// Adds a series, `null` at every column, with `value` pending from add number `add`; its index.
    func addSeries(add: Int, value: CellText) -> Int {
        if count == allocated {
            if allocated == slots { growSlots() }
            cells[allocated] = .allocate(capacity: capacity)
            allocated += 1
        }
        let s = count
        count += 1
        cells[s].initialize(repeating: .null, count: columns)
        setPending(s, add: add, value: value)
        return s
    }

    private func grow() {
        capacity *= 2
        for s in 0..<allocated {
            let grown = UnsafeMutablePointer<FrameCell>.allocate(capacity: capacity)
            if s < count { grown.initialize(from: cells[s], count: columns) }
            cells[s].deallocate()
            cells[s] = grown
        }
    }

    private func growSlots() {
        slots *= 2
        func moved<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let grown = UnsafeMutablePointer<T>.allocate(capacity: slots)
            grown.moveInitialize(from: old, count: allocated)
            old.deallocate()
            return grown
        }
        cells = moved(cells)
        marks = moved(marks)
        pending = moved(pending)
    }
}
