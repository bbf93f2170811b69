internal import CreditLedger
internal import Hummingbird
internal import MeteringCore
internal import MeteringStore
internal import NIOCore
internal import NIOHTTPTypes

/// Answers `POST /v1/authorize` on the event loop that read it, when
/// everything the answer needs is in memory: a token seen before, a body
/// that reads, a fresh snapshot and the profile's rate deck. That is almost
/// every call set-up a switch asks about, and it then costs no Swift
/// concurrency task, no hop to the concurrency pool and back, and no trip
/// through the router (on 2 cores about a third of a request's cost).
///
/// Everything else is handed on, untouched, to Hummingbird and the route in
/// `Routes+Authorize.swift`, which gives the same answer the same way (and
/// every error): a first-time token, a snapshot to load, a body that does not
/// read, an unknown profile, `Connection: close`, `Expect`, a large body.
///
/// Sits in the HTTP pipeline after the HTTP/1 codec, before Hummingbird's
/// connection handler. Answers stay in request order: a request is answered
/// here only while no earlier request of the connection is with the router.
final class AuthorizeFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let collector: Collector
    private let serverName: String
    /// Requests handed on to the router whose answer is not written yet.
    private var handedOn = 0
    /// The request held to be answered here: its head and its body so far.
    private var held: HTTPRequest?
    private var body = ByteBuffer()
    private var date = HTTPDate()
    /// A body longer than this is never a call set-up: handed on.
    static let bodyLimit = 16 * 1024

    init(collector: Collector, serverName: String) {
        self.collector = collector
        self.serverName = serverName
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if handedOn == 0, Self.isCandidate(head) {
                held = head
                body.clear()
            } else {
                handedOn += 1
                context.fireChannelRead(data)
            }
        case .body(var chunk):
            guard let head = held else { return context.fireChannelRead(data) }
            if body.readableBytes + chunk.readableBytes > Self.bodyLimit {
                handOn(context, head)
                context.fireChannelRead(data)
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head = held else { return context.fireChannelRead(data) }
            if answer(context, head) { return }
            handOn(context, head)
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { handedOn -= 1 }
        context.write(data, promise: promise)
    }

    /// Gives the held request to the router after all (its end follows).
    private func handOn(_ context: ChannelHandlerContext, _ head: HTTPRequest) {
        held = nil
        handedOn += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
        body = ByteBuffer()
    }

    static func isCandidate(_ head: HTTPRequest) -> Bool {
        guard head.method == .post, head.path == "/v1/authorize" else { return false }
        for field in head.headerFields {
            if field.name == .expect { return false }
            if field.name == .connection, field.value.lowercased().contains("close") { return false }
        }
        return true
    }

    /// Writes the answer and returns true; false when it takes the router.
    private func answer(_ context: ChannelHandlerContext, _ head: HTTPRequest) -> Bool {
        var header: String?
        for field in head.headerFields where field.name == .authorization {
            header = field.value
            break
        }
        guard let header, let token = AuthMiddleware.bearerToken(header),
            let principal = collector.store.knownPrincipal(token: token), principal.role != .member,
            let request = try? AuthorizeRequest(body: body),
            let decision = try? collector.authorizer.authorizeNow(request.asked, principal: principal, now: collector.clock())
        else { return false }
        held = nil
        let answer = collector.answer(decision, principal).body
        var fields = AuthorizeJSON.headers
        fields[.contentLength] = String(answer.readableBytes)
        fields[.date] = date.text(at: Timestamp.now())
        fields[.server] = serverName
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(answer)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        collector.metrics.response(status: .ok)
        collector.metrics.authorizeFastPath.increment()
        return true
    }
}

/// The `Date` header (RFC 9110 IMF-fixdate), formatted once a second.
struct HTTPDate {
    private var second: Int64 = -1
    private var cached = ""

    mutating func text(at now: Timestamp) -> String {
        let s = now.microseconds / 1_000_000
        if s != second {
            second = s
            cached = Self.format(seconds: s)
        }
        return cached
    }

    static func format(seconds s: Int64) -> String {
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let (year, month, day) = CivilDate.fromDays(days)
        let time = s - days * 86_400
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        return
            "\(weekday), \(two(day)) \(months[Int(month - 1)]) \(year) \(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60)) GMT"
    }
}
