// index.d.ts: types for mmap-native (hand-written; kept in step with lib/).
//
// One CommonJS declaration serves both entry points. `require('mmap-native')` is module.exports;
// index.mjs re-exports that object as its default export and every property by name, which is
// exactly what TypeScript models for an ES module that imports a CommonJS module under
// `module: nodenext`: `import mmap, { Mmap } from 'mmap-native'` and `import mmap =
// require('mmap-native')` both type-check and both match the runtime. (An `export default` here
// would promise a `default` property that module.exports does not have.)

/// <reference types="node" />

declare namespace mmap {
  /** An integer as a number or a bigint. Numbers that are not integers are a RangeError. */
  type Integer = number | bigint

  /** Bytes the module accepts as data: a Buffer, any TypedArray, a DataView or an ArrayBuffer. */
  type BytesLike = ArrayBufferView | ArrayBuffer | SharedArrayBuffer

  /** Options of lines(). */
  interface LinesOptions {
    /** Keep each line's `\n` (default false). */
    keepEnds?: boolean
    /** Without keepEnds, also strip a `\r` right before the `\n` (default false). */
    crlf?: boolean
  }

  /** What find(), rfind() and count() look for: bytes, or a string (searched as UTF-8). */
  type Needle = BytesLike | string

  /** A path open() accepts. */
  type PathLike = string | Buffer | URL

  /** Anything with a numeric `fd`, such as a `fs.promises.FileHandle`. */
  interface HasFd {
    readonly fd: number
  }

  /** `ACCESS_DEFAULT` (0), `ACCESS_READ` (1), `ACCESS_WRITE` (2) or `ACCESS_COPY` (3). */
  type AccessMode = 0 | 1 | 2 | 3 | 0n | 1n | 2n | 3n

  /** `SEEK_SET` (0), `SEEK_CUR` (1) or `SEEK_END` (2). */
  type Whence = 0 | 1 | 2 | 0n | 1n | 2n

  /** Options every map takes. */
  interface MmapBaseOptions {
    /** Byte offset in the file: any non-negative integer (aligned internally). Default 0. */
    offset?: Integer
    /** Default `true`: the map keeps its own duplicate of the descriptor. */
    trackfd?: boolean
    /** Windows only: the name of the mapping object. A string elsewhere is ERR_INVALID_ARG_VALUE. */
    tagname?: string | null
  }

  /** A map described by `access` (flags and prot follow from it). */
  interface MmapAccessOptions extends MmapBaseOptions {
    /** Default `ACCESS_DEFAULT`. */
    access?: AccessMode
    flags?: undefined
    prot?: undefined
  }

  /** A map described by POSIX `flags` and `prot` (`access` must then be `ACCESS_DEFAULT`). */
  interface MmapFlagsOptions extends MmapBaseOptions {
    access?: 0 | 0n
    /** POSIX: `MAP_SHARED` (default) or `MAP_PRIVATE`, OR-ed with platform flags. */
    flags?: Integer
    /** POSIX: `PROT_READ | PROT_WRITE` (default), `PROT_READ`, ... */
    prot?: Integer
  }

  /**
   * Options of `new Mmap()`. `access` together with `flags`/`prot` is ERR_INVALID_ARG_VALUE, as
   * in Python, so the two ways of describing a map are separate.
   */
  type MmapOptions = MmapAccessOptions | MmapFlagsOptions

  /**
   * open() described by `flags`/`prot`: with either of them `access` defaults to ACCESS_DEFAULT
   * (otherwise open() defaults it to ACCESS_READ), and may only be ACCESS_DEFAULT.
   */
  interface OpenFlagsOptions extends MmapBaseOptions {
    access?: 0 | 0n
    flags?: Integer
    prot?: Integer
  }

  /** Options open() adds: how much to map. */
  interface OpenMapOptions {
    /** Bytes to map; 0 (default) maps from `offset` to the end of the file. */
    length?: Integer
  }

  /** open() creating (or extending) the file. */
  interface OpenCreateOptions {
    /** Create the file if it is missing (it is then opened read-write). */
    create: true
    /** Extend the file to at least `size` bytes before mapping (never shrinks it). */
    size?: Integer
  }

  /** open() of an existing file: `size` needs `create: true`. */
  interface OpenExistingOptions {
    create?: boolean
    size?: undefined
  }

  /** Options of open(): the map's options, `length`, and `create` with `size`. */
  type OpenOptions = (MmapAccessOptions | OpenFlagsOptions) & OpenMapOptions & (OpenCreateOptions | OpenExistingOptions)

