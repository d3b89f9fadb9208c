/// A field path into a JSON object as users write it, and its RFC 6901 JSON pointer.
///
/// Grammar:
/// - keys separated by dots: `payload.hr` → `/payload/hr`;
/// - array indexes in brackets: `readings[0].v` → `/readings/0/v`, `a.b[2][1]` → `/a/b/2/1`;
/// - keys holding `.`, `[`, `]` (or anything else) in double quotes inside brackets:
///   `["x.y"]`, `meta["a.b"].c`, with `\"` and `\\` as the only escapes;
/// - a bare key is any run of characters other than `.`, `[`, `]` (spaces included, kept as
///   written), and must not be empty.
///
/// An index on an object looks up the key of that name (`a[0]` finds `{"a": {"0": …}}`), as JSON
/// pointers do. `~` and `/` in keys are escaped in the pointer (`~0`, `~1`).
public enum JSONLPath {
    /// The JSON pointer for `path`; throws `SigportError(.invalidArgument)` naming the path.
    public static func jsonPointer(for path: String) throws -> String {
        jsonPointer(for: try parse(path)[...])
    }

    private static func jsonPointer(for tokens: ArraySlice<Token>) -> String {
        var pointer = ""
        for token in tokens {
            pointer += "/"
            switch token {
            case .key(let key):
                pointer += key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            case .index(let index):
                pointer += String(index)
            }
        }
        return pointer
    }

    /// The arrays `paths` read by position, each with how many positions it reads (its highest
    /// index + 1): an element past them is read by none, which a reader counts.
    public static func positionalArrays(_ paths: [String]) throws -> [(pointer: String, reads: Int)] {
        var reads: [String: Int] = [:]
        var order: [String] = []
        for path in paths {
            let tokens = try parse(path)
            for (k, token) in tokens.enumerated() {
                guard case .index(let index) = token else { continue }
                let prefix = jsonPointer(for: tokens[..<k])
                if reads[prefix] == nil { order.append(prefix) }
                reads[prefix] = max(reads[prefix] ?? 0, index + 1)
            }
        }
        return order.map { ($0, reads[$0]!) }
    }

    enum Token: Equatable {
        case key(String)
        case index(Int)
    }

    static func parse(_ path: String) throws -> [Token] {
        let chars = Array(path.unicodeScalars)
        func fail(_ reason: String) -> SigportError {
            SigportError(.invalidArgument, "Invalid JSON path \"\(path)\": \(reason).",
                         hint: #"Write paths as payload.hr, readings[0].v or ["key.with.dots"]."#)
        }
        guard !chars.isEmpty else { throw fail("it is empty") }

        var tokens: [Token] = []
        var i = 0

        func bareKey() throws -> String {
            var key = String.UnicodeScalarView()
            while i < chars.count, chars[i] != ".", chars[i] != "[", chars[i] != "]" {
                key.append(chars[i])
                i += 1
            }
            guard !key.isEmpty else {
                if i < chars.count, chars[i] == "]" { throw fail("unexpected ']' at position \(i + 1)") }
                throw fail("empty key at position \(i + 1)")
            }
            return String(key)
        }

        func bracket() throws -> Token {
            // chars[i] == "["
            let open = i
            i += 1
            guard i < chars.count else { throw fail("unclosed '[' at position \(open + 1)") }
            let token: Token
            if chars[i] == "\"" {
                i += 1
                var key = String.UnicodeScalarView()
                var closed = false
                while i < chars.count {
                    let c = chars[i]
                    if c == "\\" {
                        guard i + 1 < chars.count, chars[i + 1] == "\"" || chars[i + 1] == "\\" else {
                            throw fail(#"only \" and \\ may be escaped in a quoted key (position \#(i + 1))"#)
                        }
                        key.append(chars[i + 1])
                        i += 2
                    } else if c == "\"" {
                        i += 1
                        closed = true
                        break
                    } else {
                        key.append(c)
                        i += 1
                    }
                }
                guard closed else { throw fail("unclosed quote in the key at position \(open + 2)") }
                token = .key(String(key))
            } else {
                var digits = ""
                while i < chars.count, chars[i] != "]" {
                    digits.unicodeScalars.append(chars[i])
                    i += 1
                }
                guard !digits.isEmpty else { throw fail("empty index at position \(open + 1)") }
                guard digits.unicodeScalars.allSatisfy({ $0.value >= 48 && $0.value <= 57 }), let index = Int(digits) else {
                    throw fail("the index [\(digits)] is not a non-negative integer (quote keys: [\"\(digits)\"])")
                }
                token = .index(index)
            }
            guard i < chars.count, chars[i] == "]" else { throw fail("unclosed '[' at position \(open + 1)") }
            i += 1
            return token
        }

        // The first segment: a bare key or a bracket.
        if chars[0] == "[" {
            tokens.append(try bracket())
        } else {
            tokens.append(.key(try bareKey()))
        }
        while i < chars.count {
            switch chars[i] {
            case ".":
                i += 1
                guard i < chars.count else { throw fail("it ends with '.'") }
                if chars[i] == "[" { throw fail("'.' before '[' at position \(i)") }
                tokens.append(.key(try bareKey()))
            case "[":
                tokens.append(try bracket())
            default:
                throw fail("unexpected '\(chars[i])' at position \(i + 1)")
            }
        }
        return tokens
    }
}
