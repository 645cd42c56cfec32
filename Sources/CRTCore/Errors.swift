/// A problem with user input (a phantom file, an option, an input image). The command line prints
/// `message` on one line and exits with code 2; nothing is written.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
