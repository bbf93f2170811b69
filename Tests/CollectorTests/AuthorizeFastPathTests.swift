import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MeteringCore
import NIOCore
import Testing

@testable import MeteringCollector

@Suite("POST /v1/authorize answered on the event loop (AuthorizeFastPath)")
struct AuthorizeFastPathTests {
    @Test("the Date header is RFC 9110's IMF-fixdate, as Foundation formats it")
    func httpDate() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let now = Int64(Date().timeIntervalSince1970)
        for seconds: Int64 in [0, 59, 86_399, 86_400, 951_782_400, 951_868_799, 1_796_000_000, 4_102_444_800, now] {
            #expect(
                HTTPDate.format(seconds: seconds) == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))),
                "\(seconds)")
        }
        var cached = HTTPDate()
        let at = Timestamp(microseconds: 951_782_400_250_000)
        #expect(cached.text(at: at) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(cached.text(at: at.adding(microseconds: 700_000)) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(cached.text(at: at.adding(microseconds: 750_000)) == "Tue, 29 Feb 2000 00:00:01 GMT")
    }

    /// `exchange` on a thread of its own: its socket calls block, and the
    /// server under test answers on the same process's concurrency threads.
    static func exchangeOffPool(port: Int, _ text: String, responses count: Int) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try exchange(port: port, text, responses: count) }) }.start()
        }
    }

    /// Sends `text` in one write on a new connection to 127.0.0.1:`port` and
    /// reads `count` responses (Content-Length framed); returns their bodies.
    static func exchange(port: Int, _ text: String, responses count: Int) throws -> [String] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        // Generous: other suites can hold every concurrency thread of the process for a while.
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        try #require(connected)
        let bytes = Array(text.utf8)
        try #require(bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == bytes.count)
        var received: [UInt8] = []
        var bodies: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while bodies.count < count {
            // Split off every complete response at the front.
            while let split = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<split.lowerBound], as: UTF8.self).lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                guard received.count >= split.upperBound + length else { break }
                bodies.append(String(decoding: received[split.upperBound..<(split.upperBound + length)], as: UTF8.self))
                received.removeFirst(split.upperBound + length)
            }
            if bodies.count >= count { break }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            try #require(n > 0, "the connection ended after \(bodies.count) of \(count) responses")
            received += buffer[..<n]
        }
        return bodies
    }

    static func authorize(_ token: String, callID: String) -> String {
        let body = #"{"profile":"alice-trunk","caller":"1001","callee":"+442079460000","call_id":"\#(callID)"}"#
        return "POST /v1/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test("pipelined requests are answered in order: an authorization behind a request the router holds waits for it")
    func pipelinedOrder() async throws {
        let f = try await EnforcementTests.funded(purchase: "10", alice: "1", maxCallSeconds: 60)
        let collector = Collector(store: f.store, clock: { Fixture.now })
        let app = collector.application(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // The first call loads the snapshot (router); from then on the event loop answers.
            let warm = try await Self.exchangeOffPool(port: port, Self.authorize(f.agentToken, callID: "w"), responses: 1)
            #expect(warm.first?.contains(#""allow":true"#) == true)
            let balances = "GET /v1/balances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(f.adminToken)\r\n\r\n"
            let bodies = try await Self.exchangeOffPool(
                port: port,
                Self.authorize(f.agentToken, callID: "a") + balances + Self.authorize(f.agentToken, callID: "b")
                    + Self.authorize(f.agentToken, callID: "c"),
                responses: 4)
            #expect(bodies.count == 4)
            #expect(bodies[0].contains(#""allow":true"#))
            #expect(bodies[1].contains("alice"), "the balances, second: \(bodies[1])")
            #expect(bodies[2].contains(#""allow":true"#))
            #expect(bodies[3].contains(#""allow":true"#))
            #expect(collector.authorizer.reservations(group: f.group).count == 4)
        }
    }
}
