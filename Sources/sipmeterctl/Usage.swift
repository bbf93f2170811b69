import ArgumentParser
import Foundation
import MeteringCore

struct Balances: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the group's, members' and SIP Profiles' balances.")
    @OptionGroup var connection: Connection
    func run() async throws {
        let data = try await connection.call(.GET, "/v1/balances")
        if connection.json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let root = try JSONValue.parse(data)
        let group = root["group"]
        var table = TextTable(headers: ["ACCOUNT", "NAME", "BALANCE", "CURRENCY", "STATE"], rightAligned: [2])
        let currency = group?["currency"]?.text ?? "-"
        table.add(["group", group?["name"]?.text ?? "-", group?["balance"]?.text ?? "-", currency, ""])
        for (kind, key) in [("member", "members"), ("profile", "profiles")] {
            for entry in root[key]?.array ?? [] {
                let exhausted = entry["exhausted"].map { if case .bool(true) = $0 { true } else { false } } ?? false
                table.add([
                    kind, entry["name"]?.text ?? "-", entry["balance"]?.text ?? "-", currency,
                    exhausted ? "exhausted" : "",
                ])
            }
        }
        print(table.text, terminator: "")
    }
}

struct Calls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List rated calls of a month.")
    @OptionGroup var connection: Connection
    @Option(help: "Month YYYY-MM (default: this month).") var month: String?
    @Option(help: "Only this member's calls.") var member: String?
    @Option(help: "Only this SIP Profile's calls.") var profile: String?
    @Option(help: "Calls per page (1–1000).") var limit = 1000
    @Flag(help: "Follow next_cursor until every call of the month is listed.") var all = false

    func run() async throws {
        var cursor: String?
        var pages: [Data] = []
        repeat {
            var query = ["limit=\(limit)"]
            if let month { query.append("month=\(escaped(month))") }
            if let member { query.append("member=\(escaped(member))") }
            if let profile { query.append("profile=\(escaped(profile))") }
            if let cursor { query.append("cursor=\(escaped(cursor))") }
            let data = try await connection.call(.GET, "/v1/calls?" + query.joined(separator: "&"))
            pages.append(data)
            cursor = try JSONValue.parse(data)["next_cursor"]?.string
        } while all && cursor != nil
        for page in pages {
            try connection.show(
                page, list: "calls",
                columns: [
                    .init("SETUP (UTC)", "setup_time"), .init("PROFILE", "profile"), .init("CALLEE", "callee"),
                    .init("DESTINATION", "destination"), .init("DISPOSITION", "disposition"),
                    .init("DURATION MS", "duration_ms", right: true), .init("BILLED S", "billed_seconds", right: true),
                    .init("RATE/MIN", "rate_per_minute", right: true), .init("BUNDLE S", "bundle_seconds", right: true),
                    .init("PRICE", "price", right: true),
                ])
        }
        if !all, let cursor { print("more: --all, or the API with cursor=\(cursor)") }
    }
}

struct Records: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send call records (JSON lines from `sipmeter-agent parse`) with an agent token.",
        subcommands: [Send.self])

    struct Send: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        @Argument(help: "JSONL file of call records.") var file: String
        @Option(help: "Records per request (at most 10000).") var batch = 1000

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.isEmpty }
            var totals = (accepted: 0, duplicates: 0, unrated: 0, rejected: 0)
            var start = 0
            while start < lines.count {
                let chunk = lines[start..<min(lines.count, start + batch)]
                let body = "{\"records\":[" + chunk.joined(separator: ",") + "]}"
                let answer = try await connection.call(.POST, "/v1/records", body: Gzip.compress(Array(body.utf8)), gzipped: true)
                let root = try JSONValue.parse(answer)
                totals.accepted += root["accepted"]?.int ?? 0
                totals.duplicates += root["duplicates"]?.int ?? 0
                totals.unrated += root["unrated"]?.int ?? 0
                for rejected in root["rejected"]?.array ?? [] {
                    totals.rejected += 1
                    print("rejected \(rejected["id"]?.text ?? "-"): \(rejected["error"]?.text ?? "")")
                }
                start += batch
            }
            print(
                "sent \(lines.count) records: \(totals.accepted) accepted, \(totals.duplicates) duplicates, \(totals.unrated) unrated, \(totals.rejected) rejected"
            )
        }
    }
}

struct ActiveCalls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "active-calls", abstract: "Calls in progress (from the agents' live call events), per SIP Profile.")
    @OptionGroup var connection: Connection

    func run() async throws {
        let data = try await connection.call(.GET, "/v1/active-calls")
        try connection.show(
            data, list: "profiles", columns: [.init("PROFILE", "name"), .init("CHANNELS IN USE", "channels_in_use", right: true)])
        guard !connection.json else { return }
        try connection.show(
            data, list: "calls",
            columns: [
                .init("PROFILE", "profile"), .init("CALLEE", "callee"), .init("ANSWERED", "answer_time"), .init("ID", "id"),
            ])
    }
}
