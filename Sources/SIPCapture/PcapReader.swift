import MeteringCore
internal import CPcap
internal import CSIPSupport

/// Reads pcap and pcapng files (plain or gzip) through libpcap and yields
/// the SIP messages carried over UDP and TCP, IPv4 (with fragments
/// reassembled) and IPv6.
public final class PcapReader: MessageSource {
    public let path: String
    // Hot per-line/per-packet state of a reader owned by one thread: no
    // dynamic exclusivity checks on it (they were a measurable share of
    // the reader thread, which bounds the pipeline).
    @exclusivity(unchecked) public private(set) var stats = CaptureStats()
    public let positionUnit = "packet"
    public var filter = MessageFilter.all
    private var handle: OpaquePointer?
    private let link: PacketDecoder.LinkType
    @exclusivity(unchecked) private var packetNumber: Int64 = 0
    private var fragments = IPv4Reassembler()
    private var tcp = TCPReassembler()
    /// Framed messages of the last packet; moved out one by one (optional
    /// so that handing one over copies nothing).
    @exclusivity(unchecked) private var queue: [CapturedMessage?] = []
    @exclusivity(unchecked) private var queueIndex = 0
    private var finished = false
    /// A live capture: `next()` returns nil when no packet waits, and the
    /// capture goes on.
    private var live = false

