public import MeteringCore

/// A zip archive (PKWARE APPNOTE 6.3, deflate entries, UTF-8 names) built in
/// memory: Skype Manager's "Download Reports" in one file. Deflate and CRC-32
/// come from zlib: a gzip member is a 10-byte header, the raw deflate stream
/// and a trailer of CRC-32 and size, which is exactly what a zip entry stores.
public struct ZipWriter: Sendable {
    private var data: [UInt8] = []
    private var central: [UInt8] = []
    private var entries = 0
    private let dosTime: UInt16
    private let dosDate: UInt16

    /// Entries are stamped with `modified` (UTC), so an archive of the same
    /// files is byte-identical.
    public init(modified: Timestamp) {
        let text = modified.rfc3339  // 2026-11-29T16:58:00.000000Z
        func field(_ from: Int, _ length: Int) -> Int {
            Int(text.dropFirst(from).prefix(length)) ?? 0
        }
        let year = max(field(0, 4), 1980)
        dosDate = UInt16((year - 1980) << 9 | field(5, 2) << 5 | field(8, 2))
        dosTime = UInt16(field(11, 2) << 11 | field(14, 2) << 5 | field(17, 2) / 2)
    }

    /// Adds a file named `name` (a path inside the archive) holding `bytes`.
    public mutating func add(name: String, bytes: [UInt8]) {
        let gzip = Gzip.compress(bytes)
        let deflated = gzip[10..<(gzip.count - 8)]
        let crc = gzip[(gzip.count - 8)..<(gzip.count - 4)]
        let nameBytes = Array(name.utf8)
        let offset = UInt32(data.count)
        var common: [UInt8] = []
        Self.le16(&common, 20)  // version needed: 2.0 (deflate)
        Self.le16(&common, 0x0800)  // flags: names are UTF-8
        Self.le16(&common, 8)  // deflate
        Self.le16(&common, dosTime)
        Self.le16(&common, dosDate)
        common += crc
        Self.le32(&common, UInt32(deflated.count))
        Self.le32(&common, UInt32(bytes.count))
        Self.le16(&common, UInt16(nameBytes.count))
        Self.le16(&common, 0)  // extra field length

        Self.le32(&data, 0x0403_4b50)
        data += common
        data += nameBytes
        data += deflated

        Self.le32(&central, 0x0201_4b50)
        Self.le16(&central, 20)  // made by: 2.0, MS-DOS attributes
        central += common
        Self.le16(&central, 0)  // comment length
        Self.le16(&central, 0)  // disk number
        Self.le16(&central, 0)  // internal attributes
        Self.le32(&central, 0)  // external attributes
        Self.le32(&central, offset)
        central += nameBytes
        entries += 1
    }

    /// The archive: the entries, the central directory and its end record.
    public func finish() -> [UInt8] {
        var out = data + central
        Self.le32(&out, 0x0605_4b50)
        Self.le16(&out, 0)
        Self.le16(&out, 0)
        Self.le16(&out, UInt16(entries))
        Self.le16(&out, UInt16(entries))
        Self.le32(&out, UInt32(central.count))
        Self.le32(&out, UInt32(data.count))
        Self.le16(&out, 0)
        return out
    }

    private static func le16(_ out: inout [UInt8], _ v: UInt16) {
        out.append(UInt8(v & 0xFF))
        out.append(UInt8(v >> 8))
    }

    private static func le32(_ out: inout [UInt8], _ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(shift)) & 0xFF)) }
    }
}
