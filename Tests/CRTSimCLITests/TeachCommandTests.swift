import Figures
import Foundation
import ImageIO
import Testing

/// One `crtsim teach` run shared by the tests below (about 15 s in release), in a folder removed at exit.
enum TeachFixture {
    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-teach-tests-\(getpid())")
    static let preset = "ischemic-posterolateral"
    static let seed = "7"

    /// The run's result, or why it could not run.
    static let run: Result<CLIResult, any Error> = {
        atexit { try? FileManager.default.removeItem(at: TeachFixture.folder) }
        return Result {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return try CLI.run(["teach", "--preset", preset, "--seed", seed, "--out", "teach"], in: folder, timeout: 300)
        }
    }()

    static func path(_ rel: String) -> String { folder.appendingPathComponent("teach/" + rel).path }

    static func page() throws -> String {
        let r = try run.get()
        try #require(r.status == 0, "\(r)")
        return try String(contentsOfFile: path("index.html"), encoding: .utf8)
    }
}

@Suite("crtsim teach", .tags(.cli))
struct TeachCommandTests {
    @Test("writes one self-contained page with the five steps, beside the case and the analysis 'analyze' would write")
    func selfContainedPage() throws {
        let html = try TeachFixture.page()
        for f in ["crtsim-teach.json", "case/cmr/lge.nii.gz", "case/truth/truth.json", "analysis/analysis.json",
                  "analysis/figures/bullseye-activation.png", "analysis/figures/overlay-LAO40.png"] {
            #expect(FileManager.default.fileExists(atPath: TeachFixture.path(f)), "missing \(f)")
        }
        for step in ["Step 1. Scar on LGE", "Step 2. Mechanical activation", "Step 3. The 36-segment target choice",
                     "Step 4. Fusion with fluoroscopy", "Step 5. For the educator"] {
            #expect(html.contains(step), "page lacks '\(step)'")
        }
        // No network: nothing refers to http(s) or a protocol-relative URL; figures are data URIs.
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.range(of: #"(src|href)\s*=\s*["']?\s*//"#, options: .regularExpression) == nil)
        #expect(html.range(of: #"<img[^>]* src="(?!data:image/png;base64,)"#, options: .regularExpression) == nil)
        #expect(html.contains("<iframe id=\"fourdmap\"") && html.contains("srcdoc=\""))
        // Every segment has a row with its reason.
        let rows = html.matches(of: /<tr class="(primary|lma|eligible|excluded)">/).count
        #expect(rows == 36, "\(rows) segment rows")

        // The LGE data: three levels from the pipeline's myocardium, the pipeline's scar inside it, default 0.50.
        let start = try #require(html.range(of: "<script id=\"lge-data\" type=\"application/json\">"))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let lge = try #require(try JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
        #expect(lge["fraction"] as? Double == 0.5)
        let levels = try #require(lge["levels"] as? [[String: Any]])
        #expect(levels.compactMap { $0["name"] as? String } == ["basal", "mid", "apical"])
        let (w, h) = (lge["width"] as? Int ?? 0, lge["height"] as? Int ?? 0)
        for l in levels {
            let myo = Set(l["myo"] as? [Int] ?? []), scar = l["scar"] as? [Int] ?? []
            #expect((l["grey"] as? [Int])?.count == w * h)
            #expect(myo.count > 100 && (l["rel"] as? [Int])?.count == myo.count)
            #expect(scar.allSatisfy(myo.contains), "pipeline scar outside the pipeline's myocardium")
        }
        #expect(levels.contains { !($0["scar"] as? [Int] ?? []).isEmpty }, "ischaemic case: some scar on the shown slices")

        // The analysis is the one `crtsim analyze` makes of the same case.
        let r = try CLI.run(["analyze", TeachFixture.path("case"), "--out", "analyze"], in: TeachFixture.folder, timeout: 120)
        #expect(r.status == 0, "\(r)")
        func result(_ p: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as? [String: Any])
        }
        let a = try result(TeachFixture.folder.appendingPathComponent("analyze/analysis.json").path)
        let b = try result(TeachFixture.path("analysis/analysis.json"))
        for key in ["segments", "lmaTargets", "primaryTarget", "lead", "scarBurdenPercent", "heartPose"] {
            let encode = { (v: Any?) in try? JSONSerialization.data(withJSONObject: [v ?? NSNull()], options: [.sortedKeys]) }
            #expect(encode(a[key]) != nil && encode(a[key]) == encode(b[key]), "\(key) differs from crtsim analyze")
        }
    }

