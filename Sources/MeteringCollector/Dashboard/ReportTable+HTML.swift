internal import MeteringReports

extension ReportTable {
    /// The title, period and notes, then the table.
    func html(link: (_ row: [String], _ column: Int) -> String? = { _, _ in nil }) -> String {
        headingHTML() + tableHTML(link: link)
    }

    /// The title (`h1`), the period and the notes.
    func headingHTML() -> String {
        var out = "<h1>\(MeteringCollector.html(title))</h1>\n"
        out += "<p class=\"period\">\(MeteringCollector.html(period))</p>\n"
        if !notes.isEmpty {
            out += "<ul class=\"notes\">" + notes.map { "<li>\(MeteringCollector.html($0))</li>" }.joined() + "</ul>\n"
        }
        return out
    }

    /// The rows and the totals row as an HTML table — the very cells the CSV
    /// and PDF print, so a figure on the page is the figure in the download
    /// and in the API.
    ///
    /// Every cell carries `data-col` (its column's name); right-aligned columns
    /// are numbers and carry `class="num"`; the totals row is `class="totals"`.
    /// `link(row, column)` may return a URL (unescaped) to make a cell a link.
    func tableHTML(link: (_ row: [String], _ column: Int) -> String? = { _, _ in nil }) -> String {
        var out = "<table class=\"report\">\n<thead><tr>"
        for column in columns {
            out +=
                "<th scope=\"col\"\(column.alignment == .right ? " class=\"num\"" : "")>\(MeteringCollector.html(column.name))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += self.row(padded(row), cssClass: nil, link: link)
        }
        if rows.isEmpty {
            out += "<tr><td colspan=\"\(columns.count)\" class=\"muted\">Nothing to show.</td></tr>\n"
        }
        out += "</tbody>\n"
        if let totals {
            out += "<tfoot>\n" + row(padded(totals), cssClass: "totals", link: { _, _ in nil }) + "</tfoot>\n"
        }
        return out + "</table>\n"
    }

    private func row(_ cells: [String], cssClass: String?, link: (_ row: [String], _ column: Int) -> String?) -> String {
        var out = cssClass.map { "<tr class=\"\($0)\">" } ?? "<tr>"
        for (i, column) in columns.enumerated() {
            let text = MeteringCollector.html(cells[i])
            let content =
                cells[i].isEmpty ? "" : link(cells, i).map { "<a href=\"\(MeteringCollector.html($0))\">\(text)</a>" } ?? text
            let numeric = column.alignment == .right ? " class=\"num\"" : ""
            out += "<td\(numeric) data-col=\"\(MeteringCollector.html(column.name))\">\(content)</td>"
        }
        return out + "</tr>\n"
    }

    /// `cells` with one cell per column (the renderers' rule: pad with "" or cut).
    private func padded(_ cells: [String]) -> [String] {
        if cells.count >= columns.count { return Array(cells.prefix(columns.count)) }
        return cells + Array(repeating: "", count: columns.count - cells.count)
    }
}
