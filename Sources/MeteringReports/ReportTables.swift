public import MeteringCore
public import MeteringStore

/// The four monthly reports as `ReportTable`s, for the CSV and PDF renderers.
/// Amounts are printed exactly (4 decimals), so every column adds up to its
/// totals row and to the ledger, to the unit.
public enum ReportTables {
    /// "2026-11-01 – 2026-11-30 (UTC)" for 202611.
    public static func period(month: Int) -> String {
        let last = Timestamp.monthEnd(month).adding(seconds: -1).dayKey % 100
        let m = monthText(month)
        return "\(m)-01 – \(m)-\(two(last)) (UTC)"
    }

    /// "2026-11" for 202611.
    public static func monthText(_ month: Int) -> String { "\(month / 100)-\(two(month % 100))" }

    public static func summary(_ r: SummaryReport) -> ReportTable {
        var rows: [[String]] = []
        for m in r.members {
            rows.append([
                m.name, "", m.kind.rawValue, m.allocated.description, m.used.description, m.remaining.description, "\(m.calls)",
                minutes(m.billedSeconds), "", "",
            ])
            for p in m.profiles {
                rows.append([
                    m.name, p.name, "profile", p.allocated?.description ?? "", p.used.description, p.remaining?.description ?? "",
                    "\(p.calls)", minutes(p.billedSeconds),
                    p.bundleMinutes > 0 ? "\(minutes(p.bundleSecondsUsed)) / \(p.bundleMinutes):00" : "",
                    p.channels.map(String.init) ?? "",
                ])
            }
        }
        return ReportTable(
            title: "Summary — \(r.group)", period: period(month: r.month),
            notes: [
                "Currency \(r.currency)", "Purchases this month \(r.purchases.description)",
                "Group balance now \(r.groupBalance.description)",
                "Allocated: net this month; used: calls set up this month; remaining: balance now",
            ],
            columns: [
                .init("Member", weight: 1.4), .init("SIP Profile", weight: 1.4), .init("Kind", weight: 0.8),
                .init("Allocated", alignment: .right), .init("Used", alignment: .right), .init("Remaining", alignment: .right),
                .init("Calls", alignment: .right, weight: 0.7), .init("Minutes", alignment: .right, weight: 0.8),
                .init("Bundle used / of", alignment: .right, weight: 1.2), .init("Channels", alignment: .right, weight: 0.7),
            ],
            rows: rows,
            totals: [
                "Total", "", "", r.allocated.description, r.used.description, "", "\(r.calls)",
                minutes(r.members.reduce(0) { $0 + $1.billedSeconds }), "", "",
            ])
    }

    public static func purchases(_ r: PurchasesReport) -> ReportTable {
        ReportTable(
            title: "Purchases — \(r.group)", period: period(month: r.month), notes: ["Currency \(r.currency)"],
            columns: [.init("Date"), .init("Time (UTC)"), .init("Reference", weight: 2.5), .init("Amount", alignment: .right)],
            rows: r.purchases.map { [date($0.createdAt), time($0.createdAt), $0.reference, $0.amount.description] },
            totals: ["Total", "", r.purchases.count == 1 ? "1 purchase" : "\(r.purchases.count) purchases", r.total.description])
    }

    public static func allocations(_ r: AllocationsReport) -> ReportTable {
        var rows: [[String]] = r.credit.map {
            [
                "credit", date($0.createdAt), $0.member, $0.profile ?? "", $0.kind.label, "", $0.amount.description,
            ]
        }
        rows += r.bundles.map {
            [
                "bundle", date($0.createdAt), $0.member, $0.profile, $0.name,
                "\($0.minutes) min to \($0.prefixes.joined(separator: " "))", "",
            ]
        }
        rows += r.channels.map {
            [
                "channels", "", $0.member, $0.profile ?? "", "channels",
                "\($0.channels)" + ($0.burstPercent > 0 ? " (+\($0.burstPercent)% burst)" : ""), "",
            ]
        }
        return ReportTable(
            title: "Allocations — \(r.group)", period: period(month: r.month),
            notes: [
                "Currency \(r.currency)",
                "Credit: allocations \(r.total(.allocation)), take-backs \(r.total(.takeBack)), auto-recharges \(r.total(.autoRecharge))",
            ],
            columns: [
                .init("Feature", weight: 0.8), .init("Date"), .init("Member"), .init("SIP Profile"), .init("Kind"),
                .init("Quantity", weight: 1.6), .init("Amount", alignment: .right),
            ],
            rows: rows, totals: ["Total", "", "", "", "net credit", "", r.net.description])
    }

    /// The Usage report; `mask` hides the last digits of every number.
    public static func usage(_ r: UsageReport, mask: Bool) -> ReportTable {
        let rows = r.calls.map { c -> [String] in
            let bundled = c.bundleSeconds > 0 && (c.price ?? .zero) == .zero
            return [
                date(c.setupTime), time(c.setupTime), mask ? maskNumber(c.callee) : c.callee, c.destination ?? "",
                duration(ms: c.durationMs), "\(c.billedSeconds)", c.ratePerMinute?.description ?? "",
                c.price?.description ?? "unrated", bundled ? "bundle" : "", c.disposition,
            ]
        }
        var notes = ["Currency \(r.currency)", "Member \(r.member)"]
        if let p = r.profile { notes.append("SIP Profile \(p)") }
        return ReportTable(
            title: "Usage — \(r.profile ?? r.member)", period: period(month: r.month), notes: notes,
            columns: [
                .init("Date"), .init("Time (UTC)", weight: 0.8), .init("Number called", weight: 1.3),
                .init("Destination", weight: 1.6), .init("Duration", alignment: .right, weight: 0.8),
                .init("Billed s", alignment: .right, weight: 0.7), .init("Rate/min", alignment: .right, weight: 0.9),
                .init("Cost", alignment: .right, weight: 0.9), .init("Bundle", weight: 0.6), .init("Disposition", weight: 1.0),
            ],
            rows: rows,
            totals: [
                "Total", "", "\(r.totals.calls) calls", "", "", "\(r.totals.billedSeconds)", "", r.totals.cost.description, "",
                "",
            ])
    }

    /// The number with its last four digits hidden: "+442071234567" → "+44207123****".
    public static func maskNumber(_ number: String) -> String {
        var hide = 4
        var out: [Character] = []
        for c in number.reversed() {
            if hide > 0, c.isNumber {
                out.append("*")
                hide -= 1
            } else {
                out.append(c)
            }
        }
        return String(out.reversed())
    }

    static func minutes(_ seconds: Int64) -> String { "\(seconds / 60):\(two(Int(seconds % 60)))" }

    static func duration(ms: Int64) -> String { minutes((ms + 999) / 1000) }

    static func date(_ t: Timestamp) -> String { String(t.rfc3339.prefix(10)) }

    static func time(_ t: Timestamp) -> String { String(t.rfc3339.dropFirst(11).prefix(8)) }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

extension AllocationsReport.Kind {
    var label: String {
        switch self {
        case .allocation: "allocation"
        case .takeBack: "take-back"
        case .autoRecharge: "auto-recharge"
        }
    }
}
