import MeteringCore

/// Reassembles TCP byte streams per direction and frames SIP messages out of
/// them. Handles retransmitted and overlapping segments, segments out of
/// order (held up to a bound), and gaps (skipped, counted, and the framer
/// resynchronises). Idle flows expire; the flow table is bounded.
struct TCPReassembler {
    struct FlowKey: Hashable {
        var source: Endpoint
        var destination: Endpoint
    }

    private struct Flow {
        var nextSeq: UInt32
        var framer = SIPStreamFramer()
        var held: [UInt32: [UInt8]] = [:]
        var heldBytes = 0
        var lastSeen: Timestamp
    }

    private var flows: [FlowKey: Flow] = [:]
    private let maxFlows = 20_000
    private let maxHeld = 256 * 1024
    private let idleTimeout: Int64 = 600
    private var lastExpiry = Timestamp(microseconds: 0)
    private(set) var gaps = 0
    private(set) var malformed = 0

    enum Flags {
        static let fin: UInt8 = 0x01
        static let syn: UInt8 = 0x02
        static let rst: UInt8 = 0x04
    }

    /// Feeds one segment; appends completed messages to `out`.
    mutating func add(
        key: FlowKey, seq: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer, time: Timestamp, into out: inout [[UInt8]]
    ) {
        if time.microseconds - lastExpiry.microseconds > 10_000_000 { expire(now: time) }
        if flags & Flags.syn != 0 {
            flows[key] = Flow(nextSeq: seq &+ 1, lastSeen: time)
            return
        }
        if flows[key] == nil {
            guard !payload.isEmpty else { return }
            if flows.count >= maxFlows { expire(now: time, force: true) }
            flows[key] = Flow(nextSeq: seq, lastSeen: time)
        }
        guard var flow = flows.removeValue(forKey: key) else { return }
        flow.lastSeen = time
        if !payload.isEmpty {
            accept(&flow, seq: seq, bytes: payload, into: &out)
        }
        if flags & (Flags.fin | Flags.rst) != 0 {
            malformed += flow.framer.malformed + (flow.framer.pendingCount > 0 ? 1 : 0)
            return
        }
        flows[key] = flow
    }

    private mutating func accept(_ flow: inout Flow, seq: UInt32, bytes: UnsafeRawBufferPointer, into out: inout [[UInt8]]) {
        let delta = Int32(bitPattern: seq &- flow.nextSeq)
        if delta > 0 {
            // Ahead of what we expect: hold it, or give up on the gap.
            if flow.held[seq] == nil {
                flow.held[seq] = Array(bytes)
                flow.heldBytes += bytes.count
            }
            if flow.heldBytes > maxHeld { skipGap(&flow, into: &out) }
            return
        }
        let overlap = Int(-delta)
        if overlap < bytes.count {
            flow.framer.append(UnsafeRawBufferPointer(rebasing: bytes[overlap...]), into: &out)
            flow.nextSeq = flow.nextSeq &+ UInt32(bytes.count - overlap)
        }
        drainHeld(&flow, into: &out)
    }

    private mutating func drainHeld(_ flow: inout Flow, into out: inout [[UInt8]]) {
        while !flow.held.isEmpty {
            var progressed = false
            for (seq, bytes) in flow.held {
                let delta = Int32(bitPattern: seq &- flow.nextSeq)
                guard delta <= 0 else { continue }
                flow.held[seq] = nil
                flow.heldBytes -= bytes.count
                let overlap = Int(-delta)
                if overlap < bytes.count {
                    flow.framer.append(bytes[overlap...], into: &out)
                    flow.nextSeq = flow.nextSeq &+ UInt32(bytes.count - overlap)
                }
                progressed = true
            }
            if !progressed { return }
        }
    }

    private mutating func skipGap(_ flow: inout Flow, into out: inout [[UInt8]]) {
        gaps += 1
        flow.framer.reset()
        guard let first = flow.held.keys.min(by: { Int32(bitPattern: $0 &- $1) < 0 }) else { return }
        flow.nextSeq = first
        drainHeld(&flow, into: &out)
    }

    private mutating func expire(now: Timestamp, force: Bool = false) {
        lastExpiry = now
        let limit = now.adding(seconds: force ? -60 : -idleTimeout)
        for (key, flow) in flows where flow.lastSeen < limit {
            malformed += flow.framer.malformed
            flows[key] = nil
        }
        if force, flows.count >= maxFlows { flows.removeAll() }
    }

    /// Malformed counts of flows still open (at end of input).
    var openFlowMalformed: Int {
        flows.values.reduce(0) { $0 + $1.framer.malformed + ($1.framer.pendingCount > 0 ? 1 : 0) }
    }
}