  /** The `[start, end)` pairs of a match made with the `d` flag, as absolute byte offsets. */
  interface MmapMatchIndices extends Array<[number, number]> {
    groups?: { [name: string]: [number, number] }
  }

  /**
   * A regular-expression match over the map's bytes read as latin1 (one character per byte).
   * Unlike a string's match, `index` is an absolute byte offset in the map and `input` is
   * undefined (the map is never one string).
   */
  interface MmapMatch extends Array<string> {
    0: string
    /** The absolute byte offset of the match in the map. */
    index: number
    input: undefined
    groups?: { [name: string]: string }
    /** With the `d` flag: absolute byte offsets. */
    indices?: MmapMatchIndices
  }

  /** The options of flush() and flushAsync(). */
  interface FlushOptions {
    /** POSIX only: MS_SYNC (the default), MS_ASYNC, optionally OR-ed with MS_INVALIDATE. */
    flags?: Integer
  }

  /** Options of the work findAsync, rfindAsync and countAsync run on the libuv thread pool. */
  interface MmapScanOptions {
    /** Stops the work at its next chunk; the promise then rejects with an `AbortError` (`code: 'ABORT_ERR'`). */
    signal?: AbortSignal
    /**
     * Threads (pool work items) to split the range across, 1 to 1024; default: the pool's size
     * (`UV_THREADPOOL_SIZE`, 4) or the CPUs available, whichever is smaller.
     */
    threads?: Integer
  }

  /** Options of prefetch(). */
  interface MmapPrefetchOptions {
    /** Stops the work at its next chunk; the promise then rejects with an `AbortError`. */
    signal?: AbortSignal
  }

  /** What residency() reports: bytes of the whole pages covering the range. */
  interface MmapResidency {
    /** Bytes of those pages that are in memory. */
    resident: number
    /** Bytes of those pages. */
    total: number
  }

  /** The codes of the errors the module itself throws (OS errors carry the OS code instead). */
  type MmapErrorCode =
    | 'ERR_INVALID_ARG_TYPE'
    | 'ERR_INVALID_ARG_VALUE'
    | 'ERR_OUT_OF_RANGE'
    | 'ERR_MMAP_READONLY'
    | 'ERR_MMAP_CLOSED'
    | 'ERR_MMAP_TRUNCATED'
    | 'ERR_MMAP_BUSY'
    | 'ERR_MMAP_CANCELLED'
    | 'ERR_MMAP_EXTERNAL_BUFFERS'
    | 'ERR_MMAP_NO_BINARY'
    | 'ERR_MMAP_TRANSFER'
    | 'ERR_INVALID_THIS'
    | 'ERR_MMAP_CHANGED'

  /** An error the module throws for a usage or state problem (TypeError, RangeError or Error). */
  interface MmapError extends Error {
    code: MmapErrorCode
  }

  /** The portable name of the operation an OS error came from. */
  type MmapSyscall =
    | 'mmap' | 'munmap' | 'mremap' | 'msync' | 'madvise' | 'ftruncate' | 'fstat' | 'dup' | 'prctl' | 'open'
    | 'mincore' | 'mlock' | 'munlock'

  /** An error the operating system reported, in node:fs's shape (`EACCES: permission denied, mmap`). */
  interface MmapSystemError extends Error {
    /** The OS error name: `'EACCES'`, `'ENOMEM'`, `'EBADF'`, ... */
    code: string
    /** The negative errno, as node:fs reports it (`util.getSystemErrorName(errno) === code`). */
    errno: number
    syscall: MmapSyscall
    /** Set when open() made the map. */
    path?: string
  }

