/// Draws a `ReportTable` as an A4 PDF through cairo.
///
/// Page 1 carries the title, the period and the notes; later pages a short
/// running title. The column header repeats at the top of every page, cells
/// are cut to their column with "…", right-aligned columns line up on their
/// right edge, the totals row is bold at the end of the last page, and every
/// page has "Page N of M" in its footer. Tables with more than six columns
/// go landscape.
///
/// The output depends only on the table, `creationDate`, the cairo version
/// and the DejaVu Sans font files installed: two renders on one machine are
/// byte-identical, which is what the golden-file tests rely on.
public struct PDFRenderer: Sendable {
    /// Shade every other body row, which helps the eye along wide rows.
    public var zebraRows: Bool

    /// A renderer; `zebraRows` shades every other body row.
    public init(zebraRows: Bool = true) {
        self.zebraRows = zebraRows
    }

    /// The number of pages `render` produces for `table`.
    public func pageCount(for table: ReportTable) -> Int {
        PDFPageLayout(table).pageCount
    }

    /// The table as the bytes of a PDF file.
    ///
    /// - Parameter creationDate: the PDF creation date as ISO 8601
    ///   (`2025-03-31T00:00:00Z`, `2025-03-31T02:00:00+02:00` or without a
    ///   zone); pass the report's generation time, or a constant in tests.
    /// - Throws: `ReportError` when the date is malformed, the table has no
    ///   columns, or cairo fails (its message is kept).
    public func render(_ table: ReportTable, creationDate: String) throws -> [UInt8] {
        guard Self.isValidCreationDate(creationDate) else { throw ReportError.invalidCreationDate(creationDate) }
        guard !table.columns.isEmpty else { throw ReportError.noColumns }
        let layout = PDFPageLayout(table)
        let doc = try CairoPDFDocument(
            width: layout.width, height: layout.height, title: table.title, creationDate: creationDate)
        for page in 0..<layout.pageCount {
            if page == 0 {
                drawTitleBlock(table, layout, doc)
            } else {
                drawRunningTitle(table, layout, doc)
            }
            var y = layout.tableTop(page: page)
            drawHeader(table, layout, doc, top: y)
            y += PDFPageLayout.headerHeight
            doc.font(.regular, size: PDFPageLayout.bodySize)
            for index in layout.rows(onPage: page) {
                if zebraRows && index % 2 == 1 {
                    doc.fillRect(
                        x: layout.left, y: y, width: layout.right - layout.left, height: PDFPageLayout.rowHeight,
                        grey: 0.94)
                }
                drawCells(table.fitted(table.rows[index]), table, layout, doc, top: y, height: PDFPageLayout.rowHeight)
                y += PDFPageLayout.rowHeight
            }
            if layout.hasTotals(onPage: page), let totals = table.totals {
                doc.line(from: layout.left, y, to: layout.right, y, lineWidth: 0.8, grey: 0)
                doc.font(.bold, size: PDFPageLayout.bodySize)
                drawCells(table.fitted(totals), table, layout, doc, top: y, height: PDFPageLayout.rowHeight)
            }
            drawFooter(page: page, layout, doc)
            try doc.endPage()
        }
        return try doc.finish()
    }

    // MARK: Page parts

    private func drawTitleBlock(_ table: ReportTable, _ layout: PDFPageLayout, _ doc: CairoPDFDocument) {
        let width = layout.right - layout.left
        doc.setGrey(0)
        doc.font(.bold, size: PDFPageLayout.titleSize)
        doc.show(doc.fitted(table.title, maxWidth: width).text, x: layout.left, y: layout.titleBaseline)
        doc.font(.regular, size: PDFPageLayout.periodSize)
        doc.show(doc.fitted(table.period, maxWidth: width).text, x: layout.left, y: layout.periodBaseline)
        doc.font(.regular, size: PDFPageLayout.noteSize)
        doc.setGrey(0.25)
        for (note, baseline) in zip(table.notes, layout.noteBaselines) {
            doc.show(doc.fitted(note, maxWidth: width).text, x: layout.left, y: baseline)
        }
    }

    private func drawRunningTitle(_ table: ReportTable, _ layout: PDFPageLayout, _ doc: CairoPDFDocument) {
        doc.setGrey(0.35)
        doc.font(.regular, size: PDFPageLayout.smallSize)
        let text = doc.fitted("\(table.title) — \(table.period)", maxWidth: layout.right - layout.left).text
        doc.show(text, x: layout.left, y: layout.runningTitleBaseline)
    }

    private func drawHeader(_ table: ReportTable, _ layout: PDFPageLayout, _ doc: CairoPDFDocument, top: Double) {
        let height = PDFPageLayout.headerHeight
        doc.fillRect(x: layout.left, y: top, width: layout.right - layout.left, height: height, grey: 0.85)
        doc.font(.bold, size: PDFPageLayout.bodySize)
        drawCells(table.columns.map(\.name), table, layout, doc, top: top, height: height)
        doc.line(from: layout.left, top + height, to: layout.right, top + height, lineWidth: 0.8, grey: 0)
    }

    /// One line of cells in the current font, each cut to its column.
    private func drawCells(
        _ cells: [String], _ table: ReportTable, _ layout: PDFPageLayout, _ doc: CairoPDFDocument,
        top: Double, height: Double
    ) {
        doc.setGrey(0)
        let pad = PDFPageLayout.cellPadding
        // Baseline placed so that digits sit visually centred in the row.
        let baseline = top + height / 2 + PDFPageLayout.bodySize * 0.36
        for (column, cell) in zip(table.columns.indices, cells) where !cell.isEmpty {
            let x = layout.columnX[column]
            let width = layout.columnWidth[column]
            let (text, textWidth) = doc.fitted(cell, maxWidth: width - 2 * pad)
            guard !text.isEmpty else { continue }
            switch table.columns[column].alignment {
            case .left: doc.show(text, x: x + pad, y: baseline)
            case .right: doc.show(text, x: x + width - pad - textWidth, y: baseline)
            }
        }
    }

    private func drawFooter(page: Int, _ layout: PDFPageLayout, _ doc: CairoPDFDocument) {
        doc.setGrey(0.35)
        doc.font(.regular, size: PDFPageLayout.smallSize)
        let text = "Page \(page + 1) of \(layout.pageCount)"
        doc.show(text, x: layout.right - doc.width(of: text), y: layout.footerBaseline)
    }
}
