import CRTCore
import Foundation
import HeadlessBrowser
import ImageIO
import Testing

@Suite("crtsim phantom: happy path, help and presets", .tags(.cli))
struct PhantomCommandTests {
    @Test("--no-xray-volume keeps the X-ray images but skips truth/xray-mu.nii.gz; --no-xray skips the fluoroscopy")
    func xrayOptions() throws {
        let scratch = try Scratch()
        try scratch.write("tiny.yaml", "name: tiny\n" + BadInput.tiny)
        let r = try CLI.run(["phantom", "--phantom", "tiny.yaml", "--out", "a", "--no-previews", "--no-xray-volume"], in: scratch.url)
        #expect(r.status == 0, "\(r)")
        #expect(scratch.exists("a/xray/LAO40-venogram.nii.gz") && !scratch.exists("a/truth/xray-mu.nii.gz"))
        let r2 = try CLI.run(["phantom", "--phantom", "tiny.yaml", "--out", "b", "--no-previews", "--no-xray"], in: scratch.url)
        #expect(r2.status == 0, "\(r2)")
        #expect(!scratch.exists("b/xray") && !scratch.exists("b/operator") && !scratch.exists("b/truth/xray-mu.nii.gz"))
    }

    @Test("a tiny phantom makes a complete case; cmr/ holds no truth; rerun needs --force")
    func tinyCase() throws {
        let scratch = try Scratch()
        try scratch.write("tiny.yaml", "name: tiny\n" + BadInput.tiny)
        let args = ["phantom", "--phantom", "tiny.yaml", "--seed", "7", "--out", "case", "--no-previews"]
        let r = try CLI.run(args, in: scratch.url)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(r.stdout.contains("tiny") && r.stdout.contains("seed 7"), "\(r)")

        for f in ["cmr/cine.nii.gz", "cmr/lge.nii.gz", "cmr/acquisition.json", "truth/truth.json", "crtsim-case.json"] {
            #expect(scratch.exists("case/\(f)"), "missing \(f); case holds \(scratch.listing("case"))")
        }
        #expect(!scratch.exists("case/preview"), "--no-previews still wrote previews")
        // Nothing left over from assembling the case (temporary folder next to --out).
        #expect(scratch.listing().filter { !$0.hasPrefix("case") && $0 != "tiny.yaml" }.isEmpty, "\(scratch.listing())")

        // The images have the requested geometry: 200 mm / 3 mm = 67 pixels, 2 slices, 2 cine phases.
        let cine = try NIfTI.read(scratch.path("case/cmr/cine.nii.gz"))
        #expect(cine.grid.size == [67, 67, 2])
        #expect(cine.frames == 2)
        let lge = try NIfTI.read(scratch.path("case/cmr/lge.nii.gz"))
        #expect(lge.grid.size == [67, 67, 2])
        #expect(lge.frames == 1)

        // The pipeline's input folder must not leak the truth: no file named or mentioning it.
        let cmrFiles = scratch.listing("case/cmr")
        #expect(Set(cmrFiles) == ["acquisition.json", "cine.nii.gz", "lge.nii.gz", "cine-2ch.nii.gz", "cine-3ch.nii.gz", "cine-4ch.nii.gz"])
        for f in cmrFiles {
            #expect(!f.lowercased().contains("truth"))
            let bytes = try contents(of: scratch.path("case/cmr/\(f)"))
            #expect(!String(decoding: bytes, as: UTF8.self).lowercased().contains("truth"), "cmr/\(f) mentions truth")
        }

        // xray/ and operator/: what the C-arm and the operator produce, no truth; the attenuation volume in truth/.
        let xrayFiles = Set(scratch.listing("case/xray"))
        // A clinical phantom's venogram is a run of frames with its ECG record (xray.venogramFrames, 6).
        let expected = Set(["LAO40", "RAO30"].flatMap { v in ["\(v).json", "\(v)-ecg.json"] + ["venogram", "lead"].flatMap { ["\(v)-\($0).nii.gz", "\(v)-\($0).png"] } })
        #expect(xrayFiles == expected, "\(xrayFiles)")
        let run = try NIfTI.read(scratch.path("case/xray/LAO40-venogram.nii.gz"))
        #expect(run.frames == 6 && run.grid.size == [64, 64, 1])
        let ecg = try JSONDecoder().decode(XRayRunRecord.self, from: Data(contentsOf: URL(fileURLWithPath: scratch.path("case/xray/LAO40-ecg.json"))))
        #expect(ecg.venogramCardiacPhaseFractions.count == 6 && ecg.view == "LAO40")
        let view = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path("case/xray/LAO40.json")))) as? [String: Any])
        #expect(Set(view.keys) == ["SeriesDescription", "PositionerPrimaryAngle", "PositionerSecondaryAngle", "DistanceSourceToDetector",
                                   "DistanceSourceToPatient", "Rows", "Columns", "ImagerPixelSpacing"], "\(view.keys)")
        let xa = try NIfTI.read(scratch.path("case/xray/RAO30-lead.nii.gz"))
        #expect(xa.grid.size == [64, 64, 1])
        // A clinical phantom draws a catalogue lead: its implant record is an operator input too.
        #expect(Set(scratch.listing("case/operator")) == ["clicks-LAO40.json", "clicks-RAO30.json", "lead.json"])
        #expect(scratch.exists("case/truth/xray-mu.nii.gz"))

        // truth.json: the 36 segments of the shared vocabulary.
        let truthData = try Data(contentsOf: URL(fileURLWithPath: scratch.path("case/truth/truth.json")))
        let truth = try #require(try JSONSerialization.jsonObject(with: truthData) as? [String: Any])
        let segments = try #require(truth["segments"] as? [[String: Any]])
        #expect(segments.count == 36)
        #expect(segments.compactMap { $0["id"] as? Int } == Array(1...36))
        #expect((truth["edvMl"] as? Double).map { $0 > 150 && $0 < 270 } == true, "edvMl \(truth["edvMl"] ?? "nil")")

        // The folder is now a crtsim case: refused without --force (and untouched), replaced with it.
        let listing = scratch.listing("case")
        let again = try CLI.run(args, in: scratch.url)
        try expectOneLineError(again, mentions: ["--out", "case", "--force"])
        #expect(scratch.listing("case") == listing)
        let forced = try CLI.run(args + ["--force"], in: scratch.url)
        #expect(forced.status == 0, "\(forced)")
        #expect(scratch.listing("case") == listing)
    }

    @Test("crtsim phantom --help exits 0 and gives units in the option help", .tags(.fast))
    func help() throws {
        let scratch = try Scratch()
        let r = try CLI.run(["phantom", "--help"], in: scratch.url)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        for option in ["--preset", "--phantom", "--seed", "--out", "--force", "--no-previews", "--cine-snr", "--lge-snr",
                       "--misregistration-mm", "--memory-limit-gib"] {
            #expect(r.stdout.contains(option), "help does not list \(option)")
        }
        let options = try #require(r.stdout.range(of: "OPTIONS:")).upperBound
        let optionHelp = r.stdout[options...]
        #expect(optionHelp.contains("mm") || optionHelp.contains("ms") || optionHelp.contains("mL"), "no units: \(r.stdout)")
        #expect(optionHelp.contains("GiB"))
        #expect(r.stdout.contains("Phantoms/README.md"))
    }

    @Test("crtsim presets lists every preset in Phantoms/ with its description; all of them load", .tags(.fast))
    func presets() throws {
        let scratch = try Scratch()
        let r = try CLI.run(["presets"], in: scratch.url)
        #expect(r.status == 0, "\(r)")
        let files = try FileManager.default.contentsOfDirectory(atPath: CLI.phantomsDirectory)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(files.count >= 5)
        let lines = r.stdout.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines.map { String($0.split(separator: " ").first ?? "") } == files)
        for line in lines {
            let description = line.split(separator: " ", maxSplits: 1).dropFirst().first?
                .trimmingCharacters(in: .whitespaces) ?? ""
            #expect(!description.isEmpty && !description.hasPrefix("INVALID"), "\(line)")
        }
    }
}

