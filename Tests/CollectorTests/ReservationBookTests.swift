import MeteringCore
import Testing

@testable import MeteringCollector

/// The book keeps running sums so a decision does not walk every call in
/// progress; these tests hold the sums to a walk over the reservations.
@Suite struct ReservationBookTests {
    typealias Reservation = ReservationBook.Reservation

    /// Sums recomputed from the reservations themselves.
    static func walked(_ book: ReservationBook, profile: Int64, member: Int64, account: Int64, day: Int, month: Int)
        -> ReservationBook.Totals
    {
        var t = ReservationBook.Totals()
        for r in book.byCallID.values {
            if r.account == account { t.onAccount += r.exposure }
            if r.profileID == profile, r.day == day { t.profileDay += r.exposure }
            if r.profileID == profile, r.month == month { t.profileMonth += r.exposure }
            if r.memberID == member, r.day == day { t.memberDay += r.exposure }
            if r.memberID == member, r.month == month { t.memberMonth += r.exposure }
        }
        return t
    }

    @Test("running sums equal a walk over the reservations after random inserts, re-inserts, removals and expiry")
    func sumsMatchWalk() {
        var rng = SplitMix64(state: 7)
        var book = ReservationBook()
        // Two days across a month boundary, two profiles of one member plus one of another.
        let periods = [(day: 20_261_130, month: 202_611), (day: 20_261_201, month: 202_612)]
        let profiles: [(id: Int64, member: Int64, account: Int64)] = [(1, 10, 100), (2, 10, 100), (3, 20, 200)]
        var now = Timestamp(microseconds: 1_000_000_000)
        for step in 0..<5_000 {
            let callID = "c\(Int.random(in: 0..<60, using: &rng))"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6:
                let p = profiles.randomElement(using: &rng)!
                let period = periods.randomElement(using: &rng)!
                book.insert(
                    Reservation(
                        profileID: p.id, memberID: p.member, account: p.account,
                        exposure: Money(units: Int64.random(in: 0...50_000, using: &rng)), ratePerMinute: Rate(micros: 10_000),
                        day: period.day, month: period.month,
                        expiresAt: now.adding(seconds: Int64.random(in: 1...600, using: &rng))),
                    callID: callID)
            case 6..<9:
                book.remove(callID)
            default:
                now = now.adding(seconds: 30)
                book.expire(now: now)
            }
            for p in profiles {
                for period in periods {
                    let kept = book.totals(
                        profile: p.id, member: p.member, account: p.account, day: period.day, month: period.month)
                    let expected = Self.walked(
                        book, profile: p.id, member: p.member, account: p.account, day: period.day, month: period.month)
                    #expect(kept == expected, "step \(step), profile \(p.id), day \(period.day)")
                    #expect(
                        book.calls(profile: p.id) == book.byCallID.values.filter { $0.profileID == p.id }.count,
                        "step \(step), profile \(p.id)")
                }
            }
        }
        // Emptied, the book holds nothing: no zero sums left behind.
        for id in book.byCallID.keys { book.remove(id) }
        #expect(book.isEmpty)
        #expect(book.totals(profile: 1, member: 10, account: 100, day: periods[0].day, month: periods[0].month) == .init())
        #expect(book.calls(profile: 1) == 0)
    }
}
