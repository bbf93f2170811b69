public import Hummingbird
internal import MeteringStore

/// `Authorization: Bearer TOKEN` → the token's principal, or 401.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = CollectorContext
    let store: any CollectorStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("the Authorization header is missing; send Authorization: Bearer TOKEN")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError.unauthorized("the Authorization header must be Bearer TOKEN")
        }
        guard let principal = try await store.authenticate(token: String(parts[1])) else {
            throw APIError.unauthorized("the token is not valid")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
