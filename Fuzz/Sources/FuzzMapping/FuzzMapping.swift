import FuzzSupport
import Sigport

/// libFuzzer entry point for the mapping loader (Yams, then sigport's checks). The input is the
/// YAML file. It must load, or fail with a `MappingError` that names the file, a line within the
/// text and a key; any other error, or a crash, is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: inputBytes(data, size), as: UTF8.self)
    // Lines as YAML counts them: breaks are LF, CR, CRLF, NEL, LS and PS.
    var lines = 1
    var afterCR = false
    for scalar in text.unicodeScalars {
        if scalar == "\n" ? !afterCR : ["\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) { lines += 1 }
        afterCR = scalar == "\r"
    }
    do {
        _ = try Mapping.parse(text, file: "fuzz.yaml")
    } catch let error as MappingError {
        guard error.file == "fuzz.yaml" else { fail("a MappingError naming \(error.file): \(error)") }
        guard (1...lines).contains(error.line) else { fail("a MappingError at line \(error.line) of \(lines) lines: \(error)") }
        guard !error.key.isEmpty, !error.message.isEmpty else { fail("a MappingError without a key or a message: \(error)") }
    } catch {
        fail("an untyped error: \(type(of: error)): \(error)")
    }
    return 0
}

@main
enum Main {
    static func main() { runLibFuzzer(fuzz) }
}
