internal import CreditLedger
internal import Hummingbird
internal import MeteringCore
internal import MeteringStore

/// The body of `POST /v1/authorize`.
struct AuthorizeRequest {
    var profile: String
    var caller: String?
    var callee: String
    var call_id: String

    private static let keys = FlatJSON.Keys(["profile", "caller", "callee", "call_id"])

    /// Read with `FlatJSON`, not JSONDecoder: this body comes with every call setup.
    init(body buffer: ByteBuffer) throws(APIError) {
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("the body is empty; this endpoint takes JSON") }
        let values: [String?]
        do {
            values = try buffer.withUnsafeReadableBytes { bytes throws(FlatJSON.Failure) in
                try FlatJSON.strings(bytes, keys: Self.keys)
            }
        } catch {
            throw APIError.badRequest("the body is not the JSON this endpoint takes: \(error.description)")
        }
        func required(_ i: Int) throws(APIError) -> String {
            guard let v = values[i] else {
                throw APIError.badRequest("the body is not the JSON this endpoint takes: \(Self.keys.names[i]) is missing")
            }
            return v
        }
        profile = try required(0)
        caller = values[1]
        callee = try required(2)
        call_id = try required(3)
    }

    var asked: Authorizer.Request {
        .init(profile: profile, caller: caller ?? "", callee: callee, callID: call_id)
    }
}

/// The answer of `POST /v1/authorize`.
struct AuthorizeJSON {
    var allow: Bool
    var reason: String?
    var max_duration_s: Int64
    var prefix: String?
    var rate_per_minute: String?

    init(_ decision: AuthorizationDecision) {
        allow = decision.allow
        reason = decision.reason?.rawValue
        max_duration_s = decision.maxDurationSeconds
        prefix = decision.entry?.prefix
        rate_per_minute = decision.entry?.ratePerMinute.description
    }

    /// The same bytes `json(_:)` would write (sorted keys, nulls left out),
    /// written by hand: a switch asks this at every call set-up. Every value
    /// is safe as it is: a closed-set reason, deck digits, a decimal.
    var body: ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(128)
        out.writeStaticString(allow ? #"{"allow":true,"max_duration_s":"# : #"{"allow":false,"max_duration_s":"#)
        out.writeString(String(max_duration_s))
        if let prefix, let rate_per_minute {
            out.writeStaticString(#","rate":{"prefix":""#)
            out.writeString(prefix)
            out.writeStaticString(#"","rate_per_minute":""#)
            out.writeString(rate_per_minute)
            out.writeStaticString(#""}"#)
        }
        if let reason {
            out.writeStaticString(#","reason":""#)
            out.writeString(reason)
            out.writeStaticString(#"""#)
        }
        out.writeStaticString("}")
        return out
    }

    static let headers: HTTPFields = [.contentType: "application/json"]
}

extension Collector {
    /// `POST /v1/authorize`: a switch asks it at every call set-up. On a
    /// running server most of these are answered by `AuthorizeFastPath`
    /// before they reach the router; this route answers the rest (first use
    /// of a token, a snapshot to load, every error) the same way.
    func addAuthorizeRoute(to v1: RouterGroup<CollectorContext>) {
        v1.post("authorize") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.role != .member else { throw APIError.forbidden("this needs an agent (switch) or admin token") }
            let body = try AuthorizeRequest(body: try await request.body.collect(upTo: context.maxUploadSize))
            let decision: AuthorizationDecision
            do {
                let now = clock()
                if let ready = try authorizer.authorizeNow(body.asked, principal: principal, now: now) {
                    decision = ready
                } else {
                    decision = try await authorizer.authorize(body.asked, principal: principal, now: now)
                }
            } catch Authorizer.Failure.unknownProfile(let name) {
                throw APIError.notFound("no SIP Profile named \(name)")
            } catch Authorizer.Failure.notBound(let name) {
                throw APIError.forbidden("this token is not bound to SIP Profile \(name)")
            } catch Authorizer.Failure.unsettled {
                throw APIError(.serviceUnavailable, "the group's limits and balances kept changing; ask again")
            }
            return Response(
                status: .ok, headers: AuthorizeJSON.headers, body: ResponseBody(byteBuffer: answer(decision, principal).body))
        }
    }

    /// Counts a decision, marks its group for alert evaluation when it
    /// touched a limit, and gives its answer.
    func answer(_ decision: AuthorizationDecision, _ principal: Principal) -> AuthorizeJSON {
        metrics.authorization(decision.reason?.rawValue ?? "allowed")
        if decision.reason == .channelsFull || decision.bursting || decision.reason == .creditExhausted {
            dirty.insert(principal.groupID)
        }
        return AuthorizeJSON(decision)
    }
}
