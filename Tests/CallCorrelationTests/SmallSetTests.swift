import Testing

@testable import CallCorrelation

@Suite("SmallSet")
struct SmallSetTests {
    /// Against an array searched the obvious way, across the inline slots
    /// and the overflow: same answers to insert and contains, same order.
    @Test("agrees with a plain array, inline and past four elements")
    func matchesArray() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            var set: SmallSet<String> = []
            var model: [String] = []
            let universe = 1 + round % 12
            for _ in 0..<40 {
                let value = "k\(Int.random(in: 0..<universe, using: &generator))"
                let (inserted, member) = set.insert(value)
                #expect(inserted == !model.contains(value))
                #expect(member == value)
                if inserted { model.append(value) }
                #expect(set.count == model.count)
                let probe = "k\(Int.random(in: 0..<(universe + 2), using: &generator))"
                #expect(set.contains(probe) == model.contains(probe))
            }
            #expect(Array(set) == model)
            #expect(set.isEmpty == model.isEmpty)
        }
    }

    @Test("an array literal keeps the first of duplicates")
    func literal() {
        let set: SmallSet<Int> = [3, 1, 3, 4, 5, 9, 2, 6, 5]
        #expect(Array(set) == [3, 1, 4, 5, 9, 2, 6])
        #expect(set.count == 7)
        #expect(!set.contains(7))
        let empty: SmallSet<Int> = []
        #expect(empty.isEmpty)
        #expect(Array(empty).isEmpty)
    }
}
