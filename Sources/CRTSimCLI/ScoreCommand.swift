import ArgumentParser
import CRTCore
import Foundation
import ImageIO
import Validation

/// `crtsim score`: one analysis folder against one case's truth, through the scorer the scenario runner uses.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score an analysis folder against a case's truth: every per-case score the scenario runner computes.",
        discussion: """
        Reads CASE_DIR/truth/ (truth.json, lge-scar.nii.gz, cine-labels.nii.gz) and ANALYSIS_DIR (analysis.json, \\
        labels/lge-scar.nii.gz) and nothing else. A score whose inputs are missing is absent and 'missing' says why \\
        (for example "missing key heartPose in analysis.json"). Exit code 0: scored; 2: a file is missing or \\
        malformed (one line naming the file, the key and the rule). Keys: docs/analysis-schema.md.
        """)

    @Argument(help: "Case folder (holding truth/).")
    var caseDir: String

    @Argument(help: "Analysis folder (holding analysis.json, labels/lge-scar.nii.gz).")
    var analysisDir: String

    @Option(name: .long, help: "Write the scores to this JSON file (default: standard output).")
    var out: String?

    func run() throws {
        let scores = try CaseScoring.score(caseDirectory: caseDir, analysisDirectory: analysisDir)
        if let out {
            try FileOutput.writeJSON(scores, to: out)
        } else {
            let data = try FileOutput.jsonEncoder().encode(scores)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }
}

/// `crtsim generate`: a scenario's cases only, for users who analyse them with their own batch.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a scenario's cases (cmr/, xray/, operator/, truth/) without analysing them.",
        discussion: """
        Writes DIR/case-<i>/ for every case of the scenario (the same cases 'crtsim run' makes: same seeds, draws and \\
        C-arm miscalibration) and DIR/cases.json (index, phantom, seed). Hand each case's cmr/, xray/ and operator/ \\
        to your pipeline, write its analyses as ANALYSES/case-<i>/ and score them with \\
        'crtsim run SCENARIO --analyses ANALYSES'.
        """)

    @Argument(help: "Scenario YAML file.")
    var scenario: String

    @Option(name: .long, help: "Output folder (default Results/<scenario id>-cases).")
    var out: String?

    @Flag(name: .long, help: "Replace an earlier generated folder.")
    var force = false

    /// One generated case in cases.json.
    struct Entry: Codable {
        var index: Int, phantom: String, seed: UInt64, folder: String
    }

    func run() throws {
        let s = try Scenario.load(scenario, presets: try PresetLibrary.names(), presetFolder: try PresetLibrary.directory())
        let folder = try StagedFolder(out: out ?? "Results/\(s.id)-cases", replace: force, marker: "cases.json", kind: "a generated scenario")
        for stale in folder.removedStale { CRTSim.printWarning("removed the staging folder of an interrupted run: \(stale)") }
        let need = try (0..<s.cases).reduce(0.0) { $0 + (try s.estimatedCaseFileBytes($1, presetFolder: try PresetLibrary.directory())) }
        try folder.requireFreeSpace(need, for: "\(s.cases) cases")
        let evaluation = CaseEvaluation(scenario: s, presetFolder: try PresetLibrary.directory())
        var entries: [Entry] = []
        for i in 0..<s.cases {
            let (spec, _, _) = try evaluation.generate(index: i, into: try folder.directory("case-\(i)"))
            entries.append(Entry(index: i, phantom: spec.name, seed: s.caseSeed(i), folder: "case-\(i)"))
            print("[\(i + 1)/\(s.cases)] case \(i): \(spec.name), seed \(s.caseSeed(i))")
            fflush(nil)
        }
        try FileOutput.writeJSON(entries, to: folder.path("cases.json"))
        try folder.commit()
        print("crtsim generate: \(s.id), \(s.cases) cases -> \(folder.destination.path)")
    }
}
