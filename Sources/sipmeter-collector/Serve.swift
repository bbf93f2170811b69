import ArgumentParser
import Hummingbird
import Logging
import MeteringCollector
import MeteringStore
import Prometheus
import ServiceLifecycle

/// `sipmeter-collector serve`: the HTTP API on one SQLite file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the collector's HTTP API.")

    @Option(help: "Configuration file (YAML: db, listen, log_level). Flags override it.")
    var config: String?

    @Option(help: "SQLite database file (created and migrated on start).")
    var db: String?

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func run() async throws {
        var settings = CollectorSettings()
        if let config { settings = try CollectorSettings(file: config) }
        if let db { settings.db = db }
        if let listen { settings.listen = listen }
        if let logLevel { settings.logLevel = logLevel }
        guard let dbPath = settings.db else { throw ValidationError("give --db PATH or db: in the config file") }
        guard let (host, port) = CollectorSettings.hostPort(settings.listen) else {
            throw ValidationError("--listen must be HOST:PORT, for example 127.0.0.1:8080")
        }
        guard let level = Logger.Level(rawValue: settings.logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(standardErrorLabel: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sipmeter-collector")
        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: dbPath)
        } catch {
            throw ValidationError("cannot open database \(dbPath): \(error)")
        }
        let collector = Collector(store: store, registry: PrometheusCollectorRegistry())
        let app = collector.application(host: host, port: port, logger: logger)
        logger.info("collector starting", metadata: ["db": "\(dbPath)", "listen": "\(host):\(port)"])
        let alerts = AlertLoopService(collector: collector, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [app, alerts], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("collector stopped")
    }
}

/// Alert evaluation, auto-recharge and webhook delivery beside the API.
struct AlertLoopService: Service {
    let collector: Collector
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await collector.runAlertLoop(logger: logger) { Task.isCancelled }
        }
    }
}
