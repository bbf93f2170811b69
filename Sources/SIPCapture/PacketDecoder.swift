/// Decodes link-layer, IP and transport headers of captured packets down to
/// UDP or TCP payloads. Pure functions over the packet bytes.
enum PacketDecoder {
    /// libpcap DLT_* values this reader understands.
    enum LinkType: Int32 {
        case null = 0, ethernet = 1, raw = 12, rawOpenBSD = 14, loop = 108, raw101 = 101
        case linuxSLL = 113, ipv4 = 228, ipv6 = 229, linuxSLL2 = 276
    }

    struct IPPacket {
        var source: Endpoint
        var destination: Endpoint
        var proto: UInt8
        /// Transport header + payload.
        var payload: Range<Int>
        var fragment: IPv4Fragment?
    }

    struct IPv4Fragment {
        var id: UInt16
        var offset: Int
        var moreFragments: Bool
    }

    /// Range of the IP header start inside a frame, or nil if not IP.
    static func ipStart(_ b: UnsafeRawBufferPointer, link: LinkType) -> Int? {
        switch link {
        case .ethernet:
            guard b.count >= 14 else { return nil }
            var off = 12
            var etherType = be16(b, off)
            while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
                off += 4
                guard b.count >= off + 2 else { return nil }
                etherType = be16(b, off)
            }
            return etherType == 0x0800 || etherType == 0x86DD ? off + 2 : nil
        case .null, .loop:
            return b.count >= 4 ? 4 : nil
        case .raw, .rawOpenBSD, .raw101, .ipv4, .ipv6:
            return 0
        case .linuxSLL:
            guard b.count >= 16 else { return nil }
            let proto = be16(b, 14)
            return proto == 0x0800 || proto == 0x86DD ? 16 : nil
        case .linuxSLL2:
            guard b.count >= 20 else { return nil }
            let proto = be16(b, 0)
            return proto == 0x0800 || proto == 0x86DD ? 20 : nil
        }
    }

    static func ip(_ b: UnsafeRawBufferPointer, at start: Int) -> IPPacket? {
        guard b.count > start else { return nil }
        switch b[start] >> 4 {
        case 4: return ipv4(b, start)
        case 6: return ipv6(b, start)
        default: return nil
        }
    }

    private static func ipv4(_ b: UnsafeRawBufferPointer, _ s: Int) -> IPPacket? {
        guard b.count >= s + 20 else { return nil }
        let ihl = Int(b[s] & 0x0F) * 4
        let total = Int(be16(b, s + 2))
        guard ihl >= 20, total >= ihl else { return nil }
        let end = min(b.count, s + total)
        guard end >= s + ihl else { return nil }
        let flagsFrag = be16(b, s + 6)
        let more = flagsFrag & 0x2000 != 0
        let offset = Int(flagsFrag & 0x1FFF) * 8
        let src = Endpoint(ipv4: be32(b, s + 12), port: 0)
        let dst = Endpoint(ipv4: be32(b, s + 16), port: 0)
        var packet = IPPacket(source: src, destination: dst, proto: b[s + 9], payload: (s + ihl)..<end)
        if more || offset > 0 {
            packet.fragment = IPv4Fragment(id: be16(b, s + 4), offset: offset, moreFragments: more)
        }
        return packet
    }

    private static func ipv6(_ b: UnsafeRawBufferPointer, _ s: Int) -> IPPacket? {
        guard b.count >= s + 40 else { return nil }
        let payloadLength = Int(be16(b, s + 4))
        let end = min(b.count, s + 40 + payloadLength)
        var next = b[s + 6]
        var off = s + 40
        // Skip extension headers (hop-by-hop, routing, destination options).
        while next == 0 || next == 43 || next == 60 {
            guard end >= off + 8 else { return nil }
            next = b[off]
            off += (Int(b[off + 1]) + 1) * 8
        }
        if next == 44 { return nil }  // IPv6 fragments: not reassembled.
        guard off <= end else { return nil }
        let src = Endpoint(ipv6High: be64(b, s + 8), low: be64(b, s + 16), port: 0)
        let dst = Endpoint(ipv6High: be64(b, s + 24), low: be64(b, s + 32), port: 0)
        return IPPacket(source: src, destination: dst, proto: next, payload: off..<end)
    }

    static func be16(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt16 {
        UInt16(b[i]) << 8 | UInt16(b[i + 1])
    }

    static func be32(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(be16(b, i)) << 16 | UInt32(be16(b, i + 2))
    }

    static func be64(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        UInt64(be32(b, i)) << 32 | UInt64(be32(b, i + 4))
    }
}