    @Test("loads in headless Chromium with no script error, and the screenshot shows the bullseye")
    func headlessChromium() throws {
        _ = try TeachFixture.page()
        let chromium = try Chromium.find()
        let url = URL(fileURLWithPath: TeachFixture.path("index.html")).absoluteString
        let scratch = try Scratch()
        let window = (width: 1200, height: 3600)

        let dom = try Chromium.run(chromium, ["--dump-dom", url], window: window, profile: scratch.path("profile-dom"))
        #expect(dom.stdout.contains("data-teach-status=\"ok\""), "page status: \(Chromium.attribute("data-teach-status", in: dom.stdout) ?? "missing")")
        let consoleLines = dom.stderrLines.filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleLines.isEmpty, "console output from the page: \(consoleLines)")

        let rectText = try #require(Chromium.attribute("data-bullseye-rect", in: dom.stdout), "the page did not report the bullseye's position")
        let rect = rectText.split(separator: ",").compactMap { Int($0) }
        try #require(rect.count == 4 && rect[2] > 100 && rect[3] > 100, "bullseye box \(rectText)")
        try #require(rect[1] + rect[3] <= window.height, "bullseye box \(rectText) lies below the \(window.height) px window")

        let shot = scratch.path("page.png")
        let s = try Chromium.run(chromium, ["--screenshot=\(shot)", url], window: window, profile: scratch.path("profile-shot"))
        let image = try RGBAImage.readPNG(shot)
        try #require(image.width == window.width && image.height == window.height, "screenshot \(image.width) x \(image.height); \(s.stderr)")
        // Activation bullseye: viridis colours over at least 15 % of its box (about 28 % on this case: the disc fills about
        // 45 %, less its labels, outlines and hatched scar); with no bullseye there are none.
        let viridis = ViridisMatcher(tolerance: 6)
        var hits = 0
        for y in rect[1]..<(rect[1] + rect[3]) { for x in rect[0]..<(rect[0] + rect[2]) where viridis.matches(image.rgb(x, y)) { hits += 1 } }
        let fraction = Double(hits) / Double(rect[2] * rect[3])
        #expect(fraction >= ViridisMatcher.minimumBullseyeFraction, "viridis pixels cover \(fraction) of the bullseye box")
        // The slider works: a copy of the page that moves it from 0.50 to 0.30 reports a larger whole-LV burden.
        let probe = try TeachFixture.page().replacingOccurrences(of: "</body>", with: """
            <script>window.addEventListener("load", function () {
              const s = document.getElementById("threshold"), b = document.getElementById("burden");
              const before = b.textContent; s.value = "0.30"; s.dispatchEvent(new Event("input"));
              document.body.setAttribute("data-probe", before + " | " + b.textContent);
            });</script></body>
            """)
        try probe.write(toFile: scratch.path("probe.html"), atomically: true, encoding: .utf8)
        let moved = try Chromium.run(chromium, ["--dump-dom", URL(fileURLWithPath: scratch.path("probe.html")).absoluteString],
                                     window: window, profile: scratch.path("profile-probe"))
        let texts = try #require(Chromium.attribute("data-probe", in: moved.stdout), "slider probe did not run").components(separatedBy: " | ")
        let wholeLV = texts.map { t in t.components(separatedBy: "whole LV before the presence gate: ").last.flatMap { Double($0.prefix { $0 != " " }) } ?? -1 }
        #expect(texts.count == 2 && texts[0].hasPrefix("At 0.50:") && texts[1].hasPrefix("At 0.30:"), "\(texts)")
        #expect(wholeLV.count == 2 && wholeLV[0] >= 0 && wholeLV[1] > wholeLV[0], "whole-LV burden at 0.50 and 0.30: \(wholeLV)")

