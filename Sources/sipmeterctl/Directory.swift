import ArgumentParser
import Foundation

struct Members: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or add members.", subcommands: [List.self, Add.self, Token.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        func run() async throws {
            let data = try await connection.call(.GET, "/v1/members")
            try connection.show(
                data, list: "members",
                columns: [.init("NAME", "name"), .init("KIND", "kind"), .init("BALANCE", "balance", right: true)])
        }
    }

    struct Add: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        @Argument(help: "Member name.") var name: String
        @Option(help: "business or personal (personal: consent needed for call detail).") var kind = "business"
        func run() async throws {
            let data = try await connection.post("/v1/members", ["name": name, "kind": kind])
            try connection.show(data, list: nil, columns: [.init("NAME", "name"), .init("KIND", "kind")])
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a member token (prints it).")
        @OptionGroup var connection: Connection
        @Argument(help: "Member name.") var name: String
        func run() async throws {
            let data = try await connection.call(.POST, "/v1/members/\(escaped(name))/tokens", body: Array("{}".utf8))
            try connection.show(data, list: nil, columns: [.init("TOKEN", "token")])
        }
    }
}

struct Profiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or add SIP Profiles.", subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        func run() async throws {
            let data = try await connection.call(.GET, "/v1/profiles")
            try connection.show(
                data, list: "profiles",
                columns: [
                    .init("NAME", "name"), .init("MEMBER", "member"), .init("RATE DECK", "rate_deck"),
                    .init("OWN CREDIT", "own_credit"), .init("BALANCE", "balance", right: true),
                ])
        }
    }

    struct Add: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        @Argument(help: "SIP Profile name (as the agent's profiles file names it).") var name: String
        @Option(help: "Owner member.") var member: String
        @Option(help: "Rate deck name.") var rateDeck: String
        func run() async throws {
            let data = try await connection.post("/v1/profiles", ["name": name, "member": member, "rate_deck": rateDeck])
            try connection.show(
                data, list: nil, columns: [.init("NAME", "name"), .init("MEMBER", "member"), .init("RATE DECK", "rate_deck")])
        }
    }
}

struct Rates: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import or list rate decks.", subcommands: [List.self, Import.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        func run() async throws {
            let data = try await connection.call(.GET, "/v1/rate-decks")
            try connection.show(
                data, list: "rate_decks",
                columns: [
                    .init("NAME", "name"), .init("ENTRIES", "entries", right: true), .init("VERSION", "version", right: true),
                    .init("UPDATED", "updated_at"),
                ])
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace a rate deck from a CSV file.")
        @OptionGroup var connection: Connection
        @Argument(help: "Rate deck name.") var name: String
        @Argument(help: "CSV: prefix,description,rate_per_minute,connect_fee,initial_seconds,increment_seconds") var file: String
        func run() async throws {
            guard let csv = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let data = try await connection.call(
                .PUT, "/v1/rate-decks/\(escaped(name))", body: Array(csv), contentType: "text/csv")
            try connection.show(
                data, list: nil,
                columns: [
                    .init("NAME", "name"), .init("ENTRIES", "entries", right: true), .init("VERSION", "version", right: true),
                ])
        }
    }
}

struct Bundles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or add minute bundles.", subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        @Option(help: "Month YYYY-MM for the minutes used (default: this month).") var month: String?
        func run() async throws {
            let query = month.map { "?month=\(escaped($0))" } ?? ""
            let data = try await connection.call(.GET, "/v1/bundles\(query)")
            try connection.show(
                data, list: "bundles",
                columns: [
                    .init("PROFILE", "profile"), .init("NAME", "name"), .init("MINUTES", "minutes", right: true),
                    .init("PREFIXES", "prefixes"), .init("SECONDS USED", "seconds_used", right: true),
                    .init("SECONDS LEFT", "seconds_left", right: true),
                ])
        }
    }

    struct Add: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        @Argument(help: "SIP Profile.") var profile: String
        @Argument(help: "Bundle name.") var name: String
        @Option(help: "Minutes per month.") var minutes: Int
        @Option(help: "A destination prefix the bundle covers (repeat for several).") var prefix: [String]
        func run() async throws {
            let data = try await connection.post(
                "/v1/profiles/\(escaped(profile))/bundles", ["name": name, "minutes": minutes, "prefixes": prefix])
            try connection.show(
                data, list: nil,
                columns: [
                    .init("PROFILE", "profile"), .init("NAME", "name"), .init("MINUTES", "minutes", right: true),
                    .init("PREFIXES", "prefixes"),
                ])
        }
    }
}

struct Agents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or add agents.", subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: Connection
        func run() async throws {
            let data = try await connection.call(.GET, "/v1/agents")
            try connection.show(data, list: "agents", columns: [.init("NAME", "name"), .init("PROFILES", "profiles")])
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an agent; its token is the last line of output.")
        @OptionGroup var connection: Connection
        @Argument(help: "Agent name.") var name: String
        @Option(help: "A SIP Profile the agent may send records for (repeat for several).") var profile: [String]
        func run() async throws {
            let data = try await connection.post("/v1/agents", ["name": name, "profiles": profile])
            if connection.json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let token = try JSONValue.parse(data)["token"]?.string ?? ""
            print("agent \(name) bound to \(profile.joined(separator: ", ")); its token (shown once):")
            print(token)
        }
    }
}
