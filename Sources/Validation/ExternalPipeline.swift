import CRTCore
import Foundation
import ImageIO
#if canImport(Glibc)
import Glibc
#endif

/// A guidance pipeline outside crtsim (any language), run by a scenario on each case as a command:
/// `pipeline: {command: ["python3", "mypipeline.py", "{case}", "{out}"], timeoutSeconds: 120}`.
///
/// `{case}` is a folder staged for the command that holds only what a clinic hands over: copies of the case's
/// `cmr/`, `xray/` and `operator/`, in a fresh temporary folder of its own (never inside the run folder, so no
/// path given to the command leads to `truth/`). `{out}` is the analysis folder the command must create, with
/// `analysis.json` (docs/analysis-schema.md) and `labels/lge-scar.nii.gz`. The command runs in the scenario
/// file's folder; its stdout and stderr go to the case's `pipeline.log`. A non-zero exit, a time-out or an
/// analysis that does not read is a failed case (`Failure`), never a crash of the run.
public struct ExternalPipeline: Sendable, Equatable {
    /// The command and its arguments; `{case}` and `{out}` are replaced in each argument.
    public var command: [String]
    /// Wall-clock limit (s); the command is sent SIGTERM, then SIGKILL after `killGraceSeconds`.
    public var timeoutSeconds: Double
    /// Folder the command runs in (the scenario file's folder).
    public var workingDirectory: String

    public static let killGraceSeconds = 2.0
    /// Lines of the log kept in a failure (results.json, report).
    public static let logTailLines = 12

    public init(command: [String], timeoutSeconds: Double, workingDirectory: String) {
        self.command = command; self.timeoutSeconds = timeoutSeconds; self.workingDirectory = workingDirectory
    }

    /// Why a case's external analysis failed, with the end of its log.
    public struct Failure: Error, Sendable {
        public var reason: String
        public var logTail: [String]
    }

    /// The folders a clinic hands over; nothing else of a case is staged.
    public static let handedOver = ["cmr", "xray", "operator"]

    /// Stages the hand-over of `caseDirectory`, runs the command into `out`, and returns when `out/analysis.json`
    /// exists. The staged folder is removed afterwards.
    /// - Parameters:
    ///   - caseDirectory: the generated case (its `truth/` is not staged).
    ///   - out: the analysis folder to create (must not exist).
    ///   - log: file receiving the command's stdout and stderr.
    /// - Throws: `Failure` (exit status, time-out, no analysis.json), or `OutputError` when staging fails.
    public func run(caseDirectory: String, out: String, log: String) throws {
        let fm = FileManager.default
        let stage = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("crtsim-clinic-\(UUID().uuidString)")
        let handed = stage.appendingPathComponent("case")
        defer { try? fm.removeItem(at: stage) }
        do {
            try fm.createDirectory(at: handed, withIntermediateDirectories: true)
            for name in Self.handedOver where fm.fileExists(atPath: caseDirectory + "/" + name) {
                try fm.copyItem(atPath: caseDirectory + "/" + name, toPath: handed.appendingPathComponent(name).path)
            }
        } catch {
            throw OutputError("\(stage.path): cannot stage the case for the external pipeline: \(error.localizedDescription)")
        }
        let arguments = command.map { $0.replacingOccurrences(of: "{case}", with: handed.path).replacingOccurrences(of: "{out}", with: out) }
        _ = fm.createFile(atPath: log, contents: nil)
        guard let logHandle = FileHandle(forWritingAtPath: log) else { throw OutputError("\(log): cannot write the pipeline log") }
        defer { try? logHandle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")  // finds python3, Rscript, ... on PATH
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw Failure(reason: "cannot start \(arguments.first ?? "the command"): \(error.localizedDescription)", logTail: [])
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                kill(process.processIdentifier, SIGTERM)
                let grace = Date().addingTimeInterval(Self.killGraceSeconds)
                while process.isRunning && Date() < grace { usleep(20_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        let tail = Self.tail(of: log)
        if timedOut { throw Failure(reason: "no analysis within \(String(format: "%g", timeoutSeconds)) s (timeoutSeconds): stopped", logTail: tail) }
        if process.terminationReason == .uncaughtSignal {
            throw Failure(reason: "the command was killed by signal \(process.terminationStatus)", logTail: tail)
        }
        if process.terminationStatus != 0 { throw Failure(reason: "the command exited with status \(process.terminationStatus)", logTail: tail) }
        guard fm.fileExists(atPath: out + "/analysis.json") else {
            throw Failure(reason: "the command exited 0 but wrote no \(out)/analysis.json", logTail: tail)
        }
    }

    /// The last `logTailLines` lines of the log, control characters escaped.
    static func tail(of log: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: log) else { return [] }
        let lines = String(decoding: data.suffix(16_384), as: UTF8.self).split(whereSeparator: \.isNewline).map { oneLine(String($0)) }
        return Array(lines.suffix(logTailLines))
    }
}
