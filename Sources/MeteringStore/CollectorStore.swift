public import CreditLedger
public import MeteringCore

/// Everything the collector keeps, by intent. SQLite (`SQLiteStore`) is the
/// embedded default; a PostgreSQL backend implements the same protocol.
/// Every method that moves money writes its ledger entries and the balances
/// they change in one transaction.
public protocol CollectorStore: Sendable {
    /// Creates a group with its balance account and first admin token.
    func createGroup(name: String, currency: String, now: Timestamp) async throws -> (GroupInfo, token: String)
    /// The principal a bearer token speaks for, or nil.
    func authenticate(token: String) async throws -> Principal?
    /// The principal of a token `authenticate` already found valid, from
    /// memory (nil: ask `authenticate`).
    func knownPrincipal(token: String) -> Principal?
    func group(id: Int64) async throws -> GroupInfo

    func addMember(group: Int64, name: String, kind: MemberKind, now: Timestamp) async throws -> MemberInfo
    func members(group: Int64) async throws -> [MemberInfo]
    func addProfile(group: Int64, name: String, member: String, rateDeck: String, now: Timestamp) async throws -> ProfileInfo
    func profiles(group: Int64) async throws -> [ProfileInfo]
    /// Creates or replaces a rate deck; calls already rated keep their price.
    func putRateDeck(group: Int64, name: String, csv: String, entries: Int, now: Timestamp) async throws -> RateDeckInfo
    func rateDecks(group: Int64) async throws -> [RateDeckInfo]
    func addBundle(group: Int64, profile: String, name: String, minutes: Int64, prefixes: [String], now: Timestamp) async throws
        -> BundleInfo
    /// Bundles with the seconds used in the month of `month` (YYYYMM).
    func bundles(group: Int64, month: Int) async throws -> [BundleInfo]
    /// Creates an agent bound to `profiles` and returns its token.
    func addAgent(group: Int64, name: String, profiles: [String], now: Timestamp) async throws -> (AgentInfo, token: String)
    func agents(group: Int64) async throws -> [AgentInfo]
    /// Issues a token for a member (self-service reads).
    func issueMemberToken(group: Int64, member: String, now: Timestamp) async throws -> String

    func recordPurchase(group: Int64, amount: Money, reference: String, now: Timestamp) async throws -> PurchaseInfo
    func purchases(group: Int64) async throws -> [PurchaseInfo]
    /// Moves credit from the group to a member or profile; a negative amount
    /// is a take-back and can't take more than the target holds.
    func allocate(group: Int64, to target: AllocationTarget, amount: Money, now: Timestamp) async throws -> AllocationInfo
    func allocations(group: Int64) async throws -> [AllocationInfo]

    /// Rates and charges each record once; records already stored are
    /// duplicates and change nothing.
    func ingest(records: [CallRecord], agent: Principal, decks: RateDeckCache, now: Timestamp) async throws -> IngestResult
    /// Stores answered calls reported live by an agent (a record with the
    /// same id later supersedes each). Events for profiles the agent is not
    /// bound to, or already final, are rejected/ignored.
    func recordCallEvents(_ events: [CallEvent], agent: Principal, expiresAfter seconds: Int64, now: Timestamp) async throws
        -> (accepted: Int, rejected: [IngestResult.Rejection])
    /// Calls in progress (not expired), by profile then answer time.
    func activeCalls(group: Int64, now: Timestamp) async throws -> [ActiveCall]
    func balances(group: Int64) async throws -> Balances
    func calls(group: Int64, query: CallQuery) async throws -> (calls: [RatedCallInfo], next: CallCursor?)

    // MARK: Enforcement and alerts
    /// Moves on with every write that changes what authorization reads.
    var enforcementVersion: Int { get }
    func setLimits(group: Int64, target: AllocationTarget, limits: Limits, now: Timestamp) async throws
    func limits(group: Int64) async throws -> [LimitsInfo]
    func setAutoRecharge(group: Int64, _ config: AutoRechargeInfo, now: Timestamp) async throws
    func autoRecharges(group: Int64, now: Timestamp) async throws -> [AutoRechargeInfo]
    func enforcementSnapshot(group: Int64, now: Timestamp) async throws -> EnforcementSnapshot
    func rateDeckCSV(id: Int64) async throws -> String
    /// Replaces the group's alert rules.
    func setAlertRules(group: Int64, _ rules: [AlertRuleInfo]) async throws
    func alertRules(group: Int64) async throws -> [AlertRuleInfo]
    func setWebhook(group: Int64, url: String, secret: String, now: Timestamp) async throws
    func webhookURL(group: Int64) async throws -> String?
    /// The newest alerts first.
    func alerts(group: Int64, limit: Int) async throws -> [AlertInfo]
    func groupIDs() async throws -> [Int64]
    /// Auto-recharges, then alert rules, in one transaction; returns the alerts that fired.
    func evaluateAlerts(group: Int64, live: LiveFigures, now: Timestamp) async throws -> [AlertInfo]
    func dueWebhooks(now: Timestamp, limit: Int) async throws -> [WebhookDelivery]
    func webhookAttempted(id: Int64, delivered: Bool, error: String?, retryAt: Timestamp, now: Timestamp) async throws

    // MARK: Reports, consent and the access log
    func summaryReport(group: Int64, month: Int, scope: ReportScope) async throws -> SummaryReport
    func purchasesReport(group: Int64, month: Int) async throws -> PurchasesReport
    func allocationsReport(group: Int64, month: Int, scope: ReportScope) async throws -> AllocationsReport
    func usageReport(group: Int64, query: UsageQuery) async throws -> UsageReport
    /// What each SIP Profile's calls cost on each day of `month` (YYYYMM) that had calls, by profile then day (1–31).
    func dailySpend(group: Int64, month: Int, scope: ReportScope) async throws -> [(profile: String, day: Int, amount: Money)]
    /// Whose call detail a Usage report of `member` or `profile` shows, and their consent.
    func detailSubject(group: Int64, member: String?, profile: String?) async throws -> DetailSubject
    func recordConsent(group: Int64, memberID: Int64, granted: Bool, now: Timestamp) async throws
    func consentHistory(group: Int64, memberID: Int64?) async throws -> [ConsentEntry]
    func logDetailAccess(group: Int64, memberID: Int64, viewer: String, report: String, now: Timestamp) async throws
    func accessLog(group: Int64, memberID: Int64?, limit: Int) async throws -> [AccessLogEntry]
}
