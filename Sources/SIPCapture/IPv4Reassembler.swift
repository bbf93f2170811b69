import MeteringCore

/// Reassembles fragmented IPv4 datagrams (RFC 791 §3.2). Bounded: at most
/// `maxDatagrams` in progress, each at most 64 KiB; unfinished ones expire
/// after `timeout` of capture time and are counted as dropped.
struct IPv4Reassembler {
    private struct Key: Hashable {
        var source: UInt64
        var destination: UInt64
        var id: UInt16
        var proto: UInt8
    }

    private struct Pending {
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        var totalLength: Int?
        var firstSeen: Timestamp
        var size = 0
    }

    private var pending: [Key: Pending] = [:]
    private let maxDatagrams = 4096
    private let timeout: Int64 = 30
    private(set) var dropped = 0
    private var lastExpiry: Timestamp?

    /// Datagrams still waiting for fragments.
    var pendingCount: Int { pending.count }

    /// Adds one fragment (`bytes` = the fragment's IP payload). Returns the
    /// whole transport payload once every piece is present.
    mutating func add(_ packet: PacketDecoder.IPPacket, fragment: PacketDecoder.IPv4Fragment, bytes: [UInt8], at time: Timestamp)
        -> [UInt8]?
    {
        let key = Key(source: packet.source.low, destination: packet.destination.low, id: fragment.id, proto: packet.proto)
        if pending[key] == nil {
            // Expiry scans the table: at most once per second of capture time.
            if lastExpiry.map({ time.microseconds &- $0.microseconds >= 1_000_000 }) ?? true || pending.count >= maxDatagrams {
                expire(now: time)
                lastExpiry = time
            }
            if pending.count >= maxDatagrams {
                dropped += pending.count
                pending.removeAll(keepingCapacity: true)
            }
        }
        var entry = pending[key] ?? Pending(firstSeen: time)
        guard fragment.offset + bytes.count <= 65_535 else {
            pending[key] = nil
            dropped += 1
            return nil
        }
        entry.pieces.append((fragment.offset, bytes))
        entry.size += bytes.count
        if !fragment.moreFragments { entry.totalLength = fragment.offset + bytes.count }
        guard let total = entry.totalLength, entry.size >= total else {
            pending[key] = entry
            return nil
        }
        // Every byte covered? Sort and walk for holes (overlaps allowed).
        let pieces = entry.pieces.sorted { $0.offset < $1.offset }
        var covered = 0
        var out = [UInt8](repeating: 0, count: total)
        for piece in pieces {
            guard piece.offset <= covered else {
                pending[key] = entry
                return nil
            }
            let end = min(total, piece.offset + piece.bytes.count)
            if end > piece.offset {
                out.replaceSubrange(piece.offset..<end, with: piece.bytes.prefix(end - piece.offset))
            }
            covered = max(covered, end)
        }
        guard covered >= total else {
            pending[key] = entry
            return nil
        }
        pending[key] = nil
        return out
    }

    private mutating func expire(now: Timestamp) {
        let limit = now.adding(seconds: -timeout)
        let before = pending.count
        pending = pending.filter { $0.value.firstSeen >= limit }
        dropped += before - pending.count
    }
}