@Suite("Phantoms/README.md", .tags(.fast))
struct PhantomReadmeTests {
    static let readmePath = CLI.packageRoot.appendingPathComponent("Phantoms/README.md").path
    static let loaderPath = CLI.packageRoot.appendingPathComponent("Sources/HeartPhantom/PhantomSpecLoading.swift").path

    @Test("documents every field the phantom reader accepts, and every preset")
    func documentsEveryField() throws {
        let readme = try String(contentsOfFile: Self.readmePath, encoding: .utf8)
        let loader = try String(contentsOfFile: Self.loaderPath, encoding: .utf8)
        // Field names as the reader reads them: .number("edvMl", ...), .section("cmr"), .has("totalDelayMs") ...
        let regex = try NSRegularExpression(
            pattern: #"\.(number|int|bool|string|choice|vector|section|list|intKeyedNumbers|has)\("([A-Za-z]+)""#)
        let ns = loader as NSString
        let fields = Set(regex.matches(in: loader, range: NSRange(location: 0, length: ns.length))
            .map { ns.substring(with: $0.range(at: 2)) })
        #expect(fields.count > 50, "found only \(fields.sorted())")
        for f in fields.sorted() {
            #expect(readme.contains("`\(f)`"), "Phantoms/README.md does not document `\(f)`")
        }
        let presets = try FileManager.default.contentsOfDirectory(atPath: CLI.phantomsDirectory)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        for p in presets { #expect(readme.contains("`\(p)`"), "Phantoms/README.md does not list preset \(p)") }
    }

    @Test("its complete example is a valid phantom", .tags(.cli))
    func exampleLoads() throws {
        let readme = try String(contentsOfFile: Self.readmePath, encoding: .utf8)
        let anchor = try #require(readme.range(of: "## A complete example"))
        let start = try #require(readme.range(of: "```yaml\n", range: anchor.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let example = String(readme[start.upperBound..<end.lowerBound])
        #expect(example.contains("scars:") && example.contains("cmr:"))

        // `crtsim presets` loads every file of the preset folder and reports each one's description or error.
        let scratch = try Scratch()
        let folder = scratch.url.appendingPathComponent("presets")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.phantomsDirectory + "/advise-typical.yaml",
                                         toPath: folder.appendingPathComponent("advise-typical.yaml").path)
        try example.write(to: folder.appendingPathComponent("readme-example.yaml"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["presets"], in: scratch.url, environment: ["CRTSIM_PHANTOMS": folder.path])
        #expect(r.status == 0, "\(r)")
        let line = try #require(r.stdout.split(whereSeparator: \.isNewline).first { $0.hasPrefix("readme-example") })
        #expect(line.contains("inferolateral scar"), "\(line)")
        #expect(!line.contains("INVALID"), "\(line)")
    }
}

/// A file's bytes, gunzipped when it is a .gz file (NIfTI headers and text extensions are inside).
func contents(of path: String) throws -> Data {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard path.hasSuffix(".gz") else { return data }
    let gzip = try #require(["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) },
                            "gzip not found to inspect \(path)")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: gzip)
    p.arguments = ["-dc", path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let bytes = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "gzip -dc \(path) failed")
    return bytes
}

