import CRTCore
import Foundation

/// An output folder written all at once: files go to a hidden staging folder beside it, which replaces the
/// destination only when everything is written, so a failure leaves nothing half written. The destination must
/// not exist, be empty, or (with `replace`) be a folder crtsim made, recognised by its marker file.
public final class StagedFolder {
    public let destination: URL
    public let staging: URL
    /// Relative paths written so far.
    public private(set) var files: [String] = []

    /// Checks the destination and prepares the staging folder.
    /// - Parameters:
    ///   - out: the destination folder (the `--out` option).
    ///   - replace: replace an existing folder that holds `marker` (`--force`).
    ///   - marker: a file name that marks a folder of this kind (e.g. `crtsim-case.json`).
    ///   - kind: what such a folder is called in messages (e.g. "a crtsim case").
    /// - Throws: `InputError` naming `--out` when the destination may not be replaced or its parent cannot be made.
    public init(out: String, replace: Bool, marker: String, kind: String) throws {
        let fm = FileManager.default
        destination = URL(fileURLWithPath: out).standardizedFileURL
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: destination.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw InputError("--out \(out): is a file, expected a folder") }
            let isKind = fm.fileExists(atPath: destination.appendingPathComponent(marker).path)
            let empty = ((try? fm.contentsOfDirectory(atPath: destination.path)) ?? ["x"]).isEmpty
            if !empty && !(replace && isKind) {
                throw InputError("--out \(out): folder exists and is not empty"
                    + (isKind ? " (\(kind): pass --force to replace it)" : " and was not made by crtsim"))
            }
        }
        let parent = destination.deletingLastPathComponent()
        do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw InputError("--out \(out): cannot create the parent folder (\(error.localizedDescription))")
        }
        staging = parent.appendingPathComponent(".\(destination.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: staging)
    }

    deinit { try? FileManager.default.removeItem(at: staging) }

    /// A writable staging path for the relative path `rel` (its folders are made).
    public func path(_ rel: String) throws -> String {
        let p = staging.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: p.deletingLastPathComponent(), withIntermediateDirectories: true)
        files.append(rel)
        return p.path
    }

    /// Moves the finished folder into place (replacing the old one).
    public func commit() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
        try fm.moveItem(at: staging, to: destination)
    }
}
