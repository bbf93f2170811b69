import ArgumentParser
import MeteringCore
import MeteringStore

/// `sipmeter-collector init`: creates (and migrates) the database and a
/// group, and prints the group's first admin token as the last line.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a group and print its first admin token (the last line of output).")

    @Option(help: "SQLite database file (created when missing).")
    var db: String

    @Option(help: "Name of the group (organisation) to create.")
    var group: String

    @Option(help: "ISO 4217 currency code of the group's credit.")
    var currency: String = "USD"

    func validate() throws {
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw ValidationError("--currency must be a 3-letter ISO 4217 code such as USD")
        }
        guard !group.isEmpty, group.count <= 64 else { throw ValidationError("--group must be 1 to 64 characters") }
    }

    func run() async throws {
        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: db)
        } catch {
            throw ValidationError("cannot open database \(db): \(error)")
        }
        do {
            let (info, token) = try await store.createGroup(name: group, currency: currency, now: .now())
            print("created group \(info.name) (\(info.currency)) in \(db)")
            print("admin token (shown once; only its hash is stored):")
            print(token)
        } catch let error as StoreError {
            throw ValidationError(error.description)
        }
    }
}
