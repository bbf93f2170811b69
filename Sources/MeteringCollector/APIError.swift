public import Hummingbird
internal import MeteringStore
internal import MeteringCore
internal import NIOCore

/// An API failure: a status and one sentence, sent as `{"error": "..."}`.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func badRequest(_ m: String) -> APIError { APIError(.badRequest, m) }
    static func unauthorized(_ m: String) -> APIError { APIError(.unauthorized, m) }
    static func forbidden(_ m: String) -> APIError { APIError(.forbidden, m) }
    static func notFound(_ m: String) -> APIError { APIError(.notFound, m) }
    static func unprocessable(_ m: String) -> APIError { APIError(.unprocessableContent, m) }

    /// The API error for anything a handler threw.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as StoreError:
            switch e {
            case .notFound(let m): return APIError(.notFound, m)
            case .conflict(let m): return APIError(.conflict, m)
            case .invalid(let m): return APIError(.unprocessableContent, m)
            }
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "the body is larger than this endpoint accepts")
        case let e as DecodingError:
            return APIError(.badRequest, "the body is not the JSON this endpoint takes: \(describe(e))")
        case let e as HTTPError:
            switch e.status {
            case .contentTooLarge: return APIError(.contentTooLarge, "the body is larger than this endpoint accepts")
            case .notFound: return APIError(.notFound, "no such endpoint")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "this method is not allowed here")
            default: return APIError(e.status, e.body ?? e.status.reasonPhrase)
            }
        default:
            return APIError(.internalServerError, "internal error")
        }
    }

    private static func describe(_ e: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String {
            p.isEmpty ? "body" : p.map(\.stringValue).joined(separator: ".")
        }
        switch e {
        case .keyNotFound(let key, let c): return "\(path(c.codingPath + [key])) is missing"
        case .valueNotFound(_, let c): return "\(path(c.codingPath)) is null"
        case .typeMismatch(_, let c): return "\(path(c.codingPath)) has the wrong type"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "malformed JSON" : "\(path(c.codingPath)) is invalid"
        @unknown default: return "malformed JSON"
        }
    }

    var response: Response {
        var w = JSONObjectWriter()
        w.string("error", message)
        let body = w.finish()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every thrown error into the `{"error": ...}` body with its status,
/// so clients never see a framework-shaped error, and counts every response
/// by status class (one middleware for both: each costs an async hop on
/// every request).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [(path: String, methods: [String])]
    let metrics: CollectorMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // A known path with a method it doesn't take is a 405, not a 404.
            if let methods = allowed(path: request.uri.path) {
                response =
                    APIError(
                        .methodNotAllowed, "\(request.method) is not allowed here; use \(methods.joined(separator: " or "))"
                    ).response
                response.headers[.allow] = methods.joined(separator: ", ")
            } else {
                response = APIError.from(error).response
            }
        } catch {
            let apiError = APIError.from(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            response = apiError.response
        }
        metrics.response(status: response.status)
        return response
    }

    /// The methods of the route whose pattern matches `path` (`:x` matches one segment).
    func allowed(path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for route in routes {
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count else { continue }
            if zip(pattern, segments).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) { return route.methods }
        }
        return nil
    }
}
