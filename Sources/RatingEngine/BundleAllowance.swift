/// What is left this month of one bundle: minutes for a set of prefixes on a
/// SIP Profile (DESIGN.md "bundle").
public struct BundleAllowance: Sendable, Hashable {
    public var id: Int64
    /// Normalised digit prefixes the bundle covers.
    public var prefixes: [String]
    public var secondsLeft: Int64

    public init(id: Int64, prefixes: [String], secondsLeft: Int64) {
        self.id = id
        self.prefixes = prefixes
        self.secondsLeft = secondsLeft
    }

    /// The bundle with seconds left whose prefix matches `number` longest;
    /// ties go to the lowest id (the bundle allocated first).
    public static func bestMatch(in bundles: [BundleAllowance], number: String) -> Int? {
        var best: (index: Int, length: Int, id: Int64)?
        for (index, bundle) in bundles.enumerated() where bundle.secondsLeft > 0 {
            for prefix in bundle.prefixes where number.hasPrefix(prefix) {
                let length = prefix.utf8.count
                if let b = best, b.length > length || (b.length == length && b.id < bundle.id) { continue }
                best = (index, length, bundle.id)
            }
        }
        return best?.index
    }
}
