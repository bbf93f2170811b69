internal import GRDB
public import MeteringCore

extension SQLiteStore {
    public func recordPurchase(group: Int64, amount: Money, reference: String, now: Timestamp) async throws -> PurchaseInfo {
        guard amount > .zero else { throw StoreError.invalid("a purchase amount must be greater than 0") }
        return try await write(conflict: "the purchase could not be stored") { db in
            let account = try Self.groupAccount(db, group: group)
            try db.execute(
                sql: "INSERT INTO purchase (group_id, amount, reference, created_at) VALUES (?, ?, ?, ?)",
                arguments: [group, amount.units, reference, now.microseconds])
            let id = db.lastInsertedRowID
            try Self.post(db, group: group, account: account, kind: "purchase", amount: amount.units, purchase: id, now: now)
            return PurchaseInfo(id: id, amount: amount, reference: reference, createdAt: now)
        }
    }

    public func purchases(group: Int64) async throws -> [PurchaseInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, amount, reference, created_at FROM purchase WHERE group_id = ? ORDER BY id",
                arguments: [group]
            ).map {
                PurchaseInfo(id: $0[0], amount: Money(units: $0[1]), reference: $0[2], createdAt: Timestamp(microseconds: $0[3]))
            }
        }
    }

    public func allocate(group: Int64, to target: AllocationTarget, amount: Money, now: Timestamp) async throws -> AllocationInfo
    {
        guard amount != .zero else { throw StoreError.invalid("an allocation amount can't be 0") }
        return try await write(conflict: "the allocation could not be stored") { db in
            let groupAccount = try Self.groupAccount(db, group: group)
            var memberID: Int64?
            var profileID: Int64?
            let account: Int64
            switch target {
            case .member(let name):
                let row = try Self.memberRow(db, group: group, name: name)
                (memberID, account) = (row.id, row.account)
            case .profile(let name):
                let row = try Self.profileRow(db, group: group, name: name)
                (profileID, account) = (row.id, row.account)
            }
            if amount > .zero {
                let available = try Self.balance(db, account: groupAccount)
                guard available >= amount else {
                    throw StoreError.conflict("the group balance is \(available), less than the \(amount) to allocate")
                }
            } else {
                let held = try Self.balance(db, account: account)
                guard held >= -amount else {
                    throw StoreError.conflict("the target holds \(held), less than the \(-amount) to take back")
                }
            }
            try db.execute(
                sql: "INSERT INTO allocation (group_id, member_id, profile_id, amount, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [group, memberID, profileID, amount.units, now.microseconds])
            let id = db.lastInsertedRowID
            let kind = amount > .zero ? "allocation" : "take_back"
            try Self.post(db, group: group, account: groupAccount, kind: kind, amount: -amount.units, allocation: id, now: now)
            try Self.post(db, group: group, account: account, kind: kind, amount: amount.units, allocation: id, now: now)
            if let profileID {
                // From now on this profile's calls are charged to its own credit.
                try db.execute(sql: "UPDATE profile SET own_credit = 1 WHERE id = ?", arguments: [profileID])
            }
            return AllocationInfo(id: id, target: target, amount: amount, createdAt: now)
        }
    }

    public func allocations(group: Int64) async throws -> [AllocationInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, m.name, p.name, a.amount, a.created_at FROM allocation a
                    LEFT JOIN member m ON m.id = a.member_id LEFT JOIN profile p ON p.id = a.profile_id
                    WHERE a.group_id = ? ORDER BY a.id
                    """, arguments: [group]
            ).map { row in
                let member: String? = row[1]
                let target: AllocationTarget = member.map { .member($0) } ?? .profile(row[2] ?? "")
                return AllocationInfo(
                    id: row[0], target: target, amount: Money(units: row[3]), createdAt: Timestamp(microseconds: row[4]))
            }
        }
    }

    public func balances(group: Int64) async throws -> Balances {
        try await writer.read { db in
            let groupBalance = try Self.balance(db, account: try Self.groupAccount(db, group: group))
            func entries(_ sql: String) throws -> [Balances.Entry] {
                try Row.fetchAll(db, sql: sql, arguments: [group]).map {
                    Balances.Entry(name: $0[0], balance: Money(units: $0[1]), exhausted: $0[2])
                }
            }
            return Balances(
                group: groupBalance,
                members: try entries(
                    "SELECT m.name, a.balance, a.exhausted FROM member m JOIN account a ON a.id = m.account_id WHERE m.group_id = ? ORDER BY m.name"
                ),
                profiles: try entries(
                    "SELECT p.name, a.balance, a.exhausted FROM profile p JOIN account a ON a.id = p.account_id WHERE p.group_id = ? AND p.own_credit ORDER BY p.name"
                ))
        }
    }

    /// Sum of ledger entries per account id, for reconciliation checks.
    public func ledgerTotals(group: Int64) async throws -> (ledger: [Int64: Money], balances: [Int64: Money], callCharges: Money)
    {
        try await writer.read { db in
            var ledger: [Int64: Money] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT account_id, SUM(amount) FROM ledger WHERE group_id = ? GROUP BY account_id", arguments: [group])
            {
                ledger[row[0]] = Money(units: row[1])
            }
            var balances: [Int64: Money] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, balance FROM account WHERE group_id = ?", arguments: [group]) {
                balances[row[0]] = Money(units: row[1])
            }
            let charges =
                try Int64.fetchOne(
                    db, sql: "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE group_id = ? AND kind = 'call_charge'",
                    arguments: [group]) ?? 0
            return (ledger, balances, Money(units: charges))
        }
    }
}
