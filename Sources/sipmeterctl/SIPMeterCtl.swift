import ArgumentParser

@main
struct SIPMeterCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sipmeterctl",
        abstract: "Administer a sipmeter collector: members, SIP Profiles, rates, credit, agents, balances, calls.",
        discussion: "The token comes from $SIPMETER_TOKEN or --token-file; the URL from --url or $SIPMETER_URL.",
        subcommands: [
            Members.self, Profiles.self, Rates.self, Purchase.self, Purchases.self, Allocate.self, TakeBack.self,
            Allocations.self, Bundles.self, Agents.self, Balances.self, Calls.self, ActiveCalls.self, Records.self,
            LimitsCommand.self, AuthorizeCommand.self, AlertsCommand.self, Report.self, Consent.self,
        ]
    )
}
