#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of bytes read block by block (a file, or a decompressed LZ4 frame).
public protocol ByteInput: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    func close()
}

/// Opens `path` for reading, decompressing transparently when it ends in `.lz4`.
public func openByteInput(path: String) throws -> any ByteInput {
    let file = try FileInput(path: path)
    if path.hasSuffix(".lz4") {
        return try LZ4FrameInput(source: file, path: path)
    }
    return file
}

/// A plain file read with `read(2)`.
public final class FileInput: ByteInput {
    let fd: Int32
    public let path: String
    private var closed = false

    public init(path: String) throws {
        self.path = path
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            throw InputError(path: path, message: e == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(e)))",
                             kind: e == ENOENT || e == EACCES ? .temporary : .input)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw InputError(path: path, message: "is a directory, not a file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError(path: path, message: "cannot open: \(String(cString: strerror(errno)))", kind: .temporary) }
        self.fd = fd
    }

    /// Moves to byte `offset` (used to resume from a checkpoint).
    public func seek(to offset: Int64) throws {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            throw InputError(path: path, message: "cannot seek to byte \(offset): \(String(cString: strerror(errno)))")
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError(path: path, message: "read failed: \(String(cString: strerror(errno)))", kind: .temporary)
        }
    }

    public func close() {
        if !closed { _ = Glibc.close(fd); closed = true }
    }

    deinit { close() }
}
