import ArgumentParser
import Foundation

/// `sipmeterctl alerts`: the newest alerts first.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Alerts raised (low balance, time to empty, exhaustion, caps, channels, agents).")
    @OptionGroup var connection: Connection
    @Option(help: "How many, newest first (1 to 1000).") var limit = 100

    func run() async throws {
        let data = try await connection.call(.GET, "/v1/alerts?limit=\(limit)")
        try connection.show(
            data, list: "alerts",
            columns: [
                .init("ID", "id", right: true), .init("AT", "created_at"), .init("TYPE", "type"), .init("SUBJECT", "subject"),
                .init("DELIVERED", "delivered"), .init("MESSAGE", "message"),
            ])
    }
}

/// `sipmeterctl authorize PROFILE CALLEE`: what a switch would be told.
struct AuthorizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authorize", abstract: "Ask the pre-call authorization a SIP proxy asks (reserves the call's exposure).")
    @OptionGroup var connection: Connection
    @Argument(help: "SIP Profile.") var profile: String
    @Argument(help: "Number called.") var callee: String
    @Option(help: "Calling number.") var caller = ""
    @Option(help: "Call-ID (default: a new one).") var callID = UUID().uuidString

    func run() async throws {
        let data = try await connection.post(
            "/v1/authorize", ["profile": profile, "callee": callee, "caller": caller, "call_id": callID])
        try connection.show(
            data, list: nil,
            columns: [
                .init("ALLOW", "allow"), .init("REASON", "reason"), .init("MAX DURATION S", "max_duration_s", right: true),
            ])
    }
}

/// `sipmeterctl limits set|list`.
struct LimitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limits", abstract: "Per-member and per-SIP-Profile limits.", subcommands: [Set.self, List.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the limits of one member or SIP Profile.")
        @OptionGroup var connection: Connection
        @Option(help: "Member name.") var member: String?
        @Option(help: "SIP Profile name.") var profile: String?
        @Option(help: "Credit may go this far below zero.") var overdraft: String?
        @Option(help: "Daily spend cap.") var dailyCap: String?
        @Option(help: "Monthly spend cap.") var monthlyCap: String?
        @Option(help: "Longest call, seconds.") var maxCallSeconds: Int?
        @Option(help: "Concurrent calls.") var channels: Int?
        @Option(help: "Burst above the channels, percent.") var burstPercent: Int?
        @Option(help: "Longest burst, seconds.") var burstWindowSeconds: Int?
        @Option(help: "Only these prefixes (comma-separated).") var allowed: String?
        @Option(help: "Never these prefixes (comma-separated).") var barred: String?
        @Option(help: "New calls per second.") var callsPerSecond: Int?
        @Flag(help: "No new calls at all.") var suspended = false

        func run() async throws {
            guard (member == nil) != (profile == nil) else { throw ValidationError("give exactly one of --member or --profile") }
            var body: [String: Any] = ["suspended": suspended]
            body["overdraft"] = overdraft
            body["daily_cap"] = dailyCap
            body["monthly_cap"] = monthlyCap
            body["max_call_seconds"] = maxCallSeconds
            body["channels"] = channels
            body["burst_percent"] = burstPercent
            body["burst_window_seconds"] = burstWindowSeconds
            body["allowed_prefixes"] = allowed?.split(separator: ",").map(String.init)
            body["barred_prefixes"] = barred?.split(separator: ",").map(String.init)
            body["calls_per_second"] = callsPerSecond
            let path = member.map { "/v1/limits/members/\(escaped($0))" } ?? "/v1/limits/profiles/\(escaped(profile ?? ""))"
            _ = try await connection.call(.PUT, path, body: Array(try JSONSerialization.data(withJSONObject: body)))
            print("limits set")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the limits set.")
        @OptionGroup var connection: Connection
        func run() async throws {
            let data = try await connection.call(.GET, "/v1/limits")
            try connection.show(
                data, list: "limits",
                columns: [
                    .init("MEMBER", "member"), .init("PROFILE", "profile"), .init("OVERDRAFT", "overdraft", right: true),
                    .init("DAILY CAP", "daily_cap", right: true), .init("MONTHLY CAP", "monthly_cap", right: true),
                    .init("CHANNELS", "channels", right: true), .init("MAX CALL S", "max_call_seconds", right: true),
                    .init("CPS", "calls_per_second", right: true), .init("SUSPENDED", "suspended"),
                ])
        }
    }
}