  /** Every constant, as one frozen object; platform constants only where the platform has them. */
  interface Constants {
    readonly ACCESS_DEFAULT: 0
    readonly ACCESS_READ: 1
    readonly ACCESS_WRITE: 2
    readonly ACCESS_COPY: 3
    readonly SEEK_SET: 0
    readonly SEEK_CUR: 1
    readonly SEEK_END: 2
    readonly PAGESIZE: number
    readonly ALLOCATIONGRANULARITY: number
    readonly PROT_READ?: number
    readonly PROT_WRITE?: number
    readonly PROT_EXEC?: number
    readonly MAP_SHARED?: number
    readonly MAP_PRIVATE?: number
    readonly MAP_ANON?: number
    readonly MAP_ANONYMOUS?: number
    readonly MAP_DENYWRITE?: number
    readonly MAP_EXECUTABLE?: number
    readonly MAP_POPULATE?: number
    readonly MAP_STACK?: number
    readonly MAP_NORESERVE?: number
    readonly MAP_32BIT?: number
    readonly MAP_ALIGNED_SUPER?: number
    readonly MAP_CONCEAL?: number
    readonly MAP_NOEXTEND?: number
    readonly MAP_HASSEMAPHORE?: number
    readonly MAP_NOCACHE?: number
    readonly MAP_JIT?: number
    readonly MAP_RESILIENT_CODESIGN?: number
    readonly MAP_RESILIENT_MEDIA?: number
    readonly MAP_TRANSLATED_ALLOW_EXECUTE?: number
    readonly MAP_UNIX03?: number
    readonly MAP_TPRO?: number
    readonly MADV_NORMAL?: number
    readonly MADV_RANDOM?: number
    readonly MADV_SEQUENTIAL?: number
    readonly MADV_WILLNEED?: number
    readonly MADV_DONTNEED?: number
    readonly MADV_REMOVE?: number
    readonly MADV_DONTFORK?: number
    readonly MADV_DOFORK?: number
    readonly MADV_MERGEABLE?: number
    readonly MADV_UNMERGEABLE?: number
    readonly MADV_HUGEPAGE?: number
    readonly MADV_NOHUGEPAGE?: number
    readonly MADV_DONTDUMP?: number
    readonly MADV_DODUMP?: number
    readonly MADV_HWPOISON?: number
    readonly MADV_SOFT_OFFLINE?: number
    readonly MADV_FREE?: number
    readonly MADV_NOSYNC?: number
    readonly MADV_AUTOSYNC?: number
    readonly MADV_NOCORE?: number
    readonly MADV_CORE?: number
    readonly MADV_PROTECT?: number
    readonly MADV_FREE_REUSABLE?: number
    readonly MADV_FREE_REUSE?: number
    /** POSIX: flush() flags (Python 3.15's mmap.MS_*); absent on Windows. */
    readonly MS_SYNC?: number
    readonly MS_ASYNC?: number
    readonly MS_INVALIDATE?: number
  }

  /** A memory map: Python's `mmap.mmap`. */
  class Mmap implements Disposable {
    #private

    /**
     * Maps `length` bytes of the open file `fd` (an integer descriptor, a FileHandle, or -1 for
     * anonymous memory). `length` 0 maps from `offset` to the end of the file.
     */
    constructor(fd: Integer | HasFd, length: Integer, options?: MmapOptions | null)

    /** The map's length in bytes; throws ERR_MMAP_CLOSED once closed. */
    readonly length: number
    /** `true` after close(). */
    readonly closed: boolean
    /** The whole map as one zero-copy ArrayBuffer (detached by close() and by a resize that moves it). */
    readonly buffer: ArrayBuffer

    /** Unmaps and detaches every view handed out; idempotent. */
    close(): void
    /** close(), so `using m = ...` works. */
    [Symbol.dispose](): void

    /** The size of the file behind the map; an anonymous map's length. */
    size(): number
    /** A zero-copy Buffer over `[start, end)` of the map, clamped like Buffer.subarray. */
    subarray(start?: Integer, end?: Integer): Buffer

    /** The byte at `index` (negative counts from the end). */
    get(index: Integer): number
    /** Sets the byte at `index` to `value` (0..255). */
    set(index: Integer, value: Integer): void
    /** A copy of `m[start:end:step]`, with Python's slice clamping. */
    slice(start?: Integer | null, end?: Integer | null, step?: Integer | null): Buffer
    /** `m[start:end:step] = data`; `data` must have exactly the slice's length. */
    setSlice(start: Integer | null | undefined, end: Integer | null | undefined, data: BytesLike, step?: Integer | null): void

    /** The lowest index of `sub` in `[start, end)`, or -1; `start` defaults to the position. */
    find(sub: Needle, start?: Integer | null, end?: Integer | null): number
    /** The highest index of `sub` in `[start, end)`, or -1; `start` defaults to the position. */
    rfind(sub: Needle, start?: Integer | null, end?: Integer | null): number
    /** Non-overlapping occurrences of `sub` in `[start, end)`, like Python's `bytes.count`. */
    count(sub: Needle, start?: Integer | null, end?: Integer | null): number

