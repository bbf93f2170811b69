import ArgumentParser

@main
struct SIPMeterCollector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sipmeter-collector",
        abstract: "Rates call records against allocated credit and serves balances and usage.",
        subcommands: [Serve.self, Init.self]
    )
}
