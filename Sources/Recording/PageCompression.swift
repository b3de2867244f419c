import CZstd

/// zstd compression of RAM pages and other blobs in a recording. Decompression never
/// allocates more than the caller's stated maximum, so a hostile blob that claims to expand
/// to a gigabyte is refused instead of believed.
enum PageCompression {
    /// Compresses `bytes` (level 3: fast, and RAM pages compress well anyway).
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { input in
                ZSTD_compress(out.baseAddress, bound, input.baseAddress, bytes.count, 3)
            }
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
