import Foundation
import Testing

/// A screen committed as text in `Snapshots/NAME.txt`, compared with what a test renders.
///
/// On a mismatch the test fails with the differing lines (numbered, expected above actual, a
/// caret under the first differing column) and writes what it rendered to
/// `Snapshots/NAME.actual.txt`. With `TIMESCOPE_RECORD_SNAPSHOTS=1` it writes the rendered text
/// as the snapshot instead, and fails, so that a recording run never passes silently.
struct Snapshot {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Snapshots")
    static var isRecording: Bool { ProcessInfo.processInfo.environment["TIMESCOPE_RECORD_SNAPSHOTS"] == "1" }
    /// Differing lines shown in a failure before the rest are counted.
    static let maximumLinesShown = 40

    let name: String
    var url: URL { Snapshot.directory.appendingPathComponent(name + ".txt") }
    var actualURL: URL { Snapshot.directory.appendingPathComponent(name + ".actual.txt") }

    init(_ name: String) {
        self.name = name
    }

    /// Records an issue unless `actual` is the committed snapshot.
    func expect(_ actual: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let stored = actual + "\n"
        if Snapshot.isRecording {
            do {
                try FileManager.default.createDirectory(
                    at: Snapshot.directory, withIntermediateDirectories: true)
                try stored.write(to: url, atomically: true, encoding: .utf8)
                try? FileManager.default.removeItem(at: actualURL)
                Issue.record(
                    "recorded \(url.path); unset TIMESCOPE_RECORD_SNAPSHOTS, read it, and run again",
                    sourceLocation: sourceLocation)
            } catch {
                Issue.record("could not record \(url.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path),
            let expected = String(data: data, encoding: .utf8)
        else {
            writeActual(stored)
            Issue.record(
                "no snapshot \(url.path) (what was rendered is in \(actualURL.lastPathComponent)); record it with TIMESCOPE_RECORD_SNAPSHOTS=1",
                sourceLocation: sourceLocation)
            return
        }
        let expectedText = expected.hasSuffix("\n") ? String(expected.dropLast()) : expected
        guard expectedText != actual else {
            try? FileManager.default.removeItem(at: actualURL)
            return
        }
        writeActual(stored)
        Issue.record(
            """
            snapshot \(name) differs from what was rendered; the rendering is in \(actualURL.path)
            (if the change is right: TIMESCOPE_RECORD_SNAPSHOTS=1 records it)
            \(Snapshot.lineDiff(expected: expectedText, actual: actual))
            """,
            sourceLocation: sourceLocation)
    }

    private func writeActual(_ text: String) {
        try? text.write(to: actualURL, atomically: true, encoding: .utf8)
    }

    /// The lines that differ, numbered from 1, as
    ///
    /// ```
    /// line 3:
    ///   expected ││x1  ra   80000360     │
    ///   actual   ││x1  ra   80000361     │
    ///                              ^ column 18
    /// ```
    static func lineDiff(expected: String, actual: String) -> String {
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let count = max(expectedLines.count, actualLines.count)
        var differing: [Int] = []
        for index in 0..<count {
            let left = index < expectedLines.count ? expectedLines[index] : nil
            let right = index < actualLines.count ? actualLines[index] : nil
            if left != right { differing.append(index) }
        }
        var report = [
            "\(differing.count) of \(count) lines differ (expected \(expectedLines.count) lines, rendered \(actualLines.count)):"
        ]
        for index in differing.prefix(maximumLinesShown) {
            let left = index < expectedLines.count ? expectedLines[index] : nil
            let right = index < actualLines.count ? actualLines[index] : nil
            report.append("line \(index + 1):")
            report.append("  expected " + (left.map { "│" + $0 } ?? "(no line)"))
            report.append("  actual   " + (right.map { "│" + $0 } ?? "(no line)"))
            if let left, let right {
                let column = firstDifference(Array(left.unicodeScalars), Array(right.unicodeScalars))
                report.append(String(repeating: " ", count: 12 + column) + "^ column \(column + 1)")
            }
        }
        if differing.count > maximumLinesShown {
            report.append("… and \(differing.count - maximumLinesShown) more lines")
        }
        return report.joined(separator: "\n")
    }

    private static func firstDifference(_ left: [Unicode.Scalar], _ right: [Unicode.Scalar]) -> Int {
        var index = 0
        while index < left.count && index < right.count && left[index] == right[index] { index += 1 }
        return index
    }
}
