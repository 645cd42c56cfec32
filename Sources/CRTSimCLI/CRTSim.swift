import ArgumentParser
import CRTCore
import Foundation

/// The `crtsim` command: synthetic CRT patients, the guidance pipeline, and scenario runs.
public struct CRTSim: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "crtsim",
        abstract: "Simulation and phantom validation for image-guided LV lead placement in CRT.",
        version: "0.1.0",
        subcommands: [PhantomCommand.self, AnalyzeCommand.self, RunCommand.self, GenerateCommand.self, ScoreCommand.self, MergeCommand.self, CompareCommand.self, ValidateCommand.self, PresetsCommand.self, TeachCommand.self])
    public init() {}

    /// Runs the command line; returns the process exit code. Bad input: one line on stderr, exit code 2.
    public static func run(arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let e as InputError {
            printError(e.message)
            return 2
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            if error is ExitCode { return code.rawValue }
            let text = message(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid arguments"
            guard code == .validationFailure else {
                // Not bad input (e.g. a write failed while generating): one line, the error's own exit code.
                printError(text)
                return code.rawValue
            }
            // Argument errors: one line, exit code 2 (house rule for bad input).
            printError("\(text) (see 'crtsim --help')")
            return 2
        }
    }

    /// One line on stderr, "crtsim: warning: ...", control characters escaped.
    static func printWarning(_ s: String) {
        FileHandle.standardError.write(Data(("crtsim: warning: " + oneLine(s) + "\n").utf8))
    }

    static func printError(_ s: String) {
        FileHandle.standardError.write(Data(("crtsim: error: " + oneLine(s) + "\n").utf8))
    }
}
