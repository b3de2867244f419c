/// Where the source pane gets a file's text from, by the path the line tables name it (as the
/// compiler saw it). `SourceLibrary` is the inspector's: the recording's embedded copy, else
/// the file on disk; tests give their own.
public protocol SourceTextProvider: AnyObject {
    /// The text of the file the line tables name `file`, or a note saying why there is none.
    func source(for file: String) -> SourceText
}

extension SourceLibrary: SourceTextProvider {}

extension SourceText {
    /// No lines, and `note` saying why ("source not available: sensorhub.c").
    public static func unavailable(_ note: String) -> SourceText {
        SourceText(lines: [], origin: .unavailable, note: note)
    }
}
