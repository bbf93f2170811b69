import ArgumentParser
import Hummingbird
import Logging
import MeteringAgent
import MeteringCore
import Prometheus
import ServiceLifecycle

/// `sipmeter-agent run --config FILE`: follows the sources, spools records
/// with their checkpoints, and ships them to the collector until SIGTERM.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the configured sources and ship call records to the collector.")

    @Option(help: "Agent config file (YAML; see Deploy/agent.yaml).")
    var config: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        let settings: AgentConfig
        do {
            settings = try AgentConfig.load(path: config)
        } catch {
            throw ConfigError(description: error.description)
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sipmeter-agent")
        let spool: Spool
        do {
            spool = try Spool(path: settings.spoolPath)
        } catch {
            throw ValidationError("cannot open the spool \(settings.spoolPath): \(error)")
        }
        let metrics = AgentMetrics()
        let events = CallEventQueue()
        let shipper = try Shipper(config: settings, spool: spool, metrics: metrics, logger: logger, events: events)
        var services: [any Service] = []
        if let listen = settings.metricsListen {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
                throw ValidationError("metrics.listen must be HOST:PORT")
            }
            let router = Router()
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
            }
            router.get("/healthz") { _, _ in "ok\n" }
            services.append(
                Application(
                    router: router,
                    configuration: .init(address: .hostname(String(listen[..<colon]), port: port), serverName: "sipmeter-agent"),
                    logger: logger))
        }
        // Shut down in reverse: sources stop reading first, then the shipper drains.
        services.append(ShipperService(shipper: shipper))
        services.append(SourcesService(config: settings, spool: spool, metrics: metrics, logger: logger, events: events))
        logger.info(
            "agent starting",
            metadata: ["agent": "\(settings.name)", "sources": "\(settings.sources.count)", "spool": "\(settings.spoolPath)"])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("agent stopped")
    }
}

/// `sipmeter-agent check-config --config FILE`.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a config file; print what it holds or the first problem.")

    @Option(help: "Agent config file.")
    var config: String

    func run() throws {
        let settings: AgentConfig
        do {
            settings = try AgentConfig.load(path: config)
        } catch {
            throw ConfigError(description: error.description)
        }
        print("\(config): OK")
        print("agent \(settings.name); collector \(settings.collector.urls.map(\.absoluteString).joined(separator: ", "))")
        print(
            "\(settings.profiles.count) SIP Profiles; spool \(settings.spoolPath) (at most \(settings.spoolMaxRecords) records)")
        for source in settings.sources {
            let files = source.paths.flatMap(Glob.expand)
            print("source \(source.name): \(source.format?.rawValue ?? "format detected") from \(files.count) file(s)")
        }
    }
}

/// `sipmeter-agent spool list|retry --config FILE`: the dead-letter table.
struct SpoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool", abstract: "Inspect the spool's dead letters and send them again.",
        subcommands: [List.self, Retry.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Records waiting and records the collector rejected.")
        @Option(help: "Agent config file.") var config: String

        func run() throws {
            let spool = try openSpool(config)
            let (count, oldest) = try spool.depth()
            print("waiting: \(count) record(s)\(oldest.map { ", oldest spooled \($0.rfc3339)" } ?? "")")
            for j in try spool.journalSizes() {
                print("journal of \(j.source): \(j.messages) message(s) of calls still open, from \(j.oldest.rfc3339)")
            }
            let letters = try spool.deadLetters()
            print("dead letters: \(letters.count)")
            var table = TextTable(headers: ["ID", "REJECTED AT", "ERROR"])
            for l in letters { table.add([l.id, l.at.rfc3339, l.error]) }
            if !letters.isEmpty { print(table.text, terminator: "") }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move dead letters back to the spool to be shipped again.")
        @Option(help: "Agent config file.") var config: String
        @Argument(help: "Record ids (default: all dead letters).") var ids: [String] = []

        func run() throws {
            let spool = try openSpool(config)
            let moved = try spool.retry(ids: ids.isEmpty ? nil : ids, now: .now())
            print("\(moved) record(s) back in the spool")
        }
    }
}

private func openSpool(_ config: String) throws -> Spool {
    let settings: AgentConfig
    do {
        settings = try AgentConfig.load(path: config)
    } catch {
        throw ValidationError(error.description)
    }
    return try Spool(path: settings.spoolPath)
}

/// A config file problem: printed as one line, without the usage text.
struct ConfigError: Error, CustomStringConvertible {
    let description: String
}