    init(path: String) throws(CaptureError) {
        self.path = path
        // Plain files go to libpcap's own stdio reader; gzip ones through a
        // zlib-backed stream (one more copy per buffer, so only when needed).
        guard let file = Self.isGzip(path) ? sipm_gzfopen(path) : fopen(path, "rb") else {
            throw .unreadable(path: path, reason: "cannot open")
        }
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let p = pcap_fopen_offline(file, &errbuf) else {
            fclose(file)
            let reason = String(decoding: errbuf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .corrupt(path: path, position: "offset 0", reason: reason)
        }
        let dlt = pcap_datalink(p)
        guard let link = PacketDecoder.LinkType(rawValue: dlt) else {
            pcap_close(p)
            throw .corrupt(path: path, position: "offset 0", reason: "unsupported link type \(dlt)")
        }
        self.handle = p
        self.link = link
    }

    /// Captures live on `interface` with the BPF `filter`, non-blocking,
    /// each packet handed over at once (immediate mode).
    public init(interface: String, filter: String) throws(CaptureError) {
        self.path = interface
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let p = pcap_create(interface, &errbuf) else {
            throw .unreadable(
                path: interface,
                reason: String(decoding: errbuf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        pcap_set_snaplen(p, 262_144)
        pcap_set_immediate_mode(p, 1)
        pcap_set_buffer_size(p, 16 << 20)
        let activated = pcap_activate(p)
        guard activated >= 0 else {
            let reason = String(cString: pcap_geterr(p))
            pcap_close(p)
            throw .unreadable(path: interface, reason: reason.isEmpty ? "cannot capture (code \(activated))" : reason)
        }
        var program = bpf_program()
        guard pcap_compile(p, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let reason = String(cString: pcap_geterr(p))
            pcap_close(p)
            throw .corrupt(path: interface, position: "filter", reason: "bad BPF filter: \(reason)")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(p, &program) == 0, pcap_setnonblock(p, 1, &errbuf) == 0 else {
            let reason = String(cString: pcap_geterr(p))
            pcap_close(p)
            throw .unreadable(path: interface, reason: reason)
        }
        let dlt = pcap_datalink(p)
        guard let link = PacketDecoder.LinkType(rawValue: dlt) else {
            pcap_close(p)
            throw .corrupt(path: interface, position: "start", reason: "unsupported link type \(dlt)")
        }
        self.handle = p
        self.link = link
        self.live = true
    }

    deinit {
        if let handle { pcap_close(handle) }
    }

    private static func isGzip(_ path: String) -> Bool {
        guard let f = fopen(path, "rb") else { return false }
        defer { fclose(f) }
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { fread($0.baseAddress, 1, 2, f) }
        return n == 2 && magic.0 == 0x1F && magic.1 == 0x8B
    }

    public func next() throws(CaptureError) -> CapturedMessage? {
        while true {
            if queueIndex < queue.count {
                let message = queue[queueIndex].take()
                queueIndex += 1
                return message
            }
            queue.removeAll(keepingCapacity: true)
            queueIndex = 0
            guard !finished, let handle else { return nil }
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let rc = pcap_next_ex(handle, &header, &data)
            if rc == 1, let header, let data {
                packetNumber += 1
                stats.units += 1
                let h = header.pointee
                let time = Timestamp(seconds: Int64(h.ts.tv_sec), microseconds: Int64(h.ts.tv_usec))
                decode(UnsafeRawBufferPointer(start: data, count: Int(h.caplen)), time: time)
            } else if rc == 0 {
                // Nothing waiting on a live capture; a file never says 0 for long.
                if live { return nil }
                continue
            } else {
                finished = true
                stats.malformed += tcp.openFlowMalformed + tcp.malformed
                stats.tcpGaps = tcp.gaps
                stats.fragmentsDropped = fragments.dropped + fragments.pendingCount
                if rc == -1 {
                    let reason = String(cString: pcap_geterr(handle))
                    stats.warn("\(path): after packet \(packetNumber): \(reason); the rest of the file is unreadable")
                    if packetNumber == 0 {
                        throw .corrupt(path: path, position: "packet 1", reason: reason)
                    }
                }
            }
        }
    }

    private func decode(_ frame: UnsafeRawBufferPointer, time: Timestamp) {
        guard let ipStart = PacketDecoder.ipStart(frame, link: link), let ip = PacketDecoder.ip(frame, at: ipStart) else {
            stats.nonSIP += 1
            return
        }
        if let fragment = ip.fragment {
            let bytes = Array(UnsafeRawBufferPointer(rebasing: frame[ip.payload]))
            guard let whole = fragments.add(ip, fragment: fragment, bytes: bytes, at: time) else { return }
            stats.fragmentsReassembled += 1
            whole.withUnsafeBytes { transport(ip, $0, time: time) }
            return
        }
        transport(ip, UnsafeRawBufferPointer(rebasing: frame[ip.payload]), time: time)
    }

    private func transport(_ ip: PacketDecoder.IPPacket, _ b: UnsafeRawBufferPointer, time: Timestamp) {
        switch ip.proto {
        case 17:
            guard b.count >= 8 else {
                stats.nonSIP += 1
                return
            }
            var src = ip.source
            var dst = ip.destination
            src.port = PacketDecoder.be16(b, 0)
            dst.port = PacketDecoder.be16(b, 2)
            let payload = UnsafeRawBufferPointer(rebasing: b[8...])
            datagram(payload, src: src, dst: dst, time: time)
        case 6:
            guard b.count >= 20 else {
                stats.nonSIP += 1
                return
            }
            var src = ip.source
            var dst = ip.destination
            src.port = PacketDecoder.be16(b, 0)
            dst.port = PacketDecoder.be16(b, 2)
            let seq = PacketDecoder.be32(b, 4)
            let dataOffset = Int(b[12] >> 4) * 4
            guard dataOffset >= 20, dataOffset <= b.count else {
                stats.malformed += 1
                return
            }
            var framed: [[UInt8]] = []
            tcp.add(
                key: .init(source: src, destination: dst), seq: seq, flags: b[13],
                payload: UnsafeRawBufferPointer(rebasing: b[dataOffset...]), time: time, into: &framed
            )
            for bytes in framed {
                enqueue(bytes, truncated: false, src: src, dst: dst, transport: .tcp, time: time)
            }
        default:
            stats.nonSIP += 1
        }
    }

    private func datagram(_ payload: UnsafeRawBufferPointer, src: Endpoint, dst: Endpoint, time: Timestamp) {
        var p = payload
        // Keep-alives and leading CRLF (RFC 5626 §4.4.1).
        var skip = 0
        while skip < p.count, p[skip] == 0x0D || p[skip] == 0x0A { skip += 1 }
        p = UnsafeRawBufferPointer(rebasing: p[skip...])
        guard p.count >= 8, SIPBytes.looksLikeStartLine(p) else {
            stats.nonSIP += 1
            return
        }
        if !filter.keeps(p) {
            stats.messages += 1
            stats.filtered += 1
            return
        }
        guard let (bytes, truncated) = SIPBytes.fitToContentLength(p) else {
            stats.malformed += 1
            stats.warn("\(path): packet \(packetNumber): absurd Content-Length, message skipped")
            return
        }
        enqueue(bytes, truncated: truncated, src: src, dst: dst, transport: .udp, time: time)
    }

    private func enqueue(
        _ bytes: [UInt8], truncated: Bool, src: Endpoint, dst: Endpoint, transport: TransportProtocol, time: Timestamp
    ) {
        stats.messages += 1
        if transport == .tcp, !bytes.withUnsafeBytes({ filter.keeps($0) }) {
            stats.filtered += 1
            return
        }
        if truncated { stats.truncatedMessages += 1 }
        queue.append(
            CapturedMessage(
                time: time, bytes: bytes, source: src, destination: dst, transport: transport, truncated: truncated,
                position: packetNumber
            )
        )
    }
}
