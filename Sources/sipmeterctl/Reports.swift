import ArgumentParser
import Foundation

/// `sipmeterctl report summary|purchases|allocations|usage`: a monthly
/// report as a table, or its CSV or PDF to a file.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A monthly report: summary, purchases, allocations or usage (as a table, CSV or PDF).",
        discussion: """
            Usage call detail of a member with a personal account needs that member's consent; \
            without it the collector answers 403 and this prints its reason.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case summary, purchases, allocations, usage
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, pdf
    }

    @OptionGroup var connection: Connection
    @Argument(help: "summary, purchases, allocations or usage.") var kind: Kind
    @Option(help: "Month YYYY-MM (default: this month, UTC).") var month: String?
    @Option(help: "Member (usage: one member or one SIP Profile).") var member: String?
    @Option(help: "SIP Profile.") var profile: String?
    @Option(help: "table, csv or pdf.") var format: Format = .table
    @Option(help: "Write CSV or PDF to this file (default for csv: standard output).") var out: String?
    @Option(help: "Usage: only this disposition (answered, busy, no_answer, …).") var disposition: String?
    @Option(help: "Usage: only numbers starting with these digits.") var prefix: String?
    @Option(help: "Usage: outbound, inbound or unknown.") var direction: String?
    @Option(help: "Usage: calls costing at least this much.") var minCost: String?
    @Option(help: "Usage: first day of the month to include.") var fromDay: Int?
    @Option(help: "Usage: last day of the month to include.") var toDay: Int?
    @Flag(help: "Hide the last digits of numbers called.") var mask = false

    func validate() throws {
        if format == .pdf, out == nil { throw ValidationError("--format pdf needs --out FILE") }
    }

    var query: String {
        var items: [(String, String?)] = [
            ("month", month), ("member", member), ("profile", profile), ("disposition", disposition), ("prefix", prefix),
            ("direction", direction), ("min_cost", minCost), ("from_day", fromDay.map(String.init)),
            ("to_day", toDay.map(String.init)),
        ]
        if mask { items.append(("mask", "true")) }
        return items.compactMap { k, v in v.map { "\(k)=\(escaped($0))" } }.joined(separator: "&")
    }

    func run() async throws {
        let path = "/v1/reports/\(kind.rawValue)?\(query)"
        if format != .table {
            let data = try await connection.call(.GET, path + "&format=\(format.rawValue)")
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: data) else {
                    throw CLIError("cannot write --out \(out)")
                }
                print("wrote \(out) (\(data.count) bytes)")
            } else {
                FileHandle.standardOutput.write(data)
            }
            return
        }
        var data = try await connection.call(.GET, path + "&format=json" + (kind == .usage ? "&limit=1000" : ""))
        if connection.json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var root = try JSONValue.parse(data)
        print(
            "\(kind.rawValue.capitalized) — \(root["group"]?.text ?? "") — \(root["month"]?.text ?? "") (\(root["currency"]?.text ?? ""))"
        )
        switch kind {
        case .summary:
            if let balance = root["group_balance"]?.string {
                print("purchases this month \(root["purchases"]?.text ?? "-"), group balance now \(balance)")
            }
            try connection.table(
                data, list: "members",
                columns: [
                    .init("MEMBER", "name"), .init("KIND", "kind"), .init("ALLOCATED", "allocated", right: true),
                    .init("USED", "used", right: true), .init("REMAINING", "remaining", right: true),
                    .init("CALLS", "calls", right: true),
                ])
            print(
                "total allocated \(root["allocated"]?.text ?? "-"), used \(root["used"]?.text ?? "-"), calls \(root["calls"]?.text ?? "-")"
            )
        case .purchases:
            try connection.table(
                data, list: "purchases",
                columns: [.init("AT", "created_at"), .init("REFERENCE", "reference"), .init("AMOUNT", "amount", right: true)])
            print("total \(root["total"]?.text ?? "-")")
        case .allocations:
            try connection.table(
                data, list: "credit",
                columns: [
                    .init("AT", "created_at"), .init("MEMBER", "member"), .init("PROFILE", "profile"), .init("KIND", "kind"),
                    .init("AMOUNT", "amount", right: true),
                ])
            print("net \(root["totals"]?["net"]?.text ?? "-")")
        case .usage:
            let columns: [Column] = [
                .init("SETUP", "setup_time"), .init("CALLEE", "callee"), .init("DESTINATION", "destination"),
                .init("MS", "duration_ms", right: true), .init("BILLED S", "billed_seconds", right: true),
                .init("RATE", "rate_per_minute", right: true), .init("PRICE", "price", right: true),
                .init("BUNDLE", "bundled"), .init("DISPOSITION", "disposition"),
            ]
            try connection.table(data, list: "calls", columns: columns)
            // Every page, so the table holds the whole month like the CSV.
            var pages = 1
            while let cursor = root["next_cursor"]?.string, pages < 1000 {
                data = try await connection.call(.GET, path + "&format=json&limit=1000&cursor=\(escaped(cursor))")
                root = try JSONValue.parse(data)
                try connection.table(data, list: "calls", columns: columns, header: false)
                pages += 1
            }
            let totals = root["totals"]
            print(
                "total \(totals?["calls"]?.text ?? "-") calls, \(totals?["billed_seconds"]?.text ?? "-") s billed, cost \(totals?["cost"]?.text ?? "-")"
            )
        }
    }
}

/// `sipmeterctl consent grant|withdraw|list` (a member's own token) and
/// `sipmeterctl consent access-log`: who viewed the member's call detail.
struct Consent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "A personal member's consent to show call detail to the admins, and who viewed it.")

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case grant, withdraw, list
        case accessLog = "access-log"
    }

    @OptionGroup var connection: Connection
    @Argument(help: "grant, withdraw (member token), list or access-log.") var action: Action

    func run() async throws {
        switch action {
        case .grant, .withdraw:
            _ = try await connection.call(
                .POST, "/v1/consent", body: Array(#"{"granted":\#(action == .grant)}"#.utf8))
            print(action == .grant ? "consent granted" : "consent withdrawn")
        case .list:
            try connection.show(
                try await connection.call(.GET, "/v1/consent"), list: "consent",
                columns: [.init("AT", "at"), .init("MEMBER", "member"), .init("GRANTED", "granted")])
        case .accessLog:
            try connection.show(
                try await connection.call(.GET, "/v1/access-log"), list: "access_log",
                columns: [.init("AT", "at"), .init("MEMBER", "member"), .init("VIEWER", "viewer"), .init("REPORT", "report")])
        }
    }
}
