import Foundation
import Testing

extension Tag {
    /// Runs in well under a second.
    @Tag static var fast: Self
    /// Drives the real `crtsim` executable as a subprocess.
    @Tag static var cli: Self
}

/// What one run of the `crtsim` executable produced.
struct CLIResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The non-empty lines of stderr.
    var stderrLines: [String] { stderr.split(whereSeparator: \.isNewline).map(String.init) }

    var description: String { "exit \(status)\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)" }
}

struct CLIHarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs the built `crtsim` executable with its own environment, in a scratch folder per test.
enum CLI {
    /// Package root, from this file's path: Tests/CRTSimCLITests/TestSupport.swift -> ../../
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let phantomsDirectory = packageRoot.appendingPathComponent("Phantoms").path

    /// The executable next to the test bundle (the built products folder holds both `crtsim` and the
    /// `.xctest` bundle). Searched upward from the bundle and from the test runner's own path.
    static func executable(_ name: String = "crtsim") throws -> URL {
        let fm = FileManager.default
        var starts: [URL] = [Bundle.main.bundleURL, Bundle.main.executableURL ?? Bundle.main.bundleURL]
        if let arg0 = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: arg0)) }
        starts += Bundle.allBundles.map(\.bundleURL)
        var tried: [String] = []
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<6 {
                let candidate = dir.appendingPathComponent(name)
                tried.append(candidate.path)
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
                   fm.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw CLIHarnessError("""
            \(name) executable not found next to the test bundle; build it first \
            (swift build -c release --build-tests). Looked at: \(Array(Set(tried)).sorted().joined(separator: ", "))
            """)
    }

    /// Runs `crtsim arguments...` in `directory`, with CRTSIM_PHANTOMS pointing at the package's Phantoms/ (unless
    /// `environment` overrides it).
    static func run(_ arguments: [String], in directory: URL, environment extra: [String: String] = [:],
                    timeout: TimeInterval = 60, tool: String = "crtsim") throws -> CLIResult {
        let process = Process()
        process.executableURL = try executable(tool)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["CRTSIM_PHANTOMS"] = phantomsDirectory
        env.merge(extra) { _, new in new }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        let outData = DataBox(), errData = DataBox()
        let outHandle = outPipe.fileHandleForReading, errHandle = errPipe.fileHandleForReading
        group.enter()
        DispatchQueue.global().async { outData.data = outHandle.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData.data = errHandle.readDataToEndOfFile(); group.leave() }
        // Sanitizer builds run several times slower: CRTSIM_TEST_TIMEOUT_SCALE stretches every limit.
        let scale = ProcessInfo.processInfo.environment["CRTSIM_TEST_TIMEOUT_SCALE"].flatMap(Double.init) ?? 1
        if group.wait(timeout: .now() + timeout * max(1, scale)) == .timedOut {
            process.terminate()
            throw CLIHarnessError("crtsim \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        guard process.terminationReason == .exit else {
            throw CLIHarnessError("crtsim \(arguments.joined(separator: " ")) was killed by signal \(process.terminationStatus); "
                + "stderr: \(String(decoding: errData.data, as: UTF8.self))")
        }
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData.data, as: UTF8.self),
                         stderr: String(decoding: errData.data, as: UTF8.self))
    }
}

/// Pipe contents filled in by one reader thread and read after the group has finished.
private final class DataBox: @unchecked Sendable {
    // @unchecked Sendable: one reader thread writes `data`, and it is read only after the group has waited for it.
    var data = Data()
}

/// A fresh scratch folder, removed when the test ends.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("crtsim-cli-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the scratch folder and returns its name (relative to the folder, which is the
    /// child's working directory, so messages name it as given).
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return name
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// Everything in the folder (recursive, relative paths), sorted.
    func listing(_ name: String = "") -> [String] {
        let base = name.isEmpty ? url : url.appendingPathComponent(name)
        guard let e = FileManager.default.enumerator(atPath: base.path) else { return [] }
        return (e.allObjects as? [String] ?? []).sorted()
    }
}
