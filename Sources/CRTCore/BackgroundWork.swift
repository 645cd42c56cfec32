import Dispatch
import Foundation

/// A throwing piece of work started on another thread at once; `wait` blocks until it has finished and rethrows
/// its error. Used to overlap independent steps (writing files while the next result is computed) without
/// changing what either produces.
public final class BackgroundWork: @unchecked Sendable {
    // @unchecked Sendable: `error` is written once by the work before `done` is signalled and read only after
    // waiting on `done`, which orders the write before the read.
    private let done = DispatchGroup()
    private var error: Error?

    public init(_ work: @escaping @Sendable () throws -> Void) {
        done.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            do { try work() } catch { self.error = error }
            done.leave()
        }
    }

    /// Blocks until the work has finished; throws the error it threw. May be called more than once.
    public func wait() throws {
        done.wait()
        if let error { throw error }
    }
}
