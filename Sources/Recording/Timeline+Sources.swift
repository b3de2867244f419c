import Machine

/// The source files a recording embeds (format 2: `record` and `watch` embed those the
/// firmware's line tables name that were readable when the recording started). A recording
/// made before Timescope embedded sources has none; a damaged source table fails these calls
/// (`.damaged`) and nothing else: the run itself still replays.
extension Timeline {
    /// The embedded sources without their contents, in path order. The list is checked as a
    /// whole on first use (counts, sizes and types against `RecordingLimits`) and kept.
    public func embeddedSources() throws(RecordingError) -> [EmbeddedSourceEntry] {
        if let entries = sourceEntriesCache.value { return entries }
        let entries = try file.readSourceEntries()
        sourceEntriesCache.value = entries
        return entries
    }

    /// The embedded copy of the source file the line tables name `path` (compared byte for
    /// byte), or nil when the recording holds none. Decompresses it each time (at most 4 MiB):
    /// the caller keeps what it shows.
    public func embeddedSource(path: String) throws(RecordingError) -> EmbeddedSource? {
        guard try embeddedSources().contains(where: { $0.path == path }) else { return nil }
        return try file.readSource(path: path)
    }

    /// Decompresses every embedded source and checks it against its listed size (`verify`).
    func checkEmbeddedSources() throws(RecordingError) {
        for entry in try embeddedSources() {
            guard try file.readSource(path: entry.path) != nil else {
                throw .damaged("the embedded source \(entry.path) is listed but cannot be read")
            }
        }
    }
}
