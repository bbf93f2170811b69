/// A digit trie for longest-prefix match, stored flat so a lookup is a walk
/// over one array with no allocation (the 2,000,000 lookups/s goal of the
/// collector benchmark needs that).
struct PrefixTable: Sendable {
    /// `children[node * 10 + digit]` is the child node, 0 when absent (node 0
    /// is the root, never anyone's child).
    private var children: [Int32] = Array(repeating: 0, count: 10)
    /// The value stored at each node, -1 when none ends there.
    private var values: [Int32] = [-1]

    /// Adds `prefix` (ASCII digits). False when it is already present.
    mutating func insert(prefix: some Sequence<UInt8>, value: Int32) -> Bool {
        var node = 0
        for byte in prefix {
            let digit = Int(byte &- 48)
            precondition(digit >= 0 && digit < 10, "PrefixTable takes digits only")
            let slot = node * 10 + digit
            if children[slot] == 0 {
                children[slot] = Int32(values.count)
                values.append(-1)
                children.append(contentsOf: repeatElement(0, count: 10))
            }
            node = Int(children[slot])
        }
        guard values[node] < 0 else { return false }
        values[node] = value
        return true
    }

    /// The value of the longest stored prefix of `digits`; stops at the first
    /// non-digit.
    func longestMatch(_ digits: some Sequence<UInt8>) -> Int32? {
        var node = 0
        var best: Int32 = values[0]
        for byte in digits {
            let digit = Int(byte &- 48)
            guard digit >= 0, digit < 10 else { break }
            let child = children[node * 10 + digit]
            if child == 0 { break }
            node = Int(child)
            if values[node] >= 0 { best = values[node] }
        }
        return best >= 0 ? best : nil
    }
}
