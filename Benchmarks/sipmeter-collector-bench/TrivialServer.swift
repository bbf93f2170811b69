import ArgumentParser
import Hummingbird
import Logging
import MeteringCollector

/// The reference `/v1/authorize` is measured against: a minimal Hummingbird
/// application (same version and build, no middleware) whose one route
/// answers `GET /json` with `{"message":"Hello, World!"}` encoded per
/// request, as the TechEmpower JSON test does. It logs through the
/// collector's log handler, so that neither side pays for log metadata the
/// other does not.
struct TrivialServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trivial-server", abstract: "Serve the trivial JSON route on 127.0.0.1 (benchmark reference).")

    @Option var port = 18_990

    struct Message: ResponseEncodable {
        var message: String
    }

    func run() async throws {
        let router = Router()
        router.get("/json") { _, _ in Message(message: "Hello, World!") }
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(standardErrorLabel: label)
            handler.logLevel = .warning
            return handler
        }
        let logger = Logger(label: "trivial-server")
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await app.runService()
    }
}
