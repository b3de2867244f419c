import Machine

/// What a real recording can hold: the bounds the recorder writes within and the reader
/// checks, so that a hostile file cannot make a reader replay, allocate or wait more than its
/// own structure justifies (see docs/recording-format.md, "Reading untrusted files").
///
/// Both sides use these constants: a bound the recorder does not keep would make its own
/// recordings unreadable.
public enum RecordingLimits {
    /// The smallest keyframe interval (`--keyframe-interval`).
    public static let minimumKeyframeInterval: UInt64 = 1000

    /// The largest keyframe interval. A seek replays up to one interval: at ~0.7 ns per step
    /// (release build) this is under a second, and a run of 10^12 steps still needs only 1000
    /// keyframes. A file claiming more (2^62, say) would make a seek replay for years.
    public static let maximumKeyframeInterval: UInt64 = 1_000_000_000

    /// The largest embedded firmware: the ELF is the biggest value a recording holds (code,
    /// data and debug information of a firmware image; anything that can be loaded fits in
    /// 2 GiB of RAM, but a file this big is not firmware).
    public static let maximumFirmwareBytes = Firmware.maximumFileSize

    /// The largest value SQLite materialises when reading anything but the firmware (and, on
    /// boards with more than 16 MiB of RAM, a keyframe's executed-chunk list, 4 bytes per
    /// 16-byte chunk at most): a compressed
    /// machine state is at most about 1 MiB, a console chunk 1 MiB, everything else far less.
    /// Larger values fail inside SQLite (`SQLITE_LIMIT_LENGTH`) before any memory is given to them.
    static let maximumValueBytes = 4 << 20

    /// The largest firmware name and board description (a file name and a small JSON object).
    static let maximumNameBytes = 4096

    /// The largest end detail and marker text (a crash report naming a symbol; a console line
    /// is at most 1024 bytes).
    static let maximumTextBytes = 64 << 10

    /// The largest machine state JSON (32 registers, the CSRs and the devices' state, with room).
    static let maximumStateJSONBytes = 1 << 20

    /// RAM pages one step can write: a misaligned store across a page boundary writes two, and
    /// the HTIF reply or a semihosting read can add two more. Keyframe `j` stores at most this
    /// many pages per step of its interval.
    static let maximumPagesWrittenPerStep: UInt64 = 4

    /// Executed-chunk entries one step can add: a block records every chunk its instructions
    /// cover (at most 64 instructions, 256 bytes: 17 chunks of 16 bytes), with room to spare.
    static let maximumChunksExecutedPerStep: UInt64 = 20

    /// Distinct marker kinds: the fixed kinds and the trap causes a machine can raise (about 20).
    static let maximumMarkerKinds = 64

    /// The largest source file a recording embeds, in bytes before compression: far above any
    /// hand-written C file (a generated table this big is not worth mailing). Larger files
    /// stay out of the recording, and a reader refuses a row that claims more.
    public static let maximumSourceFileBytes = 4 << 20

    /// The most source bytes a recording embeds in all (before compression). The files are
    /// taken in path order; one that would pass this stays out and smaller ones after it may
    /// still fit.
    public static let maximumSourceBytes = 32 << 20

    /// The most source files a recording embeds: a big firmware's line tables name a few
    /// thousand (every header of its libraries).
    public static let maximumSourceFiles = 8192

    /// The longest path of an embedded source file, in bytes (Linux's PATH_MAX).
    public static let maximumSourcePathBytes = 4096

    /// Wall-clock time any one read of the file may take. Reads of a real recording take
    /// milliseconds (a `GROUP BY` over ten million markers about a second); SQLite is
    /// interrupted past this, so that no query can run unbounded.
    static let queryTimeBudget: Double = 10
}
