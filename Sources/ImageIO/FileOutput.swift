import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file could not be written (unwritable folder, full disk, a path crtsim cannot write to). `message` is one
/// line that names the file.
public struct OutputError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Writes result files so that a reader never sees a half-written file: the bytes go to a temporary file in the
/// same folder, which is then renamed over the destination (rename(2) is atomic within one file system). Missing
/// parent folders are created.
public enum FileOutput {
    /// Encodes `value` as JSON with sorted keys, pretty printing and unescaped slashes (stable, diff-friendly
    /// output: the same value always gives the same bytes), followed by a newline, and writes it atomically.
    /// - Parameters:
    ///   - value: any `Encodable` value.
    ///   - path: destination file path.
    /// - Throws: `OutputError` naming the file when encoding or writing fails.
    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let data: Data
        do {
            data = try jsonEncoder().encode(value)
        } catch {
            throw OutputError("\(path): cannot encode JSON: \(error)")
        }
        try writeData(data + Data("\n".utf8), to: path)
    }

    /// The encoder used by `writeJSON`: sorted keys, pretty printed, slashes unescaped. Values that may be
    /// undefined (metrics, verdicts) write null themselves; any other non-finite number is written as the string
    /// "NaN", "Infinity" or "-Infinity" rather than failing, so that an undefined value can never lose a result
    /// file (`jsonDecoder` reads them back).
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// The decoder matching `jsonEncoder`: reads the strings "NaN", "Infinity" and "-Infinity" as numbers.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// Writes `data` to `path` through a temporary file in the same folder and a rename.
    /// - Parameters:
    ///   - data: the bytes to write.
    ///   - path: destination file path; an existing file is replaced.
    /// - Throws: `OutputError` naming the file.
    public static func writeData(_ data: Data, to path: String) throws {
        try writeAtomically(to: path) { temporaryPath in
            do {
                try data.write(to: URL(fileURLWithPath: temporaryPath))
            } catch {
                throw OutputError("\(path): cannot write: \(error.localizedDescription)")
            }
        }
    }

    /// Runs `body` with a temporary path in the destination's folder whose name ends like `path` (so that
    /// writers choosing a format by extension, such as `.nii.gz`, behave the same), then renames the temporary
    /// file to `path`. The temporary file is removed when `body` or the rename fails.
    /// - Parameters:
    ///   - path: destination file path.
    ///   - body: writes the complete file at the path it is given; throws on failure.
    /// - Throws: whatever `body` throws, or `OutputError` naming the file.
    public static func writeAtomically(to path: String, _ body: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let name = url.lastPathComponent
        guard !name.isEmpty, name != ".", name != ".." else {
            throw OutputError("\(path): not a file path")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError("\(path): cannot create folder \(folder.path): \(error.localizedDescription)")
        }
        let temporary = folder.appendingPathComponent(".tmp-\(UUID().uuidString)-\(name)").path
        do {
            try body(temporary)
        } catch {
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw OutputError("\(path): cannot move the finished file into place: \(reason)")
        }
    }
}
