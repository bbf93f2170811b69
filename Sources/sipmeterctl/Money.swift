import ArgumentParser
import MeteringCore

struct Purchase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record credit bought into the group balance.")
    @OptionGroup var connection: Connection
    @Argument(help: "Amount, a decimal such as 100 or 12.50.") var amount: String
    @Option(help: "Reference (invoice, order number).") var reference = ""
    func run() async throws {
        let data = try await connection.post("/v1/purchases", ["amount": amount, "reference": reference])
        try connection.show(
            data, list: nil,
            columns: [.init("ID", "id", right: true), .init("AMOUNT", "amount", right: true), .init("REFERENCE", "reference")])
    }
}

struct Purchases: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List purchases.")
    @OptionGroup var connection: Connection
    func run() async throws {
        let data = try await connection.call(.GET, "/v1/purchases")
        try connection.show(
            data, list: "purchases",
            columns: [
                .init("ID", "id", right: true), .init("DATE", "created_at"), .init("AMOUNT", "amount", right: true),
                .init("REFERENCE", "reference"),
            ])
    }
}

/// `--member NAME` or `--profile NAME`, exactly one.
struct AllocationTarget: ParsableArguments {
    @Option(help: "Member to allocate to.") var member: String?
    @Option(help: "SIP Profile to allocate to (it then holds its own credit).") var profile: String?

    func validate() throws {
        guard (member == nil) != (profile == nil) else { throw ValidationError("give exactly one of --member or --profile") }
    }

    func body(amount: String) -> [String: Any] {
        var body: [String: Any] = ["amount": amount]
        if let member { body["member"] = member }
        if let profile { body["profile"] = profile }
        return body
    }
}

/// An amount typed for an allocation or a take-back: positive, at most 4 decimals.
private func positiveAmount(_ text: String) throws -> Money {
    guard let m = Money(decimal: text), m > .zero else {
        throw ValidationError("amount must be a positive decimal with at most 4 decimals")
    }
    return m
}

private let allocationColumns: [Column] = [
    .init("ID", "id", right: true), .init("DATE", "created_at"), .init("KIND", "kind"), .init("MEMBER", "member"),
    .init("PROFILE", "profile"), .init("AMOUNT", "amount", right: true),
]

struct Allocate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move credit from the group balance to a member or SIP Profile.")
    @OptionGroup var connection: Connection
    @OptionGroup var target: AllocationTarget
    @Argument(help: "Amount, a positive decimal.") var amount: String
    func validate() throws { _ = try positiveAmount(amount) }
    func run() async throws {
        let data = try await connection.post("/v1/allocations", target.body(amount: amount))
        try connection.show(data, list: nil, columns: allocationColumns)
    }
}

struct TakeBack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Take credit back from a member or SIP Profile to the group.")
    @OptionGroup var connection: Connection
    @OptionGroup var target: AllocationTarget
    @Argument(help: "Amount to take back, a positive decimal.") var amount: String
    func validate() throws { _ = try positiveAmount(amount) }
    func run() async throws {
        let negative = (-(try positiveAmount(amount))).description
        let data = try await connection.post("/v1/allocations", target.body(amount: negative))
        try connection.show(data, list: nil, columns: allocationColumns)
    }
}

struct Allocations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List allocations and take-backs.")
    @OptionGroup var connection: Connection
    func run() async throws {
        let data = try await connection.call(.GET, "/v1/allocations")
        try connection.show(data, list: "allocations", columns: allocationColumns)
    }
}
