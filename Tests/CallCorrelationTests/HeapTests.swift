import MeteringCore
import SIPParsing
import Testing

@testable import CallCorrelation

@Suite("Deadline heaps")
struct HeapTests {
    /// Against a sorted array: pushes, pops and stale entries removed in
    /// bulk, interleaved at random.
    @Test("pops in order after any mix of pushes, pops and bulk removal")
    func matchesSortedArray() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            var heap = Heap<Int>()
            var model: [Int] = []
            for _ in 0..<300 {
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<6:
                    let v = Int.random(in: 0..<1000, using: &generator)
                    heap.push(v)
                    model.append(v)
                case 6..<9:
                    model.sort()
                    #expect(heap.pop() == (model.isEmpty ? nil : model.removeFirst()))
                default:
                    let cut = Int.random(in: 0..<1000, using: &generator)
                    heap.removeAll { $0 % 3 == cut % 3 }
                    model.removeAll { $0 % 3 == cut % 3 }
                }
                #expect(heap.count == model.count)
                #expect(heap.min == model.min())
            }
            model.sort()
            var popped: [Int] = []
            while let v = heap.pop() { popped.append(v) }
            #expect(popped == model)
        }
    }

    /// 20,000 short calls a millisecond apart: each leaves its INVITE's
    /// setup timeout (300 s away) behind in the deadline heap. The heaps
    /// must stay near the number of calls open, and every call still close.
    @Test("the tracker's heaps stay bounded by the calls open, not by the calls seen")
    func heapsStayBounded() {
        var correlator = Correlator()
        var records: [CallRecord] = []
        var sequence = 0
        var largest = 0
        func add(_ m: SIPMessage, at ms: Int64) {
            correlator.add(
                ObservedMessage(message: m, time: Timestamp(microseconds: 1_700_000_000_000_000 + ms * 1000), sequence: sequence),
                into: &records)
            sequence += 1
            largest = max(largest, correlator.tracker.heapEntries)
        }
        let calls = 20_000
        for i in 0..<calls {
            let t = Int64(i)
            let id = "call-\(i)@bench"
            add(
                SIPMessage(
                    startLine: .request(method: .invite, uriUser: "442071234501", uriHost: "192.0.2.2"), callID: id,
                    cseq: 1, cseqMethod: .invite, fromUser: "alice", fromHost: "192.0.2.1", fromTag: "f\(i)",
                    toUser: "442071234501", viaBranch: "z9hG4bK-\(i)-1"), at: t)
            add(
                SIPMessage(
                    startLine: .response(status: 200, reason: "OK"), callID: id, cseq: 1, cseqMethod: .invite,
                    fromUser: "alice", fromHost: "192.0.2.1", fromTag: "f\(i)", toUser: "442071234501", toTag: "t\(i)",
                    viaBranch: "z9hG4bK-\(i)-1"), at: t + 1)
            add(
                SIPMessage(
                    startLine: .request(method: .bye, uriUser: "442071234501", uriHost: "192.0.2.2"), callID: id, cseq: 2,
                    cseqMethod: .bye, fromUser: "alice", fromHost: "192.0.2.1", fromTag: "f\(i)", toUser: "442071234501",
                    toTag: "t\(i)", viaBranch: "z9hG4bK-\(i)-2"), at: t + 100)
            add(
                SIPMessage(
                    startLine: .response(status: 200, reason: "OK"), callID: id, cseq: 2, cseqMethod: .bye,
                    fromUser: "alice", fromHost: "192.0.2.1", fromTag: "f\(i)", toUser: "442071234501", toTag: "t\(i)",
                    viaBranch: "z9hG4bK-\(i)-2"), at: t + 101)
        }
        correlator.finish(into: &records)
        #expect(records.count == calls)
        #expect(records.allSatisfy { $0.disposition == .answered && $0.durationMs == 99 })
        // Calls a millisecond apart lasting ~0.1 s (then the BYE's linger):
        // a few thousand open at a time, never all twenty thousand.
        #expect(largest < calls)
        #expect(largest > 0)
    }
}
