import CRTCore
import Foundation
import ImageIO
import Testing

/// The output-folder claim: one writer at a time, the destination checked again at commit, stale staging folders
/// of dead processes removed or adopted, and the free-space check.
@Suite("StagedFolder", .tags(.fast))
struct StagedFolderTests {
    func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-staged-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as InputError { return e.message } catch { return "\(error)" }
    }

    /// A second writer of the same --out is refused while the first holds it (used to replace it silently), and
    /// may write once the first has committed (with --force).
    @Test func secondWriterIsRefused() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/case"
        let first = try StagedFolder(out: out, replace: false, marker: "m.json", kind: "a test folder")
        let refused = message { _ = try StagedFolder(out: out, replace: true, marker: "m.json", kind: "a test folder") }
        #expect(refused?.contains("another crtsim process (pid \(getpid()))") == true, "\(refused ?? "accepted")")
        try "1".write(toFile: try first.path("m.json"), atomically: true, encoding: .utf8)
        try first.commit()
        #expect(FileManager.default.fileExists(atPath: out + "/m.json"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/.case.lock"))
        let second = try StagedFolder(out: out, replace: true, marker: "m.json", kind: "a test folder")
        try "2".write(toFile: try second.path("m.json"), atomically: true, encoding: .utf8)
        try second.commit()
        #expect(try String(contentsOfFile: out + "/m.json", encoding: .utf8) == "2")
    }

    /// A folder that appeared at the destination while the staging folder was written is not replaced: commit
    /// checks again and refuses.
    @Test func commitChecksTheDestinationAgain() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let folder = try StagedFolder(out: out, replace: false, marker: "m.json", kind: "a test folder")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "mine".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8)
        let refused = message { try folder.commit() }
        #expect(refused?.contains("not empty") == true, "\(refused ?? "replaced")")
        #expect(try String(contentsOfFile: out + "/notes.txt", encoding: .utf8) == "mine")
    }

    /// Staging folders of dead writers are removed by the next writer (and listed), or the newest is adopted with
    /// `resume`, its content intact.
    @Test func staleStagingFoldersAreRemovedOrAdopted() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for pid in [999_991, 999_992] {
            try FileManager.default.createDirectory(atPath: dir + "/.run.partial-\(pid)/cases", withIntermediateDirectories: true)
            try "\(pid)".write(toFile: dir + "/.run.partial-\(pid)/cases/done", atomically: true, encoding: .utf8)
            usleep(20_000)
        }
        do {
            let resumed = try StagedFolder(out: dir + "/run", replace: false, marker: "m.json", kind: "a test folder", resume: true)
            #expect(resumed.resumedFrom == dir + "/.run.partial-999992")
            #expect(resumed.removedStale == [dir + "/.run.partial-999991"])
            #expect(try String(contentsOfFile: resumed.staging.path + "/cases/done", encoding: .utf8) == "999992")
            resumed.returnAdopted()
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/.run.partial-999992/cases/done"))
        let fresh = try StagedFolder(out: dir + "/run", replace: false, marker: "m.json", kind: "a test folder")
        #expect(fresh.resumedFrom == nil && fresh.removedStale == [dir + "/.run.partial-999992"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/.run.partial-999992"))
    }

    /// An --out whose parent cannot be made is refused at once, before any work; a run that needs more space
    /// than the disk has is refused with the estimate.
    @Test func unusableOutputIsFoundFirst() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "x".write(toFile: dir + "/plain", atomically: true, encoding: .utf8)
        let refused = message { _ = try StagedFolder(out: dir + "/plain/out", replace: false, marker: "m.json", kind: "a test folder") }
        #expect(refused?.contains("cannot create the parent folder") == true, "\(refused ?? "accepted")")
        let folder = try StagedFolder(out: dir + "/out", replace: false, marker: "m.json", kind: "a test folder")
        #expect(folder.freeBytes > 0)
        let full = message { try folder.requireFreeSpace(1e18, for: "this run (290 cases)") }
        #expect(full?.contains("this run (290 cases) needs about 1000000000.0 GB but only") == true, "\(full ?? "accepted")")
        #expect(message { try folder.requireFreeSpace(1, for: "a byte") } == nil)
    }
}
