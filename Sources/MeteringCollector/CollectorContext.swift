public import Hummingbird
public import MeteringStore

/// Per-request context: who the bearer token speaks for, once authenticated.
public struct CollectorContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies are read explicitly with their own limits (`RecordsRoutes`).
    public var maxUploadSize: Int { 1024 * 1024 }

    /// The authenticated principal; routes behind `AuthMiddleware` have one.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthorized("a bearer token is required") }
        return principal
    }

    /// The principal, which must hold an admin token.
    func requireAdmin() throws -> Principal {
        let p = try requirePrincipal()
        guard p.role == .admin else { throw APIError.forbidden("this needs an admin token") }
        return p
    }
}
