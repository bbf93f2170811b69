/// Where everything goes on a report's pages, in PDF points (1/72 inch),
/// y growing downwards as in cairo.
///
/// Computed from the table alone before anything is drawn: rows have a fixed
/// height, so the page count — needed for "Page N of M" on page 1 — is
/// arithmetic, and `PDFRenderer.pageCount(for:)` gives the same number
/// without cairo.
struct PDFPageLayout: Sendable {
    /// A4 in points (210 × 297 mm).
    static let a4Short = 595.276
    static let a4Long = 841.890
    /// Tables with more columns than this are laid out on landscape pages.
    static let portraitMaxColumns = 6

    static let margin = 36.0
    static let cellPadding = 4.0
    static let rowHeight = 13.0
    static let headerHeight = 16.0
    static let titleSize = 16.0
    static let periodSize = 10.5
    static let noteSize = 9.0
    static let noteLineHeight = 12.0
    static let bodySize = 8.5
    static let smallSize = 8.0

    let width: Double
    let height: Double
    let columnX: [Double]
    let columnWidth: [Double]
    let titleBaseline: Double
    let periodBaseline: Double
    /// Baselines of the note lines under the period, first page only.
    let noteBaselines: [Double]
    /// Top of the table header on page 1, and on every later page.
    let firstTableTop: Double
    let otherTableTop: Double
    /// Body rows that fit on page 1 and on each later page; the totals row
    /// takes one such slot after the last body row.
    let firstPageSlots: Int
    let otherPageSlots: Int
    let rowCount: Int
    let hasTotals: Bool
    let pageCount: Int

    init(_ table: ReportTable) {
        let landscape = table.columns.count > Self.portraitMaxColumns
        width = landscape ? Self.a4Long : Self.a4Short
        height = landscape ? Self.a4Short : Self.a4Long
        let m = Self.margin

        let printable = width - 2 * m
        let totalWeight = table.columns.reduce(0) { $0 + $1.weight }
        var x = m
        var xs: [Double] = []
        var widths: [Double] = []
        for column in table.columns {
            let w = totalWeight > 0 ? printable * column.weight / totalWeight : 0
            xs.append(x)
            widths.append(w)
            x += w
        }
        columnX = xs
        columnWidth = widths

        let title = m + Self.titleSize - 2
        let period = title + 18
        let notes = table.notes.indices.map { period + Self.noteLineHeight * Double($0 + 1) }
        titleBaseline = title
        periodBaseline = period
        noteBaselines = notes
        firstTableTop = (notes.last ?? period) + 12
        otherTableTop = m + 16

        let bottom = Self.contentBottom(height: height)
        func slots(from top: Double) -> Int {
            max(0, Int(((bottom - top - Self.headerHeight) / Self.rowHeight).rounded(.down)))
        }
        firstPageSlots = slots(from: firstTableTop)
        otherPageSlots = max(1, slots(from: otherTableTop))

        rowCount = table.rows.count
        hasTotals = table.totals != nil
        let needed = rowCount + (hasTotals ? 1 : 0)
        if needed <= firstPageSlots {
            pageCount = 1
        } else {
            let rest = needed - firstPageSlots
            pageCount = 1 + (rest + otherPageSlots - 1) / otherPageSlots
        }
    }

    /// The lowest y a table row may reach; the footer sits below it.
    static func contentBottom(height: Double) -> Double { height - margin - 10 }

    var contentBottom: Double { Self.contentBottom(height: height) }
    var footerBaseline: Double { height - Self.margin + 6 }
    var runningTitleBaseline: Double { Self.margin + 6 }
    var left: Double { Self.margin }
    var right: Double { width - Self.margin }

    func tableTop(page: Int) -> Double { page == 0 ? firstTableTop : otherTableTop }

    /// The body rows drawn on `page` (0-based).
    func rows(onPage page: Int) -> Range<Int> {
        let start = page == 0 ? 0 : firstPageSlots + (page - 1) * otherPageSlots
        let capacity = page == 0 ? firstPageSlots : otherPageSlots
        let lower = min(start, rowCount)
        return lower..<min(rowCount, start + capacity)
    }

    /// Whether the totals row goes on `page`: always the last page.
    func hasTotals(onPage page: Int) -> Bool { hasTotals && page == pageCount - 1 }
}
