#if canImport(Glibc)
import Glibc
#endif
import CLZ4

/// A destination for bytes written block by block.
public protocol ByteOutput: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes and closes; the data is complete only after this returns.
    func finish() throws
    func close()
}

/// Opens `path` for writing, compressing as an LZ4 frame when `path` ends in `.lz4`.
public func openByteOutput(path: String, displayPath: String? = nil) throws -> any ByteOutput {
    let file = try FileOutput(path: path, displayPath: displayPath ?? path)
    if (displayPath ?? path).hasSuffix(".lz4") {
        return try LZ4FrameOutput(sink: file, path: displayPath ?? path)
    }
    return file
}

/// A plain file written with `write(2)`, created or truncated.
public final class FileOutput: ByteOutput {
    let fd: Int32
    let path: String
    private var closed = false

    public init(path: String, displayPath: String) throws {
        self.path = displayPath
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw InputError(path: displayPath, message: "cannot create: \(String(cString: strerror(errno)))") }
        self.fd = fd
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(path: path, message: "write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    public func finish() throws {
        if fsync(fd) != 0 && errno != EINVAL {
            throw InputError(path: path, message: "fsync failed: \(String(cString: strerror(errno)))")
        }
        close()
    }

    public func close() {
        if !closed { _ = Glibc.close(fd); closed = true }
    }

    deinit { close() }
}

/// Compresses into one LZ4 frame (readable by the `lz4` tool) through liblz4.
public final class LZ4FrameOutput: ByteOutput {
    private let sink: any ByteOutput
    private let path: String
    private var context: OpaquePointer?
    private var out: [UInt8]
    private var preferences = LZ4F_preferences_t()
    static let chunk = 1 << 16

    public init(sink: any ByteOutput, path: String) throws {
        self.sink = sink
        self.path = path
        var ctx: OpaquePointer?
        let code = LZ4F_createCompressionContext(&ctx, nightjar_lz4f_version())
        if LZ4F_isError(code) != 0 {
            throw InputError(path: path, message: "cannot start LZ4 compression: \(String(cString: LZ4F_getErrorName(code)))")
        }
        context = ctx
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        let bound = LZ4F_compressBound(LZ4FrameOutput.chunk, &preferences)
        out = [UInt8](repeating: 0, count: max(bound, 64 * 1024) + 64)
        let n = out.withUnsafeMutableBytes { LZ4F_compressBegin(context, $0.baseAddress, $0.count, &preferences) }
        try check(n)
        try emit(n)
    }

    private func check(_ code: Int) throws {
        if LZ4F_isError(code) != 0 {
            throw InputError(path: path, message: "LZ4 compression failed: \(String(cString: LZ4F_getErrorName(code)))")
        }
    }

    private func emit(_ count: Int) throws {
        guard count > 0 else { return }
        try out.withUnsafeBytes { (b) throws in try sink.write(UnsafeRawBufferPointer(rebasing: b[0..<count])) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = min(LZ4FrameOutput.chunk, bytes.count - offset)
            let written = out.withUnsafeMutableBytes {
                LZ4F_compressUpdate(context, $0.baseAddress, $0.count, bytes.baseAddress! + offset, n, nil)
            }
            try check(written)
            try emit(written)
            offset += n
        }
    }

    public func finish() throws {
        let n = out.withUnsafeMutableBytes { LZ4F_compressEnd(context, $0.baseAddress, $0.count, nil) }
        try check(n)
        try emit(n)
        try sink.finish()
        close()
    }

    public func close() {
        sink.close()
        if let context { LZ4F_freeCompressionContext(context) }
        context = nil
    }

    deinit { close() }
}
