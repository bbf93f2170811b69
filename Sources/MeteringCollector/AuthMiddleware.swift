public import Hummingbird
internal import MeteringStore

/// `Authorization: Bearer TOKEN` → the token's principal, or 401.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = CollectorContext
    let store: any CollectorStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        // The first Authorization field, read as it is (`headers[.authorization]`
        // joins every field of that name into a new string).
        var header: String?
        for field in request.headers where field.name == .authorization {
            header = field.value
            break
        }
        guard let header else {
            throw APIError.unauthorized("the Authorization header is missing; send Authorization: Bearer TOKEN")
        }
        guard let token = Self.bearerToken(header) else {
            throw APIError.unauthorized("the Authorization header must be Bearer TOKEN")
        }
        // A token seen before is answered from memory without an await.
        var principal = store.knownPrincipal(token: token)
        if principal == nil { principal = try await store.authenticate(token: token) }
        guard let principal else { throw APIError.unauthorized("the token is not valid") }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    /// The token of `Bearer TOKEN` (the scheme in any case), or nil.
    static func bearerToken(_ header: String) -> String? {
        let utf8 = header.utf8
        let scheme = "bearer".utf8
        guard utf8.count > scheme.count + 1, zip(utf8, scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        let space = utf8.index(utf8.startIndex, offsetBy: scheme.count)
        guard utf8[space] == 0x20 else { return nil }
        return String(header[utf8.index(after: space)...])
    }
}
