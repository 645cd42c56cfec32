import Foundation

/// Folders written by the fixtures that this test process makes once and shares (`CaseStore`, the mitral-annulus
/// case), removed when the process exits: no single test may remove them, and each run otherwise left about 240 MB
/// in the temporary folder.
enum ProcessScratch {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var folders: [String] = []
    nonisolated(unsafe) private static var registered = false

    /// Removes `path` (and what is under it) when the process exits normally.
    static func removeAtExit(_ path: String) {
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
