import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading an input file the user named (a phantom or scenario YAML, a JSON file of a case folder), refusing
/// anything that is not a regular file: a FIFO or a device could block a read forever, and a folder has no bytes.
/// The file is opened without blocking and checked on the open descriptor (no race between check and read).
public enum InputFile {
    /// Largest input file read whole (bytes): 256 MiB. Every crtsim text input is far smaller.
    public static let maximumBytes = 256 << 20

    /// The bytes of the regular file at `path`.
    /// - Parameters:
    ///   - path: the file.
    ///   - what: what the file should be, for messages ("scenario file").
    /// - Throws: `InputError` with one line naming the file: not found, not a regular file, unreadable, too large.
    public static func read(_ path: String, what: String = "file") throws -> Data {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw InputError("\(path): " + (e == ENOENT ? "file not found" : "cannot read the \(what): \(String(cString: strerror(e)))"))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw InputError("\(path): cannot read the \(what): \(String(cString: strerror(errno)))") }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG else {
            let kind = type == S_IFDIR ? "a folder" : type == S_IFIFO ? "a FIFO" : type == S_IFSOCK ? "a socket" : "a device"
            throw InputError("\(path): is \(kind), not a regular file (expected a \(what))")
        }
        guard Int(st.st_size) <= maximumBytes else {
            throw InputError("\(path): \(st.st_size) bytes is too large for a \(what) (at most \(maximumBytes))")
        }
        // Back to blocking reads: a regular file never blocks, and O_NONBLOCK only mattered for the open.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var data = Data(count: Int(st.st_size))
        var filled = 0
        while true {
            if filled == data.count { data.count += 1 << 16 }  // the file grew since fstat: keep reading
            let n = data.withUnsafeMutableBytes { buffer in systemRead(fd, buffer.baseAddress! + filled, buffer.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError("\(path): cannot read the \(what): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            filled += n
            guard filled <= maximumBytes else { throw InputError("\(path): too large for a \(what) (at most \(maximumBytes) bytes)") }
        }
        data.count = filled
        return data
    }

    /// The text of the regular file at `path`, which must be UTF-8.
    /// - Throws: `InputError` as `read`, or naming the file when it is not UTF-8 text.
    public static func readText(_ path: String, what: String = "file") throws -> String {
        let data = try read(path, what: what)
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): the \(what) is not UTF-8 text") }
        return text
    }

    /// Whether `path` names a regular file (following links); false for a missing path.
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
}

/// read(2), named apart from `InputFile.read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}