        // The same test on a box of the page without the bullseye (the page header) finds none: the check is real.
        var elsewhere = 0
        for y in 0..<200 { for x in 0..<window.width where viridis.matches(image.rgb(x, y)) { elsewhere += 1 } }
        #expect(Double(elsewhere) / Double(200 * window.width) < 0.01)
    }

    @Test("bad input: exit code 2, one line, nothing written", .tags(.fast))
    func badInput() throws {
        let scratch = try Scratch()
        let preset = try CLI.run(["teach", "--preset", "no-such", "--seed", "1", "--out", "t"], in: scratch.url)
        #expect(preset.status == 2 && preset.stderrLines.count == 1, "\(preset)")
        #expect(preset.stderr.contains("no-such") && preset.stderr.contains("allowed: ") && preset.stderr.contains("advise-typical"), "\(preset)")
        for seed in ["-1", "2147483648", "x"] {
            let r = try CLI.run(["teach", "--preset", "advise-typical", "--seed", seed, "--out", "t"], in: scratch.url)
            #expect(r.status == 2 && r.stderrLines.count == 1 && r.stderr.contains("seed"), "\(r)")
        }
        try FileManager.default.createDirectory(atPath: scratch.path("mine"), withIntermediateDirectories: true)
        try scratch.write("mine/notes.txt", "not made by crtsim")
        let mine = try CLI.run(["teach", "--preset", "advise-typical", "--seed", "1", "--out", "mine", "--force"], in: scratch.url)
        #expect(mine.status == 2 && mine.stderrLines.count == 1 && mine.stderr.contains("was not made by crtsim"), "\(mine)")
        #expect(scratch.listing() == ["mine", "mine/notes.txt"], "\(scratch.listing())")
    }
}

/// Headless Chromium (Debian package `chromium`), required: a missing browser fails the test.
enum Chromium {
    static func find() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for dir in dirs { for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        } }
        throw CLIHarnessError("headless Chromium not found on PATH: install the Debian package 'chromium' (scripts/bootstrap.sh does)")
    }

    /// Runs Chromium headless on the given arguments with a fixed window and its own profile folder.
    static func run(_ exe: String, _ arguments: [String], window: (width: Int, height: Int), profile: String,
                    timeout: TimeInterval = 120) throws -> CLIResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                       "--user-data-dir=\(profile)", "--window-size=\(window.width),\(window.height)"] + arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: out.path + ".err", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out.path + ".out"); try? FileManager.default.removeItem(atPath: out.path + ".err") }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out.path + ".out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: out.path + ".err"))
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if p.isRunning { p.terminate(); throw CLIHarnessError("chromium \(arguments) did not finish within \(Int(timeout)) s") }
        let result = CLIResult(status: p.terminationStatus,
                               stdout: (try? String(contentsOfFile: out.path + ".out", encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOfFile: out.path + ".err", encoding: .utf8)) ?? "")
        guard result.status == 0 else { throw CLIHarnessError("chromium \(arguments) failed: \(result)") }
        return result
    }

    /// The value of the first `name="..."` attribute in `html`.
    static func attribute(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: name + "=\"") else { return nil }
        return html[r.upperBound...].split(separator: "\"", maxSplits: 1).first.map(String.init)
    }
}

/// Whether a pixel has a colour of the viridis map (the activation bullseye's colours).
struct ViridisMatcher {
    /// Least fraction of the bullseye's box in viridis colours for the bullseye to count as shown.
    static let minimumBullseyeFraction = 0.15
    private var keys = Set<Int>()
    private let bin = 4

    /// - Parameter tolerance: largest difference per channel from a sampled map colour (0-255 units).
    init(tolerance: Int) {
        for i in 0...1023 {
            let c = ColorMap.viridis.color(at: Double(i) / 1023)
            let rgb = [c.red, c.green, c.blue].map { Int(($0 * 255).rounded()) }
            for dr in stride(from: -tolerance, through: tolerance, by: 1) where dr % bin == 0 || abs(dr) == tolerance {
                for dg in stride(from: -tolerance, through: tolerance, by: 1) where dg % bin == 0 || abs(dg) == tolerance {
                    for db in stride(from: -tolerance, through: tolerance, by: 1) where db % bin == 0 || abs(db) == tolerance {
                        keys.insert(key(rgb[0] + dr, rgb[1] + dg, rgb[2] + db))
                    }
                }
            }
        }
    }

    private func key(_ r: Int, _ g: Int, _ b: Int) -> Int {
        let q = { (v: Int) in max(0, min(255, v)) / bin }
        return (q(r) << 16) | (q(g) << 8) | q(b)
    }

    func matches(_ rgb: (UInt8, UInt8, UInt8)) -> Bool { keys.contains(key(Int(rgb.0), Int(rgb.1), Int(rgb.2))) }
}
