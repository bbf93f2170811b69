/// A plain-text table sized to its content, for terminals: columns padded
/// to their widest cell, numbers right-aligned when asked.
public struct TextTable: Sendable {
    public var headers: [String]
    public var rightAligned: Set<Int>
    public private(set) var rows: [[String]] = []

    public init(headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    public mutating func add(_ row: [String]) {
        rows.append(row)
    }

    /// The table with a header line; every line ends with `\n`.
    public var text: String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, width) in widths.enumerated() {
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: width - cell.count)
                parts.append(rightAligned.contains(i) ? pad + cell : cell + pad)
            }
            var out = parts.joined(separator: "  ")
            while out.hasSuffix(" ") { out.removeLast() }
            return out + "\n"
        }
        return line(headers) + rows.map(line).joined()
    }
}
