// index.d.ts: types for mmap-native (hand-written; kept in step with lib/).

/// <reference types="node" />

/** An integer as a number or a bigint. */
export type Integer = number | bigint

/** Bytes the module accepts as data. */
export type BytesLike = ArrayBufferView | ArrayBuffer | SharedArrayBuffer

/** Anything with a numeric `fd`, such as a `fs.promises.FileHandle`. */
export interface HasFd {
  readonly fd: number
}

export interface MmapOptions {
  /** `ACCESS_DEFAULT` (0), `ACCESS_READ`, `ACCESS_WRITE` or `ACCESS_COPY`. */
  access?: Integer
  /** POSIX: `MAP_SHARED` (default) or `MAP_PRIVATE`, OR-ed with platform flags. */
  flags?: Integer
  /** POSIX: `PROT_READ | PROT_WRITE` (default), `PROT_READ`, ... */
  prot?: Integer
  /** Byte offset in the file: any non-negative integer. */
  offset?: Integer
  /** Default `true`: the map keeps its own duplicate of the descriptor. */
  trackfd?: boolean
  /** Windows: the name of the mapping object. */
  tagname?: string | null
}

export interface OpenOptions extends MmapOptions {
  /** Bytes to map; 0 (default) maps from `offset` to the end of the file. */
  length?: Integer
  /** Create the file if it is missing (and extend it to `size`). */
  create?: boolean
  /** With `create`: the size the file is extended to before mapping. */
  size?: Integer
}

/** A regular-expression match over the map's bytes read as latin1. */
export interface MmapMatch extends RegExpExecArray {
  /** The absolute byte offset of the match in the map. */
  index: number
}

/** Error codes the module throws, besides OS codes such as `EACCES`. */
export type MmapErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_MMAP_READONLY'
  | 'ERR_MMAP_CLOSED'
  | 'ERR_MMAP_TRUNCATED'
  | 'ERR_MMAP_BUSY'
  | 'ERR_MMAP_EXTERNAL_BUFFERS'

export class Mmap implements Disposable {
  /**
   * Maps `length` bytes of the open file `fd` (or anonymous memory for -1).
   * `length` 0 maps from `offset` to the end of the file.
   */
  constructor(fd: number | bigint | HasFd, length: Integer, options?: MmapOptions)

  /** The map's length in bytes. */
  readonly length: number
  readonly closed: boolean
  /** The whole map as one zero-copy ArrayBuffer (detached by close()). */
  readonly buffer: ArrayBuffer

  close(): void
  [Symbol.dispose](): void

  /** The size of the file behind the map; an anonymous map's length. */
  size(): number
  /** A zero-copy Buffer over [start, end) of the map. */
  subarray(start?: Integer, end?: Integer): Buffer

  get(index: Integer): number
  set(index: Integer, value: Integer): void
  slice(start?: Integer | null, end?: Integer | null, step?: Integer | null): Buffer
  setSlice(start: Integer | null | undefined, end: Integer | null | undefined, data: BytesLike, step?: Integer | null): void

  find(sub: BytesLike | string, start?: Integer | null, end?: Integer | null): number
  rfind(sub: BytesLike | string, start?: Integer | null, end?: Integer | null): number
  count(sub: BytesLike | string, start?: Integer | null, end?: Integer | null): number

  read(n?: Integer | null): Buffer
  readByte(): number
  readline(): Buffer
  write(data: BytesLike): number
  writeByte(byte: Integer): void
  seek(pos: Integer, whence?: Integer): number
  tell(): number
  seekable(): true
  move(dest: Integer, src: Integer, count: Integer): void

  resize(newSize: Integer): void
  flush(offset?: Integer, size?: Integer): void
  flushAsync(offset?: Integer, size?: Integer): Promise<void>
  madvise(option: Integer, start?: Integer, length?: Integer | null): void
  setName(name: string): void

  search(regexp: RegExp, start?: Integer | null, end?: Integer | null): MmapMatch | null
  matchAll(regexp: RegExp, start?: Integer | null, end?: Integer | null): IterableIterator<MmapMatch>
}

/** Opens `path`, maps it and owns the descriptor (closed by close()). */
export function open(path: string | Buffer | URL, options?: OpenOptions): Mmap

export const ACCESS_DEFAULT: 0
export const ACCESS_READ: 1
export const ACCESS_WRITE: 2
export const ACCESS_COPY: 3
export const SEEK_SET: 0
export const SEEK_CUR: 1
export const SEEK_END: 2
export const PAGESIZE: number
export const ALLOCATIONGRANULARITY: number

// Platform constants: present only where the platform defines them.
export const PROT_READ: number | undefined
export const PROT_WRITE: number | undefined
export const PROT_EXEC: number | undefined
export const MAP_SHARED: number | undefined
export const MAP_PRIVATE: number | undefined
export const MAP_ANON: number | undefined
export const MAP_ANONYMOUS: number | undefined
export const MAP_DENYWRITE: number | undefined
export const MAP_EXECUTABLE: number | undefined
export const MAP_POPULATE: number | undefined
export const MAP_STACK: number | undefined
export const MAP_NORESERVE: number | undefined
export const MAP_32BIT: number | undefined
export const MAP_ALIGNED_SUPER: number | undefined
export const MAP_CONCEAL: number | undefined
export const MAP_NOEXTEND: number | undefined
export const MAP_HASSEMAPHORE: number | undefined
export const MAP_NOCACHE: number | undefined
export const MAP_JIT: number | undefined
export const MAP_RESILIENT_CODESIGN: number | undefined
export const MAP_RESILIENT_MEDIA: number | undefined
export const MAP_TRANSLATED_ALLOW_EXECUTE: number | undefined
export const MAP_UNIX03: number | undefined
export const MAP_TPRO: number | undefined
export const MADV_NORMAL: number | undefined
export const MADV_RANDOM: number | undefined
export const MADV_SEQUENTIAL: number | undefined
export const MADV_WILLNEED: number | undefined
export const MADV_DONTNEED: number | undefined
export const MADV_REMOVE: number | undefined
export const MADV_DONTFORK: number | undefined
export const MADV_DOFORK: number | undefined
export const MADV_MERGEABLE: number | undefined
export const MADV_UNMERGEABLE: number | undefined
export const MADV_HUGEPAGE: number | undefined
export const MADV_NOHUGEPAGE: number | undefined
export const MADV_DONTDUMP: number | undefined
export const MADV_DODUMP: number | undefined
export const MADV_HWPOISON: number | undefined
export const MADV_SOFT_OFFLINE: number | undefined
export const MADV_FREE: number | undefined
export const MADV_NOSYNC: number | undefined
export const MADV_AUTOSYNC: number | undefined
export const MADV_NOCORE: number | undefined
export const MADV_CORE: number | undefined
export const MADV_PROTECT: number | undefined
export const MADV_FREE_REUSABLE: number | undefined
export const MADV_FREE_REUSE: number | undefined

/** Every constant above, as one frozen object. */
export const constants: Readonly<Record<string, number>>

declare const mmap: {
  Mmap: typeof Mmap
  open: typeof open
  constants: Readonly<Record<string, number>>
} & Readonly<Record<string, unknown>>

export default mmap
