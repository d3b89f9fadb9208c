import Foundation

/// The machine a run was on, for bench/results.md: figures mean little without it.
enum MachineDescription {
    static func current() -> String {
        var parts = ["\(ProcessInfo.processInfo.activeProcessorCount) cores"]
        if let cpu = field("model name", in: "/proc/cpuinfo", separator: ":") { parts.append(cpu) }
        parts.append(String(format: "%.0f GB RAM", Double(ProcessInfo.processInfo.physicalMemory) / 1e9))
        if let os = field("PRETTY_NAME", in: "/etc/os-release", separator: "=") { parts.append(os.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        parts.append("Linux \(release) \(machine)")
        return parts.joined(separator: ", ")
    }

    /// The value of the first `key<separator>value` line of a file.
    private static func field(_ key: String, in path: String, separator: Character) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let pair = line.split(separator: separator, maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == key {
                return pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
