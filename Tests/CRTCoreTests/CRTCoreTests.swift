import CRTCore
import Foundation
import Testing

@Suite struct CRTCoreTests {
    /// The inverse of an affine map undoes it to within 1e-9 mm.
    @Test func affineInverseRoundTrip() throws {
        let a = Affine3D(linear: Mat3(columns: Vec3(1.8, 0.1, 0), Vec3(0, 1.7, 0.2), Vec3(0.3, 0, 10)),
                         translation: Vec3(-100, 20, 35))
        let inv = try #require(a.inverse)
        for p in [Vec3(0, 0, 0), Vec3(10, -5, 3), Vec3(191, 191, 11)] {
            #expect((inv.apply(a.apply(p)) - p).length < 1e-9)
        }
    }

    /// Same seed and label give the same stream; another label gives another stream.
    @Test func seededStreamsAreStableAndIndependent() {
        var a = SeededRandom(seed: 7, label: "cmr.cine.noise"), b = SeededRandom(seed: 7, label: "cmr.cine.noise")
        var c = SeededRandom(seed: 7, label: "cmr.lge.noise")
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
    }

    /// Selection gives exactly the sorted array's element at every rank, and the median the sorted array's middle
    /// (or the mean of its two middle elements), on arrays with many ties, runs and a few sizes (tolerance: none).
    @Test func selectionMatchesSorting() {
        var rng = SeededRandom(seed: 11, label: "test.selection")
        for n in [1, 2, 3, 4, 5, 8, 72, 121, 1000] {
            for pattern in 0..<4 {
                let values: [Double] = (0..<n).map { i in
                    switch pattern {
                    case 0: return rng.normal()
                    case 1: return Double(Int(rng.uniform() * 5))   // many ties
                    case 2: return Double(i)                        // ascending
                    default: return Double(n - i) + 0.25            // descending
                    }
                }
                let sorted = values.sorted()
                for k in Set([0, n / 3, n / 2, n - 1]) {
                    var a = values
                    #expect(selectKthSmallest(&a, k) == sorted[k])
                    #expect(a.sorted() == sorted)   // a permutation of the input
                }
                let median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
                #expect(medianBySelection(values) == median)
            }
        }
        #expect(medianBySelection([]).isNaN)
    }

    /// Angle helpers wrap into [0, 360) and (-180, 180].
    @Test func angleWrapping() {
        #expect(wrapDegrees(-30) == 330)
        #expect(wrapDegrees(725) == 5)
        #expect(angleDifferenceDegrees(10, 350) == 20)
        #expect(angleDifferenceDegrees(350, 10) == -20)
    }
}

/// One-line messages and input files that cannot hang a read.
@Suite struct InputSafetyTests {
    /// Control characters (newline, tab, ESC, DEL, C1) become visible escapes; the result is idempotent and other
    /// characters stay.
    @Test func oneLineEscapesControlCharacters() {
        let raw = "a\nb\tc\u{1B}[31md\u{7F}e\u{85}f \\ é"
        let line = oneLine(raw)
        #expect(line == "a\\nb\\tc\\u{1B}[31md\\u{7F}e\\u{85}f \\ é")
        #expect(oneLine(line) == line)
        #expect(InputError("x: 'multi\nline'").message == "x: 'multi\\nline'")
    }

    /// A FIFO and a folder are refused at once (reading a FIFO used to hang); a regular file is read whole.
    @Test func onlyRegularFilesAreRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-input-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/pipe.yaml", 0o644) == 0)
        func refusal(_ path: String) -> String? {
            do { _ = try InputFile.read(path, what: "scenario file"); return nil } catch let e as InputError { return e.message } catch { return nil }
        }
        #expect(refusal(dir + "/pipe.yaml") == dir + "/pipe.yaml: is a FIFO, not a regular file (expected a scenario file)")
        #expect(refusal(dir) == dir + ": is a folder, not a regular file (expected a scenario file)")
        #expect(refusal(dir + "/missing.yaml") == dir + "/missing.yaml: file not found")
        let text = String(repeating: "key: value\n", count: 20_000)
        try text.write(toFile: dir + "/big.yaml", atomically: true, encoding: .utf8)
        #expect(try InputFile.readText(dir + "/big.yaml", what: "scenario file") == text)
    }
}
