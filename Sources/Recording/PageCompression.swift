import CZstd

/// zstd compression of RAM pages and other blobs in a recording. Decompression never
/// allocates more than the caller's stated maximum, so a hostile blob that claims to expand
/// to a gigabyte is refused instead of believed.
enum PageCompression {
    /// Compresses `bytes` at `level` (by default 3, for what is written once: the embedded
    /// sources). A `Compressor` makes the same bytes without setting up zstd on every call.
    static func compress(_ bytes: [UInt8], level: Int32 = 3) -> [UInt8] {
        compress(bytes) { output, capacity, input, count in
            ZSTD_compress(output, capacity, input, count, level)
        }
    }

    /// zstd's level for what every keyframe stores (its pages and state): zstd's fastest
    /// regular level, -1, compresses a RAM page two to three times faster than level 3 into
    /// about the same size (at most a third more), and the recorder compresses hundreds of
    /// pages a second.
    static let keyframeLevel: Int32 = -1

    /// A zstd compression context kept from one call to the next, for the many small blobs of
    /// the keyframes (pages, states): one thread at a time.
    final class Compressor {
        private let context: OpaquePointer?
        private let level: Int32

        /// A context of its own, compressing at `level` (without a context, each call sets
        /// zstd up as `PageCompression.compress` does).
        init(level: Int32 = PageCompression.keyframeLevel) {
            context = ZSTD_createCCtx()
            self.level = level
        }

        deinit { ZSTD_freeCCtx(context) }

        /// `PageCompression.compress(bytes, level: level)`, byte for byte.
        func compress(_ bytes: [UInt8]) -> [UInt8] {
            let level = level
            guard let context else { return PageCompression.compress(bytes, level: level) }
            return PageCompression.compress(bytes) { output, capacity, input, count in
                ZSTD_compressCCtx(context, output, capacity, input, count, level)
            }
        }
    }

    /// Runs one of zstd's one-shot compressors (`body`: output, its capacity, input, its
    /// length) into a buffer of zstd's bound.
    private static func compress(
        _ bytes: [UInt8],
        with body: (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int) -> Int
    ) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { input in body(out.baseAddress, bound, input.baseAddress, bytes.count) }
        }
        precondition(ZSTD_isError(written) == 0, "zstd compression cannot fail with a bound-sized buffer")
        output.removeSubrange(written...)
        return output
    }

    /// The most bytes `compress` makes of `size` bytes.
    static func compressedBound(_ size: Int) -> Int { ZSTD_compressBound(size) }

    /// Decompresses a blob whose content must be exactly `expectedSize` bytes (or at most
    /// `maximumSize` when `expectedSize` is nil).
    static func decompress(_ blob: [UInt8], expectedSize: Int? = nil, maximumSize: Int = 1 << 26)
        throws(RecordingError) -> [UInt8]
    {
        let limit = expectedSize ?? maximumSize
        let declared = blob.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, blob.count) }
        if declared == ZSTD_CONTENTSIZE_ERROR { throw .damaged("a compressed block is not zstd data") }
        if declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > UInt64(limit) {
            throw .damaged("a compressed block claims \(declared) bytes, more than the \(limit) allowed")
        }
        var output = [UInt8](repeating: 0, count: limit)
        let written = output.withUnsafeMutableBytes { out in
            blob.withUnsafeBytes { input in
                ZSTD_decompress(out.baseAddress, limit, input.baseAddress, blob.count)
            }
        }
        if ZSTD_isError(written) != 0 {
            throw .damaged(
                "a compressed block does not decompress (\(String(cString: ZSTD_getErrorName(written))))")
        }
        if let expectedSize, written != expectedSize {
            throw .damaged("a compressed block holds \(written) bytes instead of \(expectedSize)")
        }
        output.removeSubrange(written...)
        return output
    }
}
