/// A report as the renderers see it: a title, a period, a few note lines and a
/// table of already-formatted cells.
///
/// The model is neutral on purpose — the Usage, Balance and Invoice queries
/// each build one, and the CSV and PDF renderers draw any of them the same
/// way. Cells are strings formatted by the caller (money through `Money`,
/// never `Double`), so the renderers never round or reformat anything.
public struct ReportTable: Sendable, Equatable {
    /// How a column's cells sit in their cell: text left, numbers right.
    public enum Alignment: String, Sendable, Equatable {
        case left
        case right
    }

    /// One column: its header text, its alignment and its share of the width.
    public struct Column: Sendable, Equatable {
        /// The header text, printed at the top of every PDF page and as the CSV header.
        public var name: String
        /// Right for amounts, counts and durations; left for everything else.
        public var alignment: Alignment
        /// The column's share of the printable width, relative to the other
        /// columns' weights (a column of weight 2 is twice as wide as one of weight 1).
        public var weight: Double

        /// A column; `weight` below a small positive minimum is raised to it.
        public init(_ name: String, alignment: Alignment = .left, weight: Double = 1) {
            self.name = name
            self.alignment = alignment
            self.weight = weight.isFinite ? max(weight, 0.05) : 1
        }
    }

    /// The report's name, e.g. "Usage".
    public var title: String
    /// The period the report covers, e.g. "2025-03-01 – 2025-03-31 (Europe/Berlin)".
    public var period: String
    /// Lines printed under the title on the first page, e.g. "Currency EUR".
    public var notes: [String]
    /// The columns, left to right.
    public var columns: [Column]
    /// The body rows; each should hold one cell per column.
    public var rows: [[String]]
    /// A final totals row (printed bold in the PDF, last in the CSV), or nil.
    public var totals: [String]?

    /// A report table. Rows shorter than `columns` are padded with empty
    /// cells when rendered and longer ones are cut, so every line of the
    /// output has exactly one cell per column.
    public init(
        title: String,
        period: String,
        notes: [String] = [],
        columns: [Column],
        rows: [[String]] = [],
        totals: [String]? = nil
    ) {
        self.title = title
        self.period = period
        self.notes = notes
        self.columns = columns
        self.rows = rows
        self.totals = totals
    }

    /// `cells` fitted to the column count: padded with "" or cut.
    func fitted(_ cells: [String]) -> [String] {
        if cells.count == columns.count { return cells }
        if cells.count > columns.count { return Array(cells.prefix(columns.count)) }
        return cells + Array(repeating: "", count: columns.count - cells.count)
    }
}
