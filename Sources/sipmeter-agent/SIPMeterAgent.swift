import ArgumentParser

@main
struct SIPMeterAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sipmeter-agent",
        abstract: "Reads SIP traffic that hosts log or capture and turns it into call records per SIP Profile.",
        subcommands: [Parse.self, Run.self, CheckConfig.self, SpoolCommand.self]
    )
}
