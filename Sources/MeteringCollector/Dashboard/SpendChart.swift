internal import Foundation
internal import MeteringCore
internal import MeteringReports
internal import MeteringStore

/// Daily spend per SIP Profile as an inline SVG, drawn on the server: one
/// stacked bar per day of the month, one colour (series) per profile, a y
/// axis in the group's currency, a label under every day and a legend.
///
/// Amounts stay `Money` (integer units) for the sums and the labels; they
/// become `Double` only to place pixels. Every bar carries its exact amount
/// in `data-amount` and in its tooltip.
struct SpendChart {
    var month: Int
    var currency: String
    var points: [(profile: String, day: Int, amount: Money)]

    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    /// The profiles in the order drawn (bottom of the stack first) and the legend's.
    var series: [String] {
        var seen: [String] = []
        for p in points where !seen.contains(p.profile) { seen.append(p.profile) }
        return seen.sorted()
    }

    func svg() -> String {
        let days = Int(Timestamp.monthEnd(month).adding(seconds: -1).dayKey % 100)
        let series = self.series
        let legendWidth = Double(min(max(series.map(\.count).max() ?? 0, 8), 28)) * 7.5 + 40
        let (width, left, top, bottom) = (1000.0, 78.0, 18.0, 52.0)
        let height = max(340, top + bottom + 20 * Double(series.count))
        let plotWidth = width - left - legendWidth - 16
        let plotHeight = height - top - bottom
        let band = plotWidth / Double(days)

        var totals = [Int64](repeating: 0, count: days + 1)
        for p in points where (1...days).contains(p.day) { totals[p.day] += max(p.amount.units, 0) }
        let (step, ticks) = Self.scale(maximum: totals.max() ?? 0)
        let topUnits = Double(step * Int64(ticks))
        func y(_ units: Int64) -> Double { top + plotHeight - Double(units) / topUnits * plotHeight }

        let monthText = ReportTables.monthText(month)
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" \
            aria-labelledby="spend-title" class="spend-chart" font-family="DejaVu Sans, sans-serif" font-size="12">
            <title id="spend-title">Daily spend per SIP Profile, \(monthText) (\(html(currency)))</title>

            """
        // Grid lines and y labels.
        for i in 0...ticks {
            let units = step * Int64(i)
            let yy = Self.f(y(units))
            out += "<line x1=\"\(Self.f(left))\" x2=\"\(Self.f(left + plotWidth))\" y1=\"\(yy)\" y2=\"\(yy)\" "
            out += "stroke=\"\(i == 0 ? "#333" : "#e1e5ea")\"/>"
            out += "<text x=\"\(Self.f(left - 6))\" y=\"\(yy)\" dy=\"4\" text-anchor=\"end\">\(Self.axisLabel(units))</text>\n"
        }
        out +=
            "<line x1=\"\(Self.f(left))\" x2=\"\(Self.f(left))\" y1=\"\(Self.f(top))\" y2=\"\(Self.f(top + plotHeight))\" stroke=\"#333\"/>\n"
        // Day labels.
        for day in 1...days {
            let x = left + (Double(day) - 0.5) * band
            out +=
                "<text x=\"\(Self.f(x))\" y=\"\(Self.f(top + plotHeight + 16))\" text-anchor=\"middle\" font-size=\"11\">\(day)</text>"
        }
        out += "\n<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(height - 8))\" text-anchor=\"middle\">"
        out += "Day of \(monthText) (UTC)</text>\n"
        out += "<text transform=\"translate(16 \(Self.f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">"
        out += "\(html(currency)) per day</text>\n"
        // The stacked bars, one group per profile.
        var stacked = [Int64](repeating: 0, count: days + 1)
        let barWidth = band * 0.7
        for (index, profile) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            out += "<g class=\"series\" data-profile=\"\(html(profile))\" fill=\"\(colour)\">\n"
            for p in points where p.profile == profile && (1...days).contains(p.day) {
                let base = stacked[p.day]
                let amount = max(p.amount.units, 0)
                stacked[p.day] += amount
                let (y0, y1) = (y(base), y(base + amount))
                let x = left + (Double(p.day) - 1) * band + (band - barWidth) / 2
                out += "<rect data-day=\"\(p.day)\" data-amount=\"\(p.amount.description)\" x=\"\(Self.f(x))\" "
                out += "y=\"\(Self.f(y1))\" width=\"\(Self.f(barWidth))\" height=\"\(Self.f(max(y0 - y1, amount > 0 ? 1 : 0)))\">"
                out += "<title>\(html(profile)), \(monthText)-\(p.day < 10 ? "0" : "")\(p.day): "
                out += "\(p.amount.description) \(html(currency))</title></rect>\n"
            }
            out += "</g>\n"
            // Legend entry.
            let ly = top + 20 * Double(index)
            let lx = width - legendWidth
            out += "<rect x=\"\(Self.f(lx))\" y=\"\(Self.f(ly))\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>"
            out += "<text x=\"\(Self.f(lx + 18))\" y=\"\(Self.f(ly + 11))\" class=\"legend\">\(html(profile))</text>\n"
        }
        if series.isEmpty {
            out += "<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(top + plotHeight / 2))\" text-anchor=\"middle\" "
            out += "fill=\"#6b7585\">No calls in \(monthText)</text>\n"
        }
        return out + "</svg>\n"
    }

    /// A round step (1, 2 or 5 × 10ⁿ units) and how many steps cover `maximum`
    /// in at most five; an empty month gets 0.01 steps.
    static func scale(maximum: Int64) -> (step: Int64, ticks: Int) {
        guard maximum > 0 else { return (100, 5) }
        var magnitude: Int64 = 1
        while magnitude <= maximum / 50 { magnitude *= 10 }
        for factor: Int64 in [1, 2, 5, 10, 20, 50] {
            let step = magnitude * factor
            let ticks = (maximum + step - 1) / step
            if ticks <= 5 { return (step, Int(max(ticks, 1))) }
        }
        return (magnitude * 100, Int((maximum + magnitude * 100 - 1) / (magnitude * 100)))
    }

    /// An axis amount with its trailing zeros cut, keeping two decimals: "0.05", "1.25", "0.0025".
    static func axisLabel(_ units: Int64) -> String {
        var text = Money(units: units).description
        while text.hasSuffix("0"), let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 3 {
            text.removeLast()
        }
        return text
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
