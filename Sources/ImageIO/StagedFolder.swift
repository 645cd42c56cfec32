import CRTCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output folder written all at once: files go to a hidden staging folder beside it
/// (`.NAME.partial-PID`), which replaces the destination only when everything is written, so a failure leaves
/// nothing half written. The destination must not exist, be empty, or (with `replace`) be a folder crtsim made,
/// recognised by its marker file.
///
/// One writer at a time: the folder is claimed with an exclusive `flock(2)` on `.NAME.lock` beside it, held from
/// `init` until the folder is committed or abandoned (the kernel releases it when the process dies), so a second
/// crtsim process given the same `--out` gets an `InputError` (exit 2) instead of silently replacing the first's
/// work. The destination is checked again under the claim at `commit()`. Staging folders left by dead processes
/// (killed, interrupted) are removed by the next writer of the same `--out`, or adopted with `resume`.
public final class StagedFolder {
    public let destination: URL
    public let staging: URL
    /// Relative paths written so far.
    public private(set) var files: [String] = []
    /// Staging folders of dead processes that `init` removed (paths).
    public private(set) var removedStale: [String] = []
    /// The staging folder of an interrupted run that `init` adopted (`resume`), or nil.
    public private(set) var resumedFrom: String?

    private let replace: Bool
    private let marker: String
    private let kind: String
    private let out: String
    private let lockPath: String
    private var lockDescriptor: Int32 = -1
    private var committed = false
    private var keepStaging = false

