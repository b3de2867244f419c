import ArgumentParser
import Foundation
import Machine
import Recording

/// `timescope ls`: the sessions `record` and `watch` kept (see `SessionDirectory`).
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the recordings kept by record and watch without -o, newest last.",
        discussion: """
            One line each: name, size, steps, how it ended, age; `latest` marks the newest \
            session. A file that does not open says why instead. Open one with \
            `timescope view NAME` (`timescope view` alone opens the latest).
            """
    )

    func run() throws {
        let directory = try SessionDirectory.forUser()
        let entries = directory.recordings()
        guard !entries.isEmpty else {
            print(
                "no recordings kept in \(directory.path) yet: `timescope record fw.elf` or `timescope watch fw.elf` keeps one there"
            )
            return
        }
        print(directory.path)
        let latest = directory.latest.map { ($0 as NSString).lastPathComponent }
        let now = Date()
        let rows = entries.map { entry in
            [entry.name, Self.size(entry.bytes)] + Self.describe(entry) + [
                Self.age(now.timeIntervalSince(entry.modified)), entry.name == latest ? "latest" : "",
            ]
        }
        // Columns: name, size, steps, ending, age, latest; a damaged file's line is its reason.
        let widths = (0..<6).map { column in rows.map { $0.count == 6 ? $0[column].count : 0 }.max() ?? 0 }
        for row in rows {
            guard row.count == 6 else {
                print(
                    "  "
                        + [pad(row[0], widths[0]), pad(row[1], widths[1], right: true), row[2]].joined(
                            separator: "  "))
                continue
            }
            let cells = [
                pad(row[0], widths[0]), pad(row[1], widths[1], right: true),
                pad(row[2], widths[2], right: true),
                pad(row[3], widths[3]), pad(row[4], widths[4], right: true), row[5],
            ]
            print(
                "  "
                    + cells.joined(separator: "  ").replacingOccurrences(
                        of: #"\s+$"#, with: "", options: .regularExpression))
        }
    }

    /// Steps and ending, or the one-line reason it does not open.
    private static func describe(_ entry: SessionDirectory.Entry) -> [String] {
        guard entry.bytes > 0 else { return ["empty: a session starting, or one that never started"] }
        do {
            let timeline = try Timeline(path: entry.path, checksKeyframes: false)
            let ending = timeline.summary.ending
            var ended: String
            switch ending.reason {
            case .exited: ended = "exited \(ending.exitCode ?? 0)"
            case .interrupted where !timeline.isFinished:
                if case .running(let pid) = timeline.writer {
                    ended = "being recorded (pid \(pid))"
                } else {
                    ended = "unfinished"
                }
            default: ended = ending.reason.rawValue
            }
            return ["\(ending.totalSteps) steps", ended]
        } catch {
            return ["damaged: \(error)"]
        }
    }

    /// Bytes as B, KB, MB or GB (powers of 1024), one decimal below 10.
    static func size(_ bytes: UInt64) -> String {
        var value = Double(bytes)
        for unit in ["B", "KB", "MB", "GB"] {
            if value < 1024 || unit == "GB" {
                return unit == "B"
                    ? "\(bytes) B"
                    : (value < 10 ? String(format: "%.1f", value) : "\(Int(value))") + " " + unit
            }
            value /= 1024
        }
        return "\(bytes) B"
    }

    /// How long ago, in the largest whole unit.
    static func age(_ seconds: TimeInterval) -> String {
        switch max(0, seconds) {
        case ..<60: "just now"
        case ..<3600: "\(Int(seconds / 60)) min ago"
        case ..<86400: "\(Int(seconds / 3600)) h ago"
        case ..<172_800: "1 day ago"
        default: "\(Int(seconds / 86400)) days ago"
        }
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
