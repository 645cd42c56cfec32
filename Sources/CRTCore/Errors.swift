/// A problem with user input (a phantom file, an option, an input image). The command line prints
/// `message` on one line and exits with code 2; nothing is written. Control characters in the message (a newline
/// from a multi-line YAML value, an ANSI escape in a name) are escaped by `oneLine`, so the message is one line.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = oneLine(message) }
    public var description: String { message }
}

/// `text` on one line: every control character (C0 including newline, tab and ESC, DEL, C1) becomes a visible
/// escape (`\n`, `\r`, `\t`, `\u{1B}`), so echoed input cannot break a message over lines or drive a terminal.
/// Idempotent: the result holds no control characters. Other characters, backslashes included, stay as they are.
public func oneLine(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = String.UnicodeScalarView()
    for u in text.unicodeScalars {
        guard isControl(u) else { out.append(u); continue }
        let escape: String
        switch u {
        case "\n": escape = "\\n"
        case "\r": escape = "\\r"
        case "\t": escape = "\\t"
        default: escape = "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
        }
        out.append(contentsOf: escape.unicodeScalars)
    }
    return String(out)
}

private func isControl(_ u: Unicode.Scalar) -> Bool {
    u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029
}

/// A Codable key path as a reader names it: `cine.ImagePositionPatient[2]`, or "top level" for the root.
public func keyPath(_ path: [CodingKey]) -> String {
    var s = ""
    for key in path {
        if let i = key.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + key.stringValue }
    }
    return s.isEmpty ? "top level" : s
}