@Suite("crtsim run and validate")
struct ScenarioCommandTests {
    /// The smoke scenario runs end to end and meets its expectations (exit 0); results.json, cases.csv and
    /// junit.xml are written; two shards merge to exactly the whole run's metrics; compare flags an injected
    /// regression (exit 1); a malformed scenario gives exit code 2 and one line naming file, line and field.
    @Test func smokeScenario() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-smoke-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let r = try CLI.run(["run", root + "/Scenarios/smoke.yaml", "--out", "smoke"], in: tmp, timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["results.json", "cases.csv", "junit.xml", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: tmp.appendingPathComponent("smoke/" + f).path))
        }
        let csv = try String(contentsOfFile: tmp.appendingPathComponent("smoke/cases.csv").path, encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 3)
        // report.html is self-contained and renders in headless Chromium without a script error, both 4D-MAP
        // frames drawn (the report's own script sets <body data-ok="1">; fails when chromium is missing).
        let report = tmp.appendingPathComponent("smoke/report.html").path
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(!html.contains("http://") && !html.contains("https://"))
        let dom = try HeadlessChromium.dumpDOM(report)
        #expect(HeadlessChromium.attribute("data-error", of: "html", in: dom) == nil, "\(HeadlessChromium.attribute("data-error", of: "html", in: dom) ?? "")")
        #expect(HeadlessChromium.attribute("data-ok", of: "body", in: dom) == "1")
        #expect(HeadlessChromium.attribute("data-frames", of: "body", in: dom) == "2")
        // Two shards merged give exactly the metrics of the whole run; compare flags an injected regression.
        for i in 1...2 {
            let r = try CLI.run(["run", root + "/Scenarios/smoke.yaml", "--shard", "\(i)/2", "--out", "s\(i)"], in: tmp, timeout: 300)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let m = try CLI.run(["merge", "s1", "s2", "--out", "merged"], in: tmp)
        #expect(m.status == 0, "\(m.stderr)")
        // The merged report shows the figures of cases from both shards (case 0 ran in s1, case 1 in s2).
        let mergedReport = try String(contentsOfFile: tmp.appendingPathComponent("merged/report.html").path, encoding: .utf8)
        #expect(mergedReport.components(separatedBy: "data:image/png;base64,").count - 1
                == (try String(contentsOfFile: tmp.appendingPathComponent("smoke/report.html").path, encoding: .utf8))
                    .components(separatedBy: "data:image/png;base64,").count - 1)
        func metrics(_ dir: String) throws -> [[String: Any]] {
            let data = try Data(contentsOf: tmp.appendingPathComponent(dir + "/results.json"))
            return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["metrics"] as? [[String: Any]]) ?? []
        }
        let whole = try metrics("smoke"), merged = try metrics("merged")
        #expect(whole.count == merged.count && !whole.isEmpty)
        for (a, b) in zip(whole, merged) { #expect(a["id"] as? String == b["id"] as? String && a["value"] as? Double == b["value"] as? Double) }
        #expect(try CLI.run(["compare", "smoke", "merged"], in: tmp).status == 0)
        let baselineFile = tmp.appendingPathComponent("smoke/results.json")
        var baseline = try JSONSerialization.jsonObject(with: Data(contentsOf: baselineFile)) as! [String: Any]
        var list = baseline["metrics"] as! [[String: Any]]
        let k = list.firstIndex { $0["id"] as? String == "scar.kappa" }!
        list[k]["value"] = 2.0   // a baseline better than any run can be: the run regresses
        baseline["metrics"] = list
        try FileManager.default.createDirectory(at: tmp.appendingPathComponent("better"), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: baseline).write(to: tmp.appendingPathComponent("better/results.json"))
        let c = try CLI.run(["compare", "better", "merged"], in: tmp)
        #expect(c.status == 1)
        #expect(c.stdout.contains("regression") && c.stdout.contains("scar.kappa"))
        let bad = tmp.appendingPathComponent("bad.yaml")
        try "id: x\ncases: 2\nphantoms: [no-such-preset]\n".write(to: bad, atomically: true, encoding: .utf8)
        let v = try CLI.run(["validate", bad.path], in: tmp)
        #expect(v.status == 2)
        #expect(v.stderr.contains("line 3: phantoms"), "\(v.stderr)")
        #expect(v.stderr.split(separator: "\n").count == 1)
    }
}