    /** A copy of up to `n` bytes from the position (omitted, null or negative: to the end). */
    read(n?: Integer | null): Buffer
    /** The byte at the position; at the end it throws ERR_OUT_OF_RANGE. */
    readByte(): number
    /** Up to and including the next `\n` (or to the end). */
    readline(): Buffer
    /**
     * The lines of `[start, end)` (bytes-style bounds, as count()) as zero-copy Buffers over the
     * map, like Python's readline loop over that range: without the `\n` unless `keepEnds`, a
     * last line without one included, nothing for an empty range. Throws ERR_MMAP_CLOSED or
     * ERR_MMAP_CHANGED when the map is closed or resized during the iteration.
     */
    lines(start?: Integer | null, end?: Integer | null, options?: LinesOptions | null): IterableIterator<Buffer>
    /** The start offset of every line of `[start, end)`, exact up to 2^53 (Float64Array). */
    lineOffsets(start?: Integer | null, end?: Integer | null): Float64Array
    /** Writes all of `data` at the position and returns its length. */
    write(data: BytesLike): number
    writeByte(byte: Integer): void
    /** Moves the position and returns it. */
    seek(pos: Integer, whence?: Whence): number
    tell(): number
    seekable(): true
    /** memmove inside the map. */
    move(dest: Integer, src: Integer, count: Integer): void

    /** Resizes the map (and, for a file-backed map, the file to `offset + newSize`). */
    resize(newSize: Integer): void
    /**
     * msync of `[offset, offset + size)`; `size` -1 (default) means to the end. `flags`
     * (POSIX): MS_SYNC (default), MS_ASYNC, optionally OR-ed with MS_INVALIDATE; Windows
     * refuses `flags`.
     */
    flush(offset?: Integer, size?: Integer, options?: FlushOptions | null): void
    /** flush() on the thread pool; rejects (never throws) on bad arguments. */
    flushAsync(offset?: Integer, size?: Integer, options?: FlushOptions | null): Promise<void>
    /**
     * find() on the libuv thread pool, split across threads: the same arguments, result and
     * errors (rejections, never throws). close() meanwhile rejects it with ERR_MMAP_CLOSED;
     * resize() throws ERR_MMAP_BUSY until it settles.
     */
    findAsync(sub: Needle, start?: Integer | null, end?: Integer | null, options?: MmapScanOptions | null): Promise<number>
    /** rfind() on the libuv thread pool (see findAsync). */
    rfindAsync(sub: Needle, start?: Integer | null, end?: Integer | null, options?: MmapScanOptions | null): Promise<number>
    /** count() on the libuv thread pool (see findAsync); parts are merged exactly. */
    countAsync(sub: Needle, start?: Integer | null, end?: Integer | null, options?: MmapScanOptions | null): Promise<number>
    /**
     * Brings the pages of `[start, start + length)` into memory on the thread pool; resolves
     * once they are resident. `length` (default: to the end) is clamped to the map.
     */
    prefetch(start?: Integer, length?: Integer | null, options?: MmapPrefetchOptions | null): Promise<void>
    /** How much of the whole pages covering `[start, start + length)` is in memory. */
    residency(start?: Integer, length?: Integer | null): MmapResidency
    /** Pins the pages of `[start, start + length)` in RAM (mlock, VirtualLock). */
    lock(start?: Integer, length?: Integer | null): void
    /** Lets pinned pages go again (munlock, VirtualUnlock); pages never locked are no error. */
    unlock(start?: Integer, length?: Integer | null): void
    /** Advice for the pages that hold `[start, start + length)`. */
    madvise(option: Integer, start?: Integer, length?: Integer | null): void
    /** Linux: names an anonymous map in /proc/self/maps. */
    setName(name: string): void

    /** The first match of `regexp` in `[start, end)` (clamped to the map), or null. */
    search(regexp: RegExp, start?: Integer | null, end?: Integer | null): MmapMatch | null
    /** Every match of `regexp` in `[start, end)`. */
    matchAll(regexp: RegExp, start?: Integer | null, end?: Integer | null): IterableIterator<MmapMatch>
  }

  /**
   * Opens `path` with the mode `options.access` needs (default ACCESS_READ), maps it and owns the
   * descriptor (closed by close()).
   */
  function open(path: PathLike, options?: OpenOptions | null): Mmap

  const ACCESS_DEFAULT: 0
  const ACCESS_READ: 1
  const ACCESS_WRITE: 2
  const ACCESS_COPY: 3
  const SEEK_SET: 0
  const SEEK_CUR: 1
  const SEEK_END: 2
  const PAGESIZE: number
  const ALLOCATIONGRANULARITY: number

