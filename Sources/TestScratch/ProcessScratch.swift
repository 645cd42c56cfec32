import Foundation

/// Folders written by the fixtures that a test process makes once and shares (the pipeline tests' `CaseStore`, the
/// mitral-annulus case, the reliability tests' case), removed when the process exits: no single test may remove
/// them, and each full run otherwise left about 245 MB in the temporary folder. Test support only.
public enum ProcessScratch {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var folders: [String] = []
    nonisolated(unsafe) private static var registered = false

    /// Removes `path` (and what is under it) when the process exits normally.
    public static func removeAtExit(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        if !folders.contains(path) { folders.append(path) }
        if !registered {
            registered = true
            atexit { ProcessScratch.removeAll() }
        }
    }

    private static func removeAll() {
        lock.lock(); let paths = folders; lock.unlock()
        for p in paths { try? FileManager.default.removeItem(atPath: p) }
    }
}
