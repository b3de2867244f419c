/// Why the terminal could not be taken over, in words for the person at it.
public struct TerminalError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong and what to do about it.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}
