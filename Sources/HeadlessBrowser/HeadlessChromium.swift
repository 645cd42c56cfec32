import Foundation

/// Runs headless Chromium on a local page and returns the DOM after the load (`--dump-dom`), for the tests that
/// check crtsim's HTML pages in a real browser. The scenario report sets `<html data-error="...">` on any script
/// error or blocked resource and `<body data-ok="1">` after a clean load.
public enum HeadlessChromium {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// The Chromium executable: /usr/bin/chromium, or chromium / chromium-browser / google-chrome on PATH; nil when none.
    public static func executable() -> String? {
        var candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] { candidates.append("\(dir)/\(name)") }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `chromium --headless=new --dump-dom file://<path>` with a scratch profile; throws on a non-zero exit or timeout.
    public static func dumpDOM(_ path: String, timeoutSeconds: Double = 90) throws -> String {
        guard let exe = executable() else {
            throw Failure(description: "chromium not found (/usr/bin/chromium or on PATH): install it (scripts/bootstrap.sh apt packages)")
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-chromium-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                       "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--dump-dom",
                       URL(fileURLWithPath: path).absoluteString]
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = profile.path
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes while the process runs so that neither fills up.
        nonisolated(unsafe) var stdout = Data(), stderr = Data()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { stdout = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { stderr = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            p.terminate()
            throw Failure(description: "chromium did not finish within \(timeoutSeconds) s")
        }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "chromium exit \(p.terminationStatus): \(String(decoding: stderr, as: UTF8.self).suffix(2000))")
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// The value of `name="..."` on the first `<tag` of the dumped DOM, or nil.
    public static func attribute(_ name: String, of tag: String, in dom: String) -> String? {
        guard let start = dom.range(of: "<\(tag)"), let end = dom[start.upperBound...].firstIndex(of: ">") else { return nil }
        let element = dom[start.upperBound..<end]
        guard let a = element.range(of: " \(name)=\"") else { return nil }
        return String(element[a.upperBound...].prefix { $0 != "\"" })
    }
}
