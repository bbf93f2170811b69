import Foundation
import MeteringReports
import Testing

@Suite("PDF renderer")
struct PDFRendererTests {
    static let date = "2025-04-01T08:00:00Z"

    static let columns: [ReportTable.Column] = [
        .init("Start", weight: 1.6), .init("Caller", weight: 1.4), .init("Callee", weight: 1.4),
        .init("Duration", alignment: .right), .init("Cost", alignment: .right),
    ]

    /// `count` rows of plausible usage, with totals.
    static func usage(rows count: Int) -> ReportTable {
        let rows = (0..<count).map { i in
            [
                "2025-03-01 10:\(i / 60 % 60):\(i % 60)", "+4930\(100_000 + i)", "+4420\(700_000 + i)",
                "\(i % 600 + 1) s", "0.\(10 + i % 90)",
            ]
        }
        return ReportTable(
            title: "Usage", period: "2025-03-01 – 2025-03-31 (Europe/Berlin)", notes: ["Currency EUR", "Member alice"],
            columns: columns, rows: rows, totals: ["Totals", "", "", "\(count) calls", "4321.99"])
    }

    @Test("a small table: title, period, notes, header, rows and totals as text on one page")
    func small() throws {
        var table = Self.usage(rows: 3)
        table.rows.append(["2025-03-02 09:00:00", "Zoë Müller", "+4930 999", "61 s", "1.02"])
        let pdf = try PDFRenderer().render(table, creationDate: Self.date)
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        let info = try PDFTools.info(of: pdf)
        #expect(info["Pages"] == "1")
        #expect(info["Title"] == "Usage")
        #expect(PDFRenderer().pageCount(for: table) == 1)
        let text = try PDFTools.text(of: pdf)
        for expected in [
            "Usage", "2025-03-01 – 2025-03-31 (Europe/Berlin)", "Currency EUR", "Member alice",
            "+4930100001", "Zoë Müller", "Totals", "4321.99", "Page 1 of 1",
        ] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        let header = try #require(text.split(separator: "\n").first { $0.contains("Caller") })
        #expect(header.contains(/Start\s+Caller\s+Callee\s+Duration\s+Cost/))
        let row = try #require(text.split(separator: "\n").first { $0.contains("+4930100002") })
        #expect(row.contains(/2025-03-01 10:0:2\s+\+4930100002\s+\+4420700002\s+3 ?s\s+0.12/))
    }

    @Test("5,000 rows: every page has the header and its page number, totals only on the last")
    func manyPages() throws {
        let table = Self.usage(rows: 5000)
        let renderer = PDFRenderer()
        let pdf = try renderer.render(table, creationDate: Self.date)
        let count = renderer.pageCount(for: table)
        #expect(count > 1)
        #expect(try PDFTools.info(of: pdf)["Pages"] == String(count))
        let pages = try PDFTools.pages(of: pdf)
        try #require(pages.count == count)
        for (i, page) in pages.enumerated() {
            #expect(page.contains(/Start\s+Caller\s+Callee\s+Duration\s+Cost/), "no header on page \(i + 1)")
            #expect(page.contains("Page \(i + 1) of \(count)"))
            #expect(page.contains("Totals") == (i == count - 1), "totals on page \(i + 1)")
        }
        #expect(pages[0].contains("Currency EUR"))
        #expect(pages[1].contains("Usage — 2025-03-01"))
        // Every body row is printed exactly once, in order.
        let callers = pages.joined().matches(of: /\+4930(\d{6})/).map { Int($0.output.1) ?? -1 }
        #expect(callers == Array(100_000..<105_000))
    }

    @Test("two renders with the same creation date are byte-identical; the date is in the file")
    func deterministic() throws {
        let table = Self.usage(rows: 300)
        let first = try PDFRenderer().render(table, creationDate: Self.date)
        let second = try PDFRenderer().render(table, creationDate: Self.date)
        #expect(first == second)
        let other = try PDFRenderer().render(table, creationDate: "2025-04-02T08:00:00+02:00")
        #expect(other != first)
        // cairo 1.16 writes the date without the "D:" prefix PDF 1.7 §7.9.4 asks
        // for; pdfinfo reads it either way.
        #expect(String(decoding: first, as: UTF8.self).contains("/CreationDate (20250401080000Z)"))
        #expect(try PDFTools.info(of: first)["CreationDate"]?.contains("Apr  1 08:00:00 2025") == true)
    }

    @Test("cells wider than their column are cut with an ellipsis; control characters become spaces")
    func ellipsis() throws {
        let long = "Anastasia-Konstantinopoulou-Papadimitriou-Wolfeschlegelsteinhausen"
        let table = ReportTable(
            title: "Usage", period: "March",
            columns: [.init("Name"), .init("A"), .init("B"), .init("C"), .init("D"), .init("E")],
            rows: [[long, "x", "y", "z", "w", "v"], ["tab\there\nnext", "", "", "", "", ""]])
        let text = try PDFTools.text(of: PDFRenderer().render(table, creationDate: Self.date))
        #expect(!text.contains(long))
        #expect(text.contains("Anastasia-Kon"))
        #expect(text.contains("…"))
        #expect(text.contains("tab here next"))
    }

    @Test("more than six columns go landscape")
    func landscape() throws {
        let table = ReportTable(title: "Wide", period: "p", columns: (1...8).map { .init("C\($0)") }, rows: [["1"]])
        let info = try PDFTools.info(of: PDFRenderer().render(table, creationDate: Self.date))
        #expect(info["Page size"]?.hasPrefix("841.89 x 595.276") == true)
    }

    @Test(
        "malformed creation dates are refused with one sentence",
        arguments: ["", "2025-04-01", "2025-04-01 08:00:00", "2025-13-01T08:00:00Z", "2025-04-01T08:00:00+0200", "now"])
    func badDate(_ date: String) {
        #expect(throws: ReportError.invalidCreationDate(date)) {
            try PDFRenderer().render(Self.usage(rows: 1), creationDate: date)
        }
    }

    @Test("a table without columns is refused")
    func noColumns() {
        #expect(throws: ReportError.noColumns) {
            try PDFRenderer().render(ReportTable(title: "x", period: "y", columns: []), creationDate: Self.date)
        }
    }

    @Test("an empty table is one page with its header and totals")
    func empty() throws {
        var table = Self.usage(rows: 0)
        table.notes = []
        let pdf = try PDFRenderer(zebraRows: false).render(table, creationDate: "2025-04-01T08:00:00")
        #expect(try PDFTools.info(of: pdf)["Pages"] == "1")
        #expect(try PDFTools.text(of: pdf).contains("0 calls"))
    }

    @Test("render time for 10,000 rows (printed, not asserted)")
    func timing() throws {
        let table = Self.usage(rows: 10_000)
        let clock = ContinuousClock()
        var pdf: [UInt8] = []
        let elapsed = try clock.measure { pdf = try PDFRenderer().render(table, creationDate: Self.date) }
        print("PDFRenderer: 10,000 rows, \(PDFRenderer().pageCount(for: table)) pages, \(pdf.count) bytes in \(elapsed)")
    }
}
