// The floor for `sipmeter-agent parse`: frames every SIP message of a
// capture into memory, then times a bare libosip2 parse loop over them on
// N threads (no correlation, no output), once on whole messages and once
// on the headers metering reads (what the agent hands libosip2).
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
func time(_ scope: SIPParser.Scope, _ label: String) {
    let start = DispatchTime.now().uptimeNanoseconds
    let failures = ManagedCounter()
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        var bad = 0
        var i = t
        while i < messages.count {
            if case .failure = SIPParser.parse(messages[i], scope: scope) { bad += 1 }
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
time(.complete, "libosip2 floor (whole messages)")
time(.metering, "libosip2, metering headers only")
time(.complete, "libosip2 floor (whole messages)")
time(.metering, "libosip2, metering headers only")

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
