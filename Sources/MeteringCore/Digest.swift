internal import CSIPSupport

/// Hashing used for deterministic identifiers (not for security).
public enum Digest {
    /// Lower-case hex MD5 of `bytes` (libosip2's implementation).
    public static func md5Hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { md5Hex($0) }
    }

    /// Lower-case hex MD5 of `bytes`, with no allocation but the result.
    public static func md5Hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var digest: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &digest) { d in
            sipm_md5(bytes.baseAddress, UInt32(bytes.count), d.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return withUnsafeBytes(of: &digest) { d in
            String(unsafeUninitializedCapacity: 32) { text in
                let hex: StaticString = "0123456789abcdef"
                let digits = hex.utf8Start
                for (i, b) in d.enumerated() {
                    text[2 * i] = digits[Int(b >> 4)]
                    text[2 * i + 1] = digits[Int(b & 0xF)]
                }
                return 32
            }
        }
    }
}
