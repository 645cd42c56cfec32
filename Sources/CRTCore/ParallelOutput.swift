/// An output array that parallel jobs fill in disjoint ranges (each job owns its range, so no two jobs write the
/// same element). Used with `DispatchQueue.concurrentPerform`; results do not depend on scheduling.
public final class ParallelOutput<Element>: @unchecked Sendable {
    // @unchecked Sendable: the storage is written by parallel jobs in disjoint index ranges only (never the same
    // element from two jobs), and read after `concurrentPerform` has returned, which orders the writes before it.
    public let count: Int
    // @usableFromInline and the members @inlinable: specialised in the calling module, a fill or copy of a
    // [Float] is a memset / memcpy instead of a generic value-witness call per element.
    @usableFromInline let storage: UnsafeMutableBufferPointer<Element>

    @inlinable public init(count: Int, initial: Element) {
        self.count = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: initial)
    }
    deinit {
        storage.deinitialize()   // elements may own memory (arrays, strings)
        storage.deallocate()
    }

    /// The writable range `r` (disjoint between jobs).
    @inlinable public func range(_ r: Range<Int>) -> UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(rebasing: storage[r])
    }
    /// A copy of the contents.
    @inlinable public var array: [Element] { Array(storage) }
}
