import ArgumentParser
import CRTCore
import Foundation
import ImageIO
import Validation

/// `crtsim run`: a scenario through generator, pipeline and scoring.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario: generate its cases, analyse them, score against the truth, check the expectations.",
        discussion: """
        Writes DIR/results.json (metrics with units, verdicts, manifest), DIR/cases.csv, DIR/junit.xml and \
        DIR/cases/case-<i>/ (case and analysis). Exit code 0: all expectations met; 1: some failed; 2: bad input. \
        Scenario format: Scenarios/README.md.
        """)

    @Argument(help: "Scenario YAML file (Scenarios/*.yaml).")
    var scenario: String

    @Option(name: .long, help: "Output folder (default Results/<scenario id>; a folder crtsim did not make is refused).")
    var out: String?

    @Flag(name: .long, help: "Replace an earlier run of a scenario in the output folder.")
    var force = false

    func run() throws {
        let presets = try PresetLibrary.names()
        let s = try Scenario.load(scenario, presets: presets)
        let folder = try StagedFolder(out: out ?? "Results/\(s.id)", replace: force, marker: "results.json", kind: "a scenario run")
        let runner = ScenarioRunner(scenario: s, presetFolder: try PresetLibrary.directory())
        let interactive = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["CI"] == nil
        let results = try runner.run(into: folder) { line in
            if interactive { FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + line).utf8)) } else { print(line) }
        }
        if interactive { print("") }
        try FileOutput.writeJSON(results, to: folder.path("results.json"))
        try FileOutput.writeData(Data(ScenarioRunner.csv(results).utf8), to: folder.path("cases.csv"))
        try FileOutput.writeData(Data(ScenarioRunner.junit(results).utf8), to: folder.path("junit.xml"))
        try folder.commit()
        print("crtsim run: \(s.id), \(s.cases) cases")
        for m in results.metrics {
            print("  " + m.id.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%9.4f ", m.value) + "\(m.unit) (\(m.better) is better)")
        }
        for v in results.verdicts { print("  \(v.passed ? "PASS" : "FAIL") \(v.metric) = \(String(format: "%.4f", v.value)), expected \(v.expectation)") }
        print("  results: \(folder.destination.path)/results.json")
        if !results.passed { throw ExitCode(1) }
    }
}

/// `crtsim validate`: checks a scenario file.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a scenario file: names every unknown or wrong field (exit code 2).")

    @Argument(help: "Scenario YAML file.")
    var file: String

    func run() throws {
        let s = try Scenario.load(file, presets: try PresetLibrary.names())
        print("\(file): valid scenario '\(s.id)' (\(s.cases) cases over \(s.phantoms.joined(separator: ", ")), \(s.expectations.count) expectations)")
    }
}
