/// A text with placeholders filled from each row: `{site}/{device}/temp`, `{file.serial}` (a
/// named capture of the mapping's file-name pattern), `{file.name}`, and in long layouts `{id}`.
/// `{{` and `}}` stand for literal braces.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// A row field, by name (CSV column) or path (JSONL).
        case field(String)
        /// A capture of the file-name pattern, or `name` for the file's base name.
        case file(String)
        /// The id field's value in a long layout.
        case id
    }

    public let parts: [Part]
    public let text: String
    /// Where the template stands in the mapping file, and under which key, for errors found later.
    public let line: Int
    public let key: String

    public var description: String { text }

    /// The template's value when it has no placeholders.
    public var constant: String? {
        if parts.isEmpty { return "" }
        if parts.count == 1, case .literal(let text) = parts[0] { return text }
        return nil
    }

    public var fields: [String] { parts.compactMap { if case .field(let name) = $0 { name } else { nil } } }

    init(_ text: String, at value: YAMLValue) throws {
        self.text = text
        self.line = value.line
        self.key = value.path
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{" && next < text.endIndex && text[next] == "{" {
                literal.append("{"); index = text.index(after: next); continue
            }
            if character == "}" && next < text.endIndex && text[next] == "}" {
                literal.append("}"); index = text.index(after: next); continue
            }
            if character == "}" { throw value.error("has a \"}\" without \"{\" (write }} for a literal brace)") }
            if character == "{" {
                guard let close = text[next...].firstIndex(of: "}") else { throw value.error("has a \"{\" without \"}\" (write {{ for a literal brace)") }
                let name = text[next..<close].trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { throw value.error("has an empty placeholder {}") }
                if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                if name == "id" { parts.append(.id) }
                else if name.hasPrefix("file.") { parts.append(.file(String(name.dropFirst(5)))) }
                else { parts.append(.field(name)) }
                index = text.index(after: close)
                continue
            }
            literal.append(character)
            index = next
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }
}
