import Foundation

/// File-system queries the readers need, kept in one place.
enum FileManagerProbe {
    enum Kind { case missing, directory, file }

    static func kind(_ path: String) -> Kind {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return .missing }
        return isDir.boolValue ? .directory : .file
    }

    /// Seconds since the epoch of the file's last modification.
    static func modificationTime(_ path: String) -> Int64? {
        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
            return nil
        }
        return Int64(date.timeIntervalSince1970)
    }
}
