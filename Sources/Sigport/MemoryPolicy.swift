#if canImport(Glibc)
import Glibc
#endif

/// How the process asks the C allocator to treat large buffers.
///
/// A request body, a frame's values and a data-frame answer are each megabytes, made and freed
/// over and over on several threads. glibc serves a block that large with `mmap` and returns it on
/// `free` — until the first such free, after which its *dynamic* threshold rises to that block's
/// size and later ones come from the heap arenas, where freed memory stays with the process. An
/// import then held about 150 MB for about 100 MB of live data. A fixed threshold keeps every
/// block above 128 KiB on `mmap`: measured on a 100 MB import, peak RSS 147 → 98 MB, and `plan`
/// no slower (docs/performance.md).
public enum MemoryPolicy {
    public static let mmapThreshold: Int32 = 128 << 10

    /// Applies the policy; called once at the start of the process. Without glibc, nothing.
    public static func apply() {
        #if canImport(Glibc)
        // mallopt is in <malloc.h>, which the Glibc module does not bring; M_MMAP_THRESHOLD is -3
        // in glibc's ABI.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-3, mmapThreshold)
        #endif
    }
}
