public import CallCorrelation
internal import Foundation
internal import Glibc
public import MeteringCore
public import SIPCapture

/// A HEPv3 listener on UDP and TCP (the same port), polled like the other
/// sources: datagrams and stream frames are decoded, filtered by capture id
/// when one is configured, and correlated. Real emitters: `sngrep -H`,
/// Kamailio siptrace in HEP mode.
public final class HEPListener: SourceFollower {
    public let source: AgentConfig.TextSource
    public var name: String { source.name }
    public var messages: Int { intake.messages }
    public var malformed: Int { intake.malformed + undecodable }
    public private(set) var bytesRead: Int64 = 0
    public private(set) var moreWaiting = false
    public private(set) var undecodable = 0
    public private(set) var filtered = 0
    private var intake: MessageIntake
    /// Records the journal's replay closed, handed on with the first poll.
    private var restored: [CallRecord] = []
    private let udp: Int32
    private let tcp: Int32
    private var streams: [Int32: [UInt8]] = [:]
    private var position: Int64 = 0
    private static let maxStreams = 256

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(source: AgentConfig.TextSource, profiles: [SIPProfile], settings: CorrelationSettings = .init()) throws {
        self.source = source
        self.intake = MessageIntake(settings: settings, profiles: profiles, journaling: true)
        guard let listen = source.listen, let (host, port) = Self.hostPort(listen) else {
            throw Failure(description: "source \(source.name): listen must be IPv4:PORT")
        }
        udp = try Self.bind(host: host, port: port, type: Int32(SOCK_DGRAM.rawValue), name: source.name)
        do {
            tcp = try Self.bind(host: host, port: port, type: Int32(SOCK_STREAM.rawValue), name: source.name)
        } catch {
            close(udp)
            throw error
        }
        Glibc.listen(tcp, 64)
    }

    deinit {
        close(udp)
        close(tcp)
        for fd in streams.keys { close(fd) }
    }

    static func hostPort(_ text: String) -> (UInt32, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var address = in_addr()
        guard inet_pton(AF_INET, String(text[..<colon]), &address) == 1 else { return nil }
        return (address.s_addr, port)
    }

    private static func bind(host: UInt32, port: UInt16, type: Int32, name: String) throws -> Int32 {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw Failure(description: "source \(name): cannot open a socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = host
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            throw Failure(description: "source \(name): cannot listen on port \(port): \(String(cString: strerror(errno)))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    public func takeEvents() -> [CallTracker.AnsweredCall] { intake.takeEvents() }
    public func takeJournal() -> JournalUpdate? { intake.takeJournal() }

    public func restore(journal: [(seq: Int64, message: CapturedMessage)]) {
        intake.replay(journal, now: .now(), into: &restored)
    }

    public func poll(now: Timestamp) -> (records: [CallRecord], checkpoints: [Checkpoint]) {
        var records = restored
        restored.removeAll()
        var any = false
        moreWaiting = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        // Datagrams: one HEP packet each.
        var datagrams = 0
        while datagrams < 20_000 {
            let n = buffer.withUnsafeMutableBytes { recv(udp, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            datagrams += 1
            bytesRead += Int64(n)
            any = handle(buffer[0..<n], now: now, into: &records) || any
        }
        if datagrams == 20_000 { moreWaiting = true }
        // Streams: accept, read, frame by the HEP length.
        while streams.count < Self.maxStreams {
            let fd = accept(tcp, nil, nil)
            guard fd >= 0 else { break }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            streams[fd] = []
        }
        for fd in Array(streams.keys) {
            var closed = false
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n == 0 { closed = true }
                guard n > 0 else { break }
                bytesRead += Int64(n)
                streams[fd, default: []].append(contentsOf: buffer[0..<n])
            }
            var pending = streams[fd] ?? []
            var start = 0
            while true {
                let rest = pending[start...]
                let announced: Int?
                do {
                    announced = try HEP.frameLength(rest)
                } catch {
                    // Not HEP: drop this stream rather than guess.
                    undecodable += 1
                    closed = true
                    break
                }
                guard let length = announced, rest.count >= length else { break }
                any = handle(rest.prefix(length), now: now, into: &records) || any
                start += length
            }
            pending.removeFirst(start)
            streams[fd] = pending
            if closed || pending.count > 1 << 20 {
                close(fd)
                streams[fd] = nil
            }
        }
        if !any { intake.quiet(now: now, into: &records) }
        return (records, [])
    }

    private func handle(_ bytes: ArraySlice<UInt8>, now: Timestamp, into records: inout [CallRecord]) -> Bool {
        guard var packet = try? HEP.decode(bytes) else {
            undecodable += 1
            return false
        }
        if let wanted = source.captureID, packet.captureID != wanted {
            filtered += 1
            return false
        }
        if let type = packet.protocolType, type != 1 {
            filtered += 1
            return false
        }
        if packet.message.timeMissing { packet.message.time = now }
        position += 1
        packet.message.position = position
        return intake.take(packet.message, now: now, into: &records)
    }
}
