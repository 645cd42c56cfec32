/// Why a figure could not be drawn or written. Figures never crash on bad input or a cairo failure; they throw
/// this error, whose `description` is one line suitable for a log or the command line.
public enum FigureError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The arguments cannot make a figure (empty volume, frame out of range, mismatched label volume, ...).
    case invalidInput(String)
    /// A cairo call reported an error status.
    /// - Parameters:
    ///   - operation: what crtsim asked cairo to do, including the file path when one is involved.
    ///   - status: cairo's own description of the status (`cairo_status_to_string`).
    case cairo(operation: String, status: String)

    public var description: String {
        switch self {
        case .invalidInput(let message): return "cannot draw figure: \(message)"
        case .cairo(let operation, let status): return "cairo failed to \(operation): \(status)"
        }
    }
}
