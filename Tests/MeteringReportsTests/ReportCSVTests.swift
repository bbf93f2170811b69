import MeteringReports
import Testing

@Suite("Report CSV")
struct ReportCSVTests {
    @Test(
        "one field per line: RFC 4180 quoting, formula injection neutralised",
        arguments: [
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("\"", "\"\"\"\""),
            ("line1\nline2", "\"line1\nline2\""),
            ("line1\r\nline2", "\"line1\r\nline2\""),
            ("cr\rhere", "\"cr\rhere\""),
            ("Zoë Müller, 東京", "\"Zoë Müller, 東京\""),
            ("Zoë", "Zoë"),
            // Formula injection: =, @, tab, CR lead; + and - unless a plain number.
            ("=1+1", "'=1+1"),
            ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\r=1", "\"'\r=1\""),
            ("+cmd", "'+cmd"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("-1+1", "'-1+1"),
            ("-x", "'-x"),
            // Legitimate leading signs stay as they are.
            ("+4930123456", "+4930123456"),
            ("+44 20 7946 0000", "+44 20 7946 0000"),
            ("-12.50", "-12.50"),
            ("-1,234.50", "\"-1,234.50\""),
            ("-", "-"),
            ("+", "+"),
            ("alice=bob", "alice=bob"),
            (" =1+1", " =1+1"),
        ])
    func field(_ input: String, _ expected: String) {
        #expect(ReportCSV.line([input]) == expected + "\r\n")
    }

    @Test("fields are joined by commas and every line ends in CRLF")
    func line() {
        #expect(ReportCSV.line(["a", "b,c", "", "=x"]) == "a,\"b,c\",,'=x\r\n")
        #expect(ReportCSV.line([]) == "\r\n")
    }

    @Test("a table is header, rows, then totals; rows fitted to the column count")
    func table() {
        let table = ReportTable(
            title: "Usage", period: "March 2025", notes: ["Currency EUR"],
            columns: [.init("Caller"), .init("Calls", alignment: .right), .init("Cost", alignment: .right)],
            rows: [["+4930123", "2", "0.40"], ["=evil()", "1"], ["Zoë", "3", "1.20", "extra"]],
            totals: ["Total", "6", "1.60"])
        let expected =
            "Caller,Calls,Cost\r\n" + "+4930123,2,0.40\r\n" + "'=evil(),1,\r\n" + "Zoë,3,1.20\r\n" + "Total,6,1.60\r\n"
        #expect(table.csv() == expected)
    }

    @Test("a table without rows or totals is just its header")
    func emptyTable() {
        let table = ReportTable(title: "Usage", period: "", columns: [.init("a"), .init("b \"q\"")])
        #expect(table.csv() == "a,\"b \"\"q\"\"\"\r\n")
    }
}
