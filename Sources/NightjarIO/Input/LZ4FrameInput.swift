import CLZ4

/// Decompresses an LZ4 frame stream (`lz4` command-line format) block by block through liblz4.
/// Concatenated frames are read one after another, as the `lz4` tool does.
public final class LZ4FrameInput: ByteInput {
    private let source: any ByteInput
    private let path: String
    private var context: OpaquePointer?
    private var compressed: [UInt8]
    private var compressedStart = 0
    private var compressedEnd = 0
    /// Offset in the compressed file of `compressed[0]`.
    private var compressedOffset = 0
    private var sourceDone = false
    private var frameDone = true
    private var sawAnyByte = false

    public init(source: any ByteInput, path: String) throws {
        self.source = source
        self.path = path
        self.compressed = [UInt8](repeating: 0, count: 1 << 20)
        var ctx: OpaquePointer?
        let code = LZ4F_createDecompressionContext(&ctx, nightjar_lz4f_version())
        if LZ4F_isError(code) != 0 {
            throw InputError(path: path, message: "cannot start LZ4 decompression: \(String(cString: LZ4F_getErrorName(code)))")
        }
        self.context = ctx
    }

    private func refill() throws {
        if compressedStart > 0 {
            let remaining = compressedEnd - compressedStart
            compressed.withUnsafeMutableBytes { b in
                b.baseAddress!.copyMemory(from: b.baseAddress! + compressedStart, byteCount: remaining)
            }
            compressedOffset += compressedStart
            compressedEnd = remaining
            compressedStart = 0
        }
        let n = try compressed.withUnsafeMutableBytes { (b) throws -> Int in
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: b[compressedEnd...]))
        }
        if n == 0 { sourceDone = true }
        compressedEnd += n
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if compressedStart == compressedEnd {
                if sourceDone {
                    if !frameDone {
                        throw InputError(path: path, message: "LZ4 frame ends early at byte \(compressedOffset + compressedStart): the file is truncated")
                    }
                    if !sawAnyByte {
                        throw InputError(path: path, message: "empty LZ4 file (no frame)")
                    }
                    return 0
                }
                try refill()
                continue
            }
            sawAnyByte = true
            var dstSize = buffer.count
            var srcSize = compressedEnd - compressedStart
            let offset = compressedOffset + compressedStart
            let hint = compressed.withUnsafeBytes { src in
                LZ4F_decompress(context, buffer.baseAddress, &dstSize, src.baseAddress! + compressedStart, &srcSize, nil)
            }
            if LZ4F_isError(hint) != 0 {
                throw InputError(path: path, message: "corrupt LZ4 frame near byte \(offset): \(String(cString: LZ4F_getErrorName(hint)))")
            }
            compressedStart += srcSize
            frameDone = hint == 0
            if dstSize > 0 { return dstSize }
            if srcSize == 0 && compressedStart < compressedEnd {
                // No progress with input available: ask for more input.
                try refill()
            }
        }
    }

    public func close() {
        source.close()
        if let context { LZ4F_freeDecompressionContext(context) }
        context = nil
    }

    deinit { close() }
}
