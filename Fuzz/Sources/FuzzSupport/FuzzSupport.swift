import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers of the fuzz targets: a per-process scratch folder in /dev/shm (RAM, so writing every input
/// costs microseconds), and the repository's folders.
public enum FuzzSupport {
    /// `/dev/shm/crtsim-fuzz-<pid>` (or `$TMPDIR` when /dev/shm is missing), created on first use and removed at exit.
    public static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm"
            : (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
        let dir = "\(base)/crtsim-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: FuzzSupport.scratchForCleanup) }
        return dir
    }()

    private static var scratchForCleanup: String = ""

    /// Writes the input bytes to `scratch/name` (replacing the previous input) and returns the path.
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) -> String {
        let path = scratch + "/" + name
        scratchForCleanup = scratch
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < size {
            let n = Glibc.write(fd, data + done, size - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }

    /// The input as UTF-8 text, or nil when it is not valid UTF-8 (a reader of text files never sees such bytes
    /// through `String(contentsOfFile:encoding: .utf8)`).
    public static func text(_ data: UnsafePointer<UInt8>, _ size: Int) -> String? {
        String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    }

    /// With `CRTSIM_FUZZ_VERBOSE=1` the targets print each input's outcome (the reader's error message, or "ok"),
    /// e.g. to check that the seeds read cleanly: `CRTSIM_FUZZ_VERBOSE=1 fuzz-phantom -runs=0 corpus/phantom`.
    public static let verbose = ProcessInfo.processInfo.environment["CRTSIM_FUZZ_VERBOSE"] == "1"

    /// Runs one read; errors thrown are the expected outcome for bad input (printed when `verbose`).
    public static func attempt<T>(_ read: () throws -> T) {
        do {
            _ = try read()
            if verbose { print("fuzz: ok") }
        } catch {
            if verbose { print("fuzz: \(error)") }
        }
    }

    /// The repository root: `$CRTSIM_ROOT`, else two folders above this package (Fuzz/..).
    public static let repositoryRoot: String = {
        if let r = ProcessInfo.processInfo.environment["CRTSIM_ROOT"], !r.isEmpty { return r }
        // #filePath = <root>/Fuzz/Sources/FuzzSupport/FuzzSupport.swift
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
}
