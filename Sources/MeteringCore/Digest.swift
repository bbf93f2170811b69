internal import CSIPSupport

/// Hashing used for deterministic identifiers (not for security).
public enum Digest {
    /// Lower-case hex MD5 of `bytes` (libosip2's implementation).
    public static func md5Hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { digest in
                sipm_md5(input.baseAddress, UInt32(input.count), digest.baseAddress)
            }
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(32)
        for b in out {
            text.append(hex[Int(b >> 4)])
            text.append(hex[Int(b & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
