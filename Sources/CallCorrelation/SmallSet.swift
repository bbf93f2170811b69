/// A set for the handful of keys one call collects (transactions, branches,
/// tags): an array searched linearly, which beats hashing at these sizes.
struct SmallSet<Element: Equatable>: Sequence {
    private var items: [Element] = []

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    func contains(_ element: Element) -> Bool {
        items.contains(element)
    }

    @discardableResult
    mutating func insert(_ element: Element) -> (inserted: Bool, memberAfterInsert: Element) {
        if let existing = items.first(where: { $0 == element }) { return (false, existing) }
        items.append(element)
        return (true, element)
    }

    func makeIterator() -> IndexingIterator<[Element]> { items.makeIterator() }
}

extension SmallSet: ExpressibleByArrayLiteral {
    init(arrayLiteral elements: Element...) {
        for e in elements { insert(e) }
    }
}