    /// Claims the destination, checks it, and prepares the staging folder.
    /// - Parameters:
    ///   - out: the destination folder (the `--out` option).
    ///   - replace: replace an existing folder that holds `marker` (`--force`).
    ///   - marker: a file name that marks a folder of this kind (e.g. `crtsim-case.json`).
    ///   - kind: what such a folder is called in messages (e.g. "a crtsim case").
    ///   - resume: adopt the staging folder of an interrupted writer of the same destination (the newest one)
    ///     instead of removing it.
    /// - Throws: `InputError` naming `--out` when another process is writing it, the destination may not be
    ///   replaced, or its parent cannot be made or written.
    public init(out: String, replace: Bool, marker: String, kind: String, resume: Bool = false) throws {
        let fm = FileManager.default
        self.out = out; self.replace = replace; self.marker = marker; self.kind = kind
        destination = URL(fileURLWithPath: out).standardizedFileURL
        let parent = destination.deletingLastPathComponent()
        let name = destination.lastPathComponent
        staging = parent.appendingPathComponent(".\(name).partial-\(ProcessInfo.processInfo.processIdentifier)")
        lockPath = parent.appendingPathComponent(".\(name).lock").path
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: destination.path, isDirectory: &isDir), !isDir.boolValue {
            throw InputError("--out \(out): is a file, expected a folder")
        }
        do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw InputError("--out \(out): cannot create the parent folder \(parent.path) (\(Self.reason(error)))")
        }
        guard access(parent.path, W_OK | X_OK) == 0 else {
            throw InputError("--out \(out): cannot write in the parent folder \(parent.path) (\(String(cString: strerror(errno))))")
        }
        try claim()
        do {
            try checkDestination()
            if fm.fileExists(atPath: destination.path) && access(destination.path, W_OK | X_OK) != 0 {
                throw InputError("--out \(out): the existing folder is not writable (\(String(cString: strerror(errno))))")
            }
            // Under the claim every other staging folder of this destination belongs to a dead process.
            let prefix = ".\(name).partial-"
            let stale = ((try? fm.contentsOfDirectory(atPath: parent.path)) ?? [])
                .filter { $0.hasPrefix(prefix) && $0 != staging.lastPathComponent }
                .map { parent.appendingPathComponent($0).path }
            var adopt: String? = nil
            if resume {
                adopt = stale.max { Self.modificationDate($0) < Self.modificationDate($1) }
            }
            for path in stale where path != adopt {
                try? fm.removeItem(atPath: path)
                removedStale.append(path)
            }
            try? fm.removeItem(at: staging)
            if let adopt {
                guard rename(adopt, staging.path) == 0 else {
                    throw InputError("--out \(out): cannot take over the interrupted run in \(adopt) (\(String(cString: strerror(errno))))")
                }
                resumedFrom = adopt
            } else {
                do { try fm.createDirectory(at: staging, withIntermediateDirectories: false) } catch {
                    throw InputError("--out \(out): cannot create the staging folder \(staging.path) (\(Self.reason(error)))")
                }
            }
        } catch {
            release()
            throw error
        }
    }

    deinit {
        if !committed && !keepStaging { try? FileManager.default.removeItem(at: staging) }
        release()
    }

    /// A writable staging path for the relative path `rel` (its folders are made).
    public func path(_ rel: String) throws -> String {
        let p = staging.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: p.deletingLastPathComponent(), withIntermediateDirectories: true)
        files.append(rel)
        return p.path
    }

    /// A staging sub-folder for the relative path `rel` (made, with its parents).
    public func directory(_ rel: String) throws -> String {
        let p = staging.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: p, withIntermediateDirectories: true)
        return p.path
    }

    /// Leaves the staging folder in place when this object goes away (an interrupted run that can be resumed);
    /// the claim is released.
    public func keepForResume() {
        keepStaging = true
        release()
    }

    /// Gives an adopted staging folder (`resume`) its old name back, leaving it as it was found, and releases the
    /// claim; for a resume that cannot continue that run.
    public func returnAdopted() {
        guard let from = resumedFrom else { return }
        keepStaging = true
        _ = rename(staging.path, from)
        release()
    }

    /// Moves the finished folder into place, replacing the old one. The destination is checked again first (still
    /// under the claim): a folder that appeared meanwhile and may not be replaced is an `InputError`.
    public func commit() throws {
        let fm = FileManager.default
        try checkDestination()
        let parent = destination.deletingLastPathComponent()
        var old: URL? = nil
        if fm.fileExists(atPath: destination.path) {
            let aside = parent.appendingPathComponent(".\(destination.lastPathComponent).old-\(ProcessInfo.processInfo.processIdentifier)")
            try? fm.removeItem(at: aside)
            guard rename(destination.path, aside.path) == 0 else {
                throw OutputError("--out \(out): cannot move the old folder aside: \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        // rename(2) fails on a non-empty folder at the destination (ENOTEMPTY): never a silent replace.
        guard rename(staging.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old.path, destination.path) }
            throw OutputError("--out \(out): cannot move the finished folder into place: \(reason)")
        }
        committed = true
        if let old { try? fm.removeItem(at: old) }
        release()
    }

    /// Free bytes on the file system of the destination's parent.
    public var freeBytes: Double {
        var s = statvfs()
        guard statvfs(destination.deletingLastPathComponent().path, &s) == 0 else { return .infinity }
        return Double(s.f_bavail) * Double(s.f_frsize)
    }

    /// Refuses to start when the file system has less free space than `bytes` (an estimate of what the run will
    /// write, with its `description`).
    /// - Throws: `InputError` naming `--out`, the estimate and the free space.
    public func requireFreeSpace(_ bytes: Double, for description: String) throws {
        let free = freeBytes
        guard free >= bytes else {
            throw InputError("--out \(out): \(description) needs about \(Self.size(bytes)) but only \(Self.size(free)) are free there")
        }
    }

    /// "1.2 GB" style size.
    public static func size(_ bytes: Double) -> String {
        bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.0f MB", (bytes / 1e6).rounded(.up))
    }

    // MARK: - Private

    /// The destination may be used: missing, empty, or (with `replace`) a folder of this kind.
    private func checkDestination() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: destination.path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw InputError("--out \(out): is a file, expected a folder") }
        let isKind = fm.fileExists(atPath: destination.appendingPathComponent(marker).path)
        let empty = ((try? fm.contentsOfDirectory(atPath: destination.path)) ?? ["x"]).isEmpty
        if !empty && !(replace && isKind) {
            throw InputError("--out \(out): folder exists and is not empty"
                + (isKind ? " (\(kind): pass --force to replace it)" : " and was not made by crtsim"))
        }
    }

    /// Takes the exclusive lock on `.NAME.lock`. A lock file unlinked by its previous holder between our open and
    /// our flock is detected by comparing inodes, and taken again.
    private func claim() throws {
        for _ in 0..<20 {
            let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw InputError("--out \(out): cannot create the lock file \(lockPath) (\(String(cString: strerror(errno))))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let holder = Self.readPid(fd)
                close(fd)
                throw InputError("--out \(out): another crtsim process\(holder.map { " (pid \($0))" } ?? "") is writing this folder; "
                    + "wait for it to finish or choose another --out")
            }
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(lockPath, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                let pid = "\(ProcessInfo.processInfo.processIdentifier)\n"
                _ = ftruncate(fd, 0)
                _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
                lockDescriptor = fd
                return
            }
            close(fd)  // the file we locked was unlinked meanwhile: try the new one
        }
        throw InputError("--out \(out): could not claim the folder (its lock file \(lockPath) keeps changing)")
    }

    private func release() {
        guard lockDescriptor >= 0 else { return }
        unlink(lockPath)  // before unlocking, so that a waiter that opened the old file sees the inode change
        close(lockDescriptor)
        lockDescriptor = -1
    }

    private static func readPid(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, 31, 0)
        guard n > 0 else { return nil }
        return Int(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func modificationDate(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}
