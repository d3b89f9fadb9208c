import SigportContract

/// How a field becomes an ox reading or an enum key: the value rules that are not the hot path.
extension RowMapper {
    /// An ox reading (an int64 in the API). Whole-number text is taken as it is, because beyond
    /// 2^53 a Double would round it; anything else goes through the Double and the rounding mode.
    static func oxReading(_ value: FieldValue, _ mode: EventSpec.Reading, context: RowContext) -> Result<Int64, RejectRule> {
        let limit: Double = 9.2e18
        switch (mode, value) {
        case (.reject, .text(let text)), (.round, .text(let text)):
            if let exact = Int64(text) { return Double(exact.magnitude) <= limit ? .success(exact) : .failure(.oxReadingRange) }
            // A whole number of digits that Int64 cannot hold is out of range, whatever a Double would make of it.
            if text.utf8.dropFirst(text.first == "-" ? 1 : 0).allSatisfy({ $0 >= 48 && $0 <= 57 }), text.utf8.contains(where: { $0 >= 48 }) {
                return .failure(.oxReadingRange)
            }
        default: break
        }
        let number: Double
        switch context.number(value) {
        case .success(let n): number = n
        case .failure(let rule): return .failure(rule)
        }
        guard number.isFinite else { return .failure(.finite) }
        let reading: Double
        switch mode {
        case .reject:
            guard number.rounded() == number else { return .failure(.oxReadingInteger) }
            reading = number
        case .round: reading = number.rounded()
        case .scale(let factor): reading = (number * factor).rounded()
        }
        guard reading >= -limit, reading <= limit else { return .failure(.oxReadingRange) }
        return .success(Int64(reading))
    }

    func enumKey(_ value: FieldValue, states: [String: Int], context: RowContext) -> Result<Int, RejectRule> {
        if case .text(let text) = value, let key = states[text] { return .success(key) }
        switch context.number(value) {
        case .success(let n):
            guard n.rounded() == n, IntegrationContract.enumKeys.contains(Int(exactly: n) ?? -1) else { return .failure(.enumKey) }
            return .success(Int(n))
        case .failure:
            return .failure(states.isEmpty ? .enumKey : .enumState)
        }
    }
}
