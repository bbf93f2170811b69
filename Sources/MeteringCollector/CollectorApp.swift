public import Hummingbird
public import Logging
public import MeteringCore
public import MeteringStore
public import Prometheus
internal import Foundation

/// The collector's HTTP application: routes, auth, error mapping, metrics.
public struct Collector: Sendable {
    public let store: any CollectorStore
    public let decks = RateDeckCache()
    public let metrics: CollectorMetrics
    /// Injected clock: tests pass a fixed one.
    public let clock: @Sendable () -> Timestamp
    public let authorizer: Authorizer
    /// Groups whose money moved since alerts were last evaluated.
    let dirty = GroupSet()

    public init(
        store: any CollectorStore, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        clock: @escaping @Sendable () -> Timestamp = { Timestamp.now() }
    ) {
        self.store = store
        self.metrics = CollectorMetrics(registry: registry)
        self.clock = clock
        self.authorizer = Authorizer(store: store, decks: decks)
    }

    /// Every path and its methods, for `405 Method Not Allowed` with an
    /// `Allow` header (the router itself only knows "no route").
    static let routes: [(path: String, methods: [String])] = [
        ("/healthz", ["GET"]), ("/metrics", ["GET"]), ("/openapi.yaml", ["GET"]),
        ("/v1/members", ["GET", "POST"]), ("/v1/members/:name/tokens", ["POST"]),
        ("/v1/profiles", ["GET", "POST"]), ("/v1/profiles/:name/bundles", ["POST"]),
        ("/v1/rate-decks", ["GET"]), ("/v1/rate-decks/:name", ["PUT"]), ("/v1/bundles", ["GET"]),
        ("/v1/agents", ["GET", "POST"]), ("/v1/purchases", ["GET", "POST"]), ("/v1/allocations", ["GET", "POST"]),
        ("/v1/records", ["POST"]), ("/v1/balances", ["GET"]), ("/v1/calls", ["GET"]),
        ("/v1/call-events", ["POST"]), ("/v1/active-calls", ["GET"]), ("/v1/authorize", ["POST"]),
        ("/v1/limits", ["GET"]), ("/v1/limits/members/:name", ["PUT"]), ("/v1/limits/profiles/:name", ["PUT"]),
        ("/v1/auto-recharge", ["GET"]), ("/v1/auto-recharge/members/:name", ["PUT"]),
        ("/v1/auto-recharge/profiles/:name", ["PUT"]), ("/v1/alert-rules", ["GET", "PUT"]), ("/v1/webhook", ["GET", "PUT"]),
        ("/v1/alerts", ["GET"]), ("/v1/reports/summary", ["GET"]), ("/v1/reports/purchases", ["GET"]),
        ("/v1/reports/allocations", ["GET"]), ("/v1/reports/usage", ["GET"]), ("/v1/reports/download", ["GET"]),
        ("/v1/consent", ["GET", "POST"]), ("/v1/access-log", ["GET"]),
    ]

    /// All routes. Everything under `/v1` needs a bearer token.
    public func router() -> Router<CollectorContext> {
        let router = Router(context: CollectorContext.self)
        router.add(middleware: ErrorMiddleware(routes: Self.routes + Self.dashboardRoutes, metrics: metrics))
        // The router tries a path's segments against routes in the order they
        // were added: the two routes every call goes through come first.
        let v1 = router.group("v1").add(middleware: AuthMiddleware(store: store))
        addAuthorizeRoute(to: v1)
        addRecordRoutes(to: v1)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        router.get("/openapi.yaml") { _, _ in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
                let data = try? Data(contentsOf: url)
            else { throw APIError.notFound("the OpenAPI document is not installed") }
            return Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        addDashboardRoutes(to: router)
        addAdminRoutes(to: v1)
        addQueryRoutes(to: v1)
        addCallEventRoutes(to: v1)
        addEnforcementRoutes(to: v1)
        addReportRoutes(to: v1)
        return router
    }

    /// The application listening on `host:port`.
    /// `POST /v1/authorize` is mostly answered by `AuthorizeFastPath` on the
    /// event loop; everything else goes through the router.
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let serverName = "sipmeter-collector"
        return Application(
            router: router(),
            server: .http1(
                configuration: .init(additionalChannelHandlers: [AuthorizeFastPath(collector: self, serverName: serverName)])),
            configuration: .init(address: .hostname(host, port: port), serverName: serverName),
            logger: logger)
    }
}

/// JSON responses with stable key order.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

/// Reads and decodes a small JSON body (≤ 1 MiB).
func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: CollectorContext) async throws -> T {
    let buffer = try await request.body.collect(upTo: context.maxUploadSize)
    guard buffer.readableBytes > 0 else { throw APIError.badRequest("the body is empty; this endpoint takes JSON") }
    return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
}

/// Names of members, profiles, decks, bundles and agents: 1–64 of letters,
/// digits, space, `.`, `_`, `@`, `-`, starting with a letter or digit.
func validName(_ name: String, _ field: String) throws -> String {
    let bytes = Array(name.utf8)
    func ok(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b | 0x20 >= 97 && b | 0x20 <= 122) || b == 0x20 || b == 0x2E || b == 0x5F || b == 0x40
            || b == 0x2D
    }
    let startsWell = bytes.first.map { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) } ?? false
    guard (1...64).contains(bytes.count), bytes.allSatisfy(ok), startsWell, bytes.last != 0x20
    else {
        throw APIError.unprocessable("\(field) must be 1 to 64 letters, digits, spaces, . _ @ or -")
    }
    return name
}
