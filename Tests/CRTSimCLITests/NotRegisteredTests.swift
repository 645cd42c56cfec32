import Foundation
import Testing

/// A case whose venograms show too few landmarks to register (the teaching case with one view's clicks removed):
/// the CMR result must not be lost, and the scorer must count the registration as failed.
@Suite("A case that cannot be registered", .tags(.cli))
struct NotRegisteredTests {
    @Test("analyze keeps the CMR result without a pose and says why; score counts it as not registered")
    func cmrResultKept() throws {
        _ = try TeachFixture.page()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-not-registered-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TeachFixture.path("case"), toPath: work.appendingPathComponent("case").path)
        // One view keeps its clicks, the other has none: no landmark is seen in two views.
        let clicksFolder = work.appendingPathComponent("case/operator")
        let clickFiles = try FileManager.default.contentsOfDirectory(atPath: clicksFolder.path).filter { $0.hasPrefix("clicks-") }.sorted()
        try #require(clickFiles.count == 2, "\(clickFiles)")
        let emptied = clicksFolder.appendingPathComponent(clickFiles[0])
        var clicks = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: emptied)) as? [String: Any])
        clicks["landmarks"] = [String: Any]()
        try JSONSerialization.data(withJSONObject: clicks).write(to: emptied)

        let analyzed = try CLI.run(["analyze", "case", "--out", "analysis"], in: work, timeout: 300)
        #expect(analyzed.status == 0, "\(analyzed)")
        #expect(analyzed.stdout.contains("registration: not done"), "\(analyzed)")
        #expect(analyzed.stderrLines.count == 1 && analyzed.stderrLines[0].hasPrefix("crtsim: warning: analyze:")
                && analyzed.stderr.contains("not registered"), "\(analyzed)")
        func json(_ path: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        }
        let analysis = try json(work.appendingPathComponent("analysis/analysis.json").path)
        for key in ["heartPose", "views", "lead", "fluoroscopy"] { #expect(analysis[key] == nil, "\(key) written without a registration") }
        let notes = analysis["notes"] as? [String] ?? []
        let note = try #require(notes.first { $0.hasPrefix("fluoroscopy: not registered: ") }, "\(notes)")
        #expect(note.contains("clicked in two views"))
        // The CMR result is the one the registered analysis of the same images has, value for value.
        let registered = try json(TeachFixture.path("analysis/analysis.json"))
        #expect(registered["heartPose"] != nil)
        for key in ["edvMl", "esvMl", "ef", "scarBurdenPercent", "primaryTarget", "lmaTargets", "segments"] {
            #expect(NSDictionary(dictionary: [key: analysis[key] as Any]).isEqual(to: [key: registered[key] as Any]), "\(key) differs")
        }

        let scored = try CLI.run(["score", "case", "analysis", "--out", "scores.json"], in: work, timeout: 120)
        #expect(scored.status == 0, "\(scored)")
        let scores = try json(work.appendingPathComponent("scores.json").path)
        #expect(scores["registration"] == nil)
        let notRegistered = try #require(scores["notRegistered"] as? [String: Any], "\(scores.keys.sorted())")
        #expect(notRegistered["reason"] as? String == String(note.dropFirst("fluoroscopy: not registered: ".count)))
        let truthLead = try json(work.appendingPathComponent("case/truth/truth.json").path)["lead"] as? [String: Any]
        #expect(notRegistered["leadCategory36Truth"] as? String == truthLead?["category36"] as? String)
        #expect(truthLead?["category36"] != nil)
    }
}
