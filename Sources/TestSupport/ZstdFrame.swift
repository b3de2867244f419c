/// Hand-built Zstandard frames (RFC 8878), for tests that need a blob with exact properties
/// (a page that claims to expand to a gigabyte, a state stored uncompressed) without linking a
/// compressor. Only raw and RLE blocks are used: the frames are valid zstd, just not small,
/// except RLE, which is tiny whatever it expands to.
public enum ZstdFrame {
    /// The largest block a frame may hold (RFC 8878 §3.1.1.2.3, Block_Maximum_Size).
    public static let maximumBlockSize = 128 * 1024

    /// A frame whose content is `bytes`, stored in raw blocks. With `declaringSize` the header
    /// states the content size (as the `zstd` tool and `ZSTD_compress` do).
    public static func raw(_ bytes: [UInt8], declaringSize: Bool = true) -> [UInt8] {
        var frame = header(contentSize: declaringSize ? UInt64(bytes.count) : nil)
        var offset = 0
        repeat {
            let count = min(maximumBlockSize, bytes.count - offset)
            frame += blockHeader(last: offset + count == bytes.count, type: 0, size: count)
            frame += bytes[offset..<(offset + count)]
            offset += count
        } while offset < bytes.count
        return frame
    }

    /// A frame whose content is `count` copies of `byte`, in RLE blocks (4 bytes per 128 KiB
    /// of content). `declaredSize` is what the header claims (nil: no size in the header), so
    /// a frame can also lie about its size.
    public static func rle(byte: UInt8, count: UInt64, declaredSize: UInt64?) -> [UInt8] {
        var frame = header(contentSize: declaredSize)
        var remaining = count
        repeat {
            let size = Int(min(UInt64(maximumBlockSize), remaining))
            remaining -= UInt64(size)
            frame += blockHeader(last: remaining == 0, type: 1, size: size)
            frame.append(byte)
        } while remaining > 0
        return frame
    }

    /// Magic number and frame header. With a size: Single_Segment with an 8-byte
    /// Frame_Content_Size. Without: a Window_Descriptor of 128 KiB and no size field.
    static func header(contentSize: UInt64?) -> [UInt8] {
        var bytes: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        if let contentSize {
            bytes.append(0b1110_0000)  // FCS flag 3 (8 bytes), Single_Segment, no checksum, no dictionary
            bytes += littleEndian(contentSize, count: 8)
        } else {
            bytes.append(0b0000_0000)  // no FCS, not single segment
            bytes.append(7 << 3)  // Window_Descriptor: exponent 7 -> 2^(10+7) = 128 KiB
        }
        return bytes
    }

    /// Block_Header: Last_Block (bit 0), Block_Type (bits 1-2), Block_Size (bits 3-23).
    static func blockHeader(last: Bool, type: UInt32, size: Int) -> [UInt8] {
        let value = UInt32(last ? 1 : 0) | type << 1 | UInt32(size) << 3
        return littleEndian(UInt64(value), count: 3)
    }

    static func littleEndian(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (UInt64($0) * 8)) }
    }
}
