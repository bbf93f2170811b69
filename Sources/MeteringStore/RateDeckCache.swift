public import RatingEngine
internal import Synchronization

/// Parsed rate decks by (deck id, version), shared by every request so a deck
/// is parsed once per upload rather than once per batch.
public final class RateDeckCache: Sendable {
    private struct Key: Hashable {
        var id: Int64
        var version: Int
    }

    private let decks = Mutex<[Key: RateDeck]>([:])

    public init() {}

    /// The deck for `id` at `version`, parsing `csv` only the first time.
    func deck(id: Int64, version: Int, csv: () -> String) throws -> RateDeck {
        if let deck = decks.withLock({ $0[Key(id: id, version: version)] }) { return deck }
        let deck = try RateDeck(csv: csv())
        decks.withLock { cache in
            cache = cache.filter { $0.key.id != id }
            cache[Key(id: id, version: version)] = deck
        }
        return deck
    }

    /// The deck for `id` at `version` if it was parsed already.
    public func cached(id: Int64, version: Int) -> RateDeck? {
        decks.withLock { $0[Key(id: id, version: version)] }
    }

    /// Parses and keeps `csv` as deck `id` at `version`.
    public func store(id: Int64, version: Int, csv: String) throws -> RateDeck {
        try deck(id: id, version: version) { csv }
    }
}
