// The floor for `sipmeter-agent parse`: frames every SIP message of a
// capture into memory, then times a bare libosip2 parse loop over them on
// N threads (no correlation, no output): on whole messages with libosip2's
// default allocator (the floor), then on the headers metering reads, with
// that allocator and with the per-thread arena (what the agent does).
import Foundation
import SIPCapture
import SIPParsing

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: sipmeter-bench CAPTURE [THREADS]\n".utf8))
    exit(2)
}
let threads = args.count > 2 ? Int(args[2]) ?? 2 : 2
func load(_ path: String) -> [[UInt8]] {
    var out: [[UInt8]] = []
    do {
        let source = try CaptureInput.open(path: path)
        while let m = try source.next() { out.append(m.bytes) }
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
    return out
}
let messages: [[UInt8]] = load(args[1])
SIPParser.initialize()
/// Parses every message on `threads` threads: the complete parse is the
/// floor the issue names; the metering scope is what the agent asks.
func time(_ scope: SIPParser.Scope, _ allocation: SIPParser.Allocation, _ label: String) {
    let start = DispatchTime.now().uptimeNanoseconds
    let failures = ManagedCounter()
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        var bad = 0
        var i = t
        while i < messages.count {
            if case .failure = SIPParser.parse(messages[i], scope: scope, allocation: allocation) { bad += 1 }
            i += threads
        }
        failures.add(bad)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print(
        String(
            format: "%@: %d messages, %d threads, %.3f s, %.0f messages/s, %d failed", label, messages.count, threads,
            seconds, Double(messages.count) / seconds, failures.value))
}
for _ in 0..<2 {
    time(.complete, .system, "libosip2 floor (whole messages)")
    time(.metering, .system, "libosip2, metering headers only")
    time(.metering, .arena, "libosip2, metering headers, arena")
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) {
        lock.lock()
        total += n
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return total
    }
}
