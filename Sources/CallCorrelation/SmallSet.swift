/// A set for the handful of keys one call collects (transactions, branches,
/// tags), searched linearly, which beats hashing at these sizes. The first
/// four live inline: a call of INVITE, 180, 200 and BYE allocates nothing
/// for its sets (an array per set was grown, then freed, on every call).
struct SmallSet<Element: Equatable>: Sequence {
    private var first: Element?
    private var second: Element?
    private var third: Element?
    private var fourth: Element?
    /// The fifth element on.
    private var rest: [Element] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    init() {}

    private func element(_ i: Int) -> Element {
        switch i {
        case 0: first.unsafelyUnwrapped
        case 1: second.unsafelyUnwrapped
        case 2: third.unsafelyUnwrapped
        case 3: fourth.unsafelyUnwrapped
        default: rest[i - 4]
        }
    }

    func contains(_ element: Element) -> Bool {
        for i in 0..<count where self.element(i) == element { return true }
        return false
    }

    @discardableResult
    mutating func insert(_ element: Element) -> (inserted: Bool, memberAfterInsert: Element) {
        for i in 0..<count {
            let existing = self.element(i)
            if existing == element { return (false, existing) }
        }
        switch count {
        case 0: first = element
        case 1: second = element
        case 2: third = element
        case 3: fourth = element
        default: rest.append(element)
        }
        count += 1
        return (true, element)
    }

    struct Iterator: IteratorProtocol {
        fileprivate let set: SmallSet
        fileprivate var index = 0

        mutating func next() -> Element? {
            guard index < set.count else { return nil }
            defer { index += 1 }
            return set.element(index)
        }
    }

    func makeIterator() -> Iterator { Iterator(set: self) }
}

extension SmallSet: ExpressibleByArrayLiteral {
    init(arrayLiteral elements: Element...) {
        for e in elements { insert(e) }
    }
}
