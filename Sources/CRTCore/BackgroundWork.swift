import Dispatch
import Foundation

/// A throwing piece of work started on another thread at once; `wait` blocks until it has finished and returns
/// its result or rethrows its error. Used to overlap independent steps (writing files while the next result is
/// computed) without changing what either produces.
public final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `result` is written once by the work before `done` is signalled and read only after
    // waiting on `done`, which orders the write before the read.
    private let done = DispatchGroup()
    private var result: Result<Value, Error>?

    public init(_ work: @escaping @Sendable () throws -> Value) {
        done.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = Result { try work() }
            done.leave()
        }
    }

    /// Blocks until the work has finished; its value, or the error it threw. May be called more than once.
    @discardableResult
    public func wait() throws -> Value {
        done.wait()
        return try result!.get()
    }
}