  // Platform constants: undefined where the platform lacks them.
  const PROT_READ: number | undefined
  const PROT_WRITE: number | undefined
  const PROT_EXEC: number | undefined
  const MAP_SHARED: number | undefined
  const MAP_PRIVATE: number | undefined
  const MAP_ANON: number | undefined
  const MAP_ANONYMOUS: number | undefined
  const MAP_DENYWRITE: number | undefined
  const MAP_EXECUTABLE: number | undefined
  const MAP_POPULATE: number | undefined
  const MAP_STACK: number | undefined
  const MAP_NORESERVE: number | undefined
  const MAP_32BIT: number | undefined
  const MAP_ALIGNED_SUPER: number | undefined
  const MAP_CONCEAL: number | undefined
  const MAP_NOEXTEND: number | undefined
  const MAP_HASSEMAPHORE: number | undefined
  const MAP_NOCACHE: number | undefined
  const MAP_JIT: number | undefined
  const MAP_RESILIENT_CODESIGN: number | undefined
  const MAP_RESILIENT_MEDIA: number | undefined
  const MAP_TRANSLATED_ALLOW_EXECUTE: number | undefined
  const MAP_UNIX03: number | undefined
  const MAP_TPRO: number | undefined
  const MADV_NORMAL: number | undefined
  const MADV_RANDOM: number | undefined
  const MADV_SEQUENTIAL: number | undefined
  const MADV_WILLNEED: number | undefined
  const MADV_DONTNEED: number | undefined
  const MADV_REMOVE: number | undefined
  const MADV_DONTFORK: number | undefined
  const MADV_DOFORK: number | undefined
  const MADV_MERGEABLE: number | undefined
  const MADV_UNMERGEABLE: number | undefined
  const MADV_HUGEPAGE: number | undefined
  const MADV_NOHUGEPAGE: number | undefined
  const MADV_DONTDUMP: number | undefined
  const MADV_DODUMP: number | undefined
  const MADV_HWPOISON: number | undefined
  const MADV_SOFT_OFFLINE: number | undefined
  const MADV_FREE: number | undefined
  const MADV_NOSYNC: number | undefined
  const MADV_AUTOSYNC: number | undefined
  const MADV_NOCORE: number | undefined
  const MADV_CORE: number | undefined
  const MADV_PROTECT: number | undefined
  const MADV_FREE_REUSABLE: number | undefined
  const MADV_FREE_REUSE: number | undefined
  const MS_SYNC: number | undefined
  const MS_ASYNC: number | undefined
  const MS_INVALIDATE: number | undefined

  /** Options of `new SharedMemory()`: Python's `SharedMemory(name, create, size)`, plus `mode`. */
  interface SharedMemoryOptions {
    /**
     * The block's name, as Python reports it (POSIX: without the leading `/` the module adds).
     * Omitted or `null`: a fresh random name (`psm_…` on POSIX, `wnsm_…` on Windows); only with
     * `create: true`.
     */
    name?: string | null
    /** `true`: create a new block (`EEXIST` if the name is taken); `false` (default): attach to one. */
    create?: boolean
    /** Bytes of a new block (> 0 with `create`); ignored when attaching, as in Python. Default 0. */
    size?: Integer
    /** POSIX permission bits of a new block (less the umask). Default `0o600`; ignored on Windows. */
    mode?: Integer
  }

  /**
   * A named block of shared memory (Python's `multiprocessing.shared_memory.SharedMemory`): a Node
   * and a Python process open the same block by the same name.
   */
  class SharedMemory implements Disposable {
    constructor(options?: SharedMemoryOptions | null)
    /** The name another process attaches by (POSIX: without the leading `/`). Readable after close(). */
    readonly name: string
    /** The block's size as the OS reports it (whole pages on Windows). Readable after close(). */
    readonly size: number
    /** `true` after close() (or after `map.close()`). */
    readonly closed: boolean
    /** An Mmap over the whole block; throws ERR_MMAP_CLOSED once closed. */
    readonly map: Mmap
    /** The whole block as one zero-copy ArrayBuffer; throws ERR_MMAP_CLOSED once closed. */
    readonly buffer: ArrayBuffer
    /** This process lets go of the block (views detach); the name stays. Idempotent. */
    close(): void
    /**
     * Removes the name (POSIX `shm_unlink`; ENOENT once it is gone). Processes that have the block
     * keep it. Does nothing on Windows, where a block goes with its last handle.
     */
    unlink(): void
    /** close() (not unlink()), so `using shm = ...` works. */
    [Symbol.dispose](): void
  }

  /** Every constant above, as one frozen object. */
  const constants: Constants
}

export = mmap
