public import MeteringCore

/// One line of a rate deck (DESIGN.md "Rate deck CSV").
public struct RateDeckEntry: Sendable, Hashable {
    /// Digits only; the callee's normalised number must start with it.
    public var prefix: String
    public var description: String
    public var ratePerMinute: Rate
    public var connectFee: Rate
    public var initialSeconds: Int64
    public var incrementSeconds: Int64

    public init(
        prefix: String, description: String, ratePerMinute: Rate, connectFee: Rate = .zero,
        initialSeconds: Int64, incrementSeconds: Int64
    ) {
        self.prefix = prefix
        self.description = description
        self.ratePerMinute = ratePerMinute
        self.connectFee = connectFee
        self.initialSeconds = initialSeconds
        self.incrementSeconds = incrementSeconds
    }
}

/// A prefix → price table. Longest prefix wins.
public struct RateDeck: Sendable {
    public let entries: [RateDeckEntry]
    private let table: PrefixTable

    /// Builds a deck; prefixes must be unique digit strings.
    public init(entries: [RateDeckEntry]) throws(RateDeckError) {
        var table = PrefixTable()
        for (index, entry) in entries.enumerated() {
            guard !entry.prefix.isEmpty, entry.prefix.utf8.count <= 24,
                entry.prefix.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
            else {
                throw RateDeckError(line: index + 1, message: "prefix \"\(entry.prefix)\" is not 1 to 24 digits")
            }
            guard entry.incrementSeconds >= 1, entry.initialSeconds >= 0 else {
                throw RateDeckError(line: index + 1, message: "initial must be ≥ 0 and increment ≥ 1 second")
            }
            guard table.insert(prefix: entry.prefix.utf8, value: Int32(index)) else {
                throw RateDeckError(line: index + 1, message: "prefix \(entry.prefix) appears twice")
            }
        }
        self.entries = entries
        self.table = table
    }

    /// The entry with the longest prefix of `normalisedNumber` (digits only,
    /// as `PhoneNumber.normalise` returns), or nil when none matches.
    public func match(normalisedNumber: String) -> RateDeckEntry? {
        guard let index = table.longestMatch(normalisedNumber.utf8) else { return nil }
        return entries[Int(index)]
    }

    /// The same for a substring (a concrete `String` takes the overload above,
    /// which the compiler specialises: this is the rating and authorization path).
    public func match(normalisedNumber: some StringProtocol) -> RateDeckEntry? {
        guard let index = table.longestMatch(normalisedNumber.utf8) else { return nil }
        return entries[Int(index)]
    }

    /// Index of the longest matching entry; the fast path for benchmarks.
    public func matchIndex(_ digits: some Collection<UInt8>) -> Int? {
        table.longestMatch(digits).map(Int.init)
    }
}

/// A rate deck the collector can't use, naming the CSV line.
public struct RateDeckError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "rate deck line \(line): \(message)" }
}
