// usage.mts: an ES module consumer of mmap-native, type-checked (never run) by test/types.test.js
// with strict and module/moduleResolution nodenext. Every `@ts-expect-error` must be an error:
// tsc reports an unused one, so the wrong calls below prove the types reject them.
import mmap, { Mmap, open, constants, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY, ACCESS_DEFAULT, PAGESIZE, SEEK_END, MAP_PRIVATE, MADV_WILLNEED, MAP_JIT } from 'mmap-native'
import type { Integer, BytesLike, MmapOptions, OpenOptions, MmapMatch, MmapErrorCode, MmapError, MmapSystemError, Constants, HasFd } from 'mmap-native'
import * as ns from 'mmap-native'
import * as fs from 'node:fs'

// Equal<A, B> is true only for identical types (no `any` slips through).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
function check<T extends true> (): void {}

// The default export is module.exports: the same object as the namespace's members.
check<Equal<typeof mmap.Mmap, typeof Mmap>>()
check<Equal<typeof mmap, typeof ns.default>>()
check<Equal<typeof mmap.open, typeof open>>()
check<Equal<typeof mmap.constants, Constants>>()
// @ts-expect-error: module.exports has no `default` property
mmap.default // eslint-disable-line

// Constants: literal where the value is fixed, number where it is the platform's.
check<Equal<typeof ACCESS_READ, 1>>()
check<Equal<typeof ACCESS_DEFAULT, 0>>()
check<Equal<typeof SEEK_END, 2>>()
check<Equal<typeof PAGESIZE, number>>()
check<Equal<typeof MAP_PRIVATE, number | undefined>>()
check<Equal<typeof MAP_JIT, number | undefined>>()
check<Equal<typeof constants.ACCESS_COPY, 3>>()
check<Equal<typeof constants.MADV_FREE, number | undefined>>()
// @ts-expect-error: constants is frozen
constants.PAGESIZE = 1
// @ts-expect-error: not a constant of this module
constants.MAP_FOO // eslint-disable-line

// Creating maps: descriptors, FileHandle-like objects, bigints, anonymous memory.
const fd = fs.openSync('/tmp/x', 'r+')
const anon = new Mmap(-1, 4096)
const byFd = new Mmap(fd, 0, { access: ACCESS_WRITE, offset: 10n })
const byHandle = new Mmap({ fd }, 4096n, { flags: MAP_PRIVATE, prot: 3 })
const byHandleObject: HasFd = { fd }
new Mmap(byHandleObject, 0, null) // eslint-disable-line no-new
new Mmap(fd, 0, { access: 1n, trackfd: false }) // eslint-disable-line no-new
new Mmap(fd, 0, { access: ACCESS_DEFAULT, flags: 1, prot: 1 }) // eslint-disable-line no-new
new Mmap(fd, 0, { tagname: null }) // eslint-disable-line no-new
// @ts-expect-error: access together with flags is an error (ERR_INVALID_ARG_VALUE)
new Mmap(fd, 0, { access: ACCESS_READ, flags: 1 }) // eslint-disable-line no-new
// @ts-expect-error: access must be one of the four ACCESS_* values
new Mmap(fd, 0, { access: 4 }) // eslint-disable-line no-new
// @ts-expect-error: trackfd must be a boolean
new Mmap(fd, 0, { trackfd: 1 }) // eslint-disable-line no-new
// @ts-expect-error: length is required
new Mmap(fd) // eslint-disable-line no-new
// @ts-expect-error: a string is not a descriptor
new Mmap('3', 0) // eslint-disable-line no-new
const opts: MmapOptions = { access: ACCESS_COPY, offset: 0 }

// open(): paths, create and size.
const m: Mmap = open('/tmp/x')
open(Buffer.from('/tmp/x'), { access: ACCESS_WRITE, length: 10, offset: 4096 })
open(new URL('file:///tmp/x'), { create: true, size: 1n << 20n, access: ACCESS_WRITE })
open('/tmp/x', { create: false })
open('/tmp/x', { access: ACCESS_DEFAULT, flags: 2, prot: 1 })
// flags or prot alone make open() default access to ACCESS_DEFAULT
open('/tmp/x', { flags: 2 })
// @ts-expect-error: any other access excludes flags and prot
open('/tmp/x', { access: ACCESS_READ, flags: 2 })
const openOpts: OpenOptions = { ...opts, length: 1 }
open('/tmp/x', openOpts)
// @ts-expect-error: size needs create: true
open('/tmp/x', { size: 10 })
// @ts-expect-error: size needs create: true
open('/tmp/x', { create: false, size: 10 })
// @ts-expect-error: a number is not a path
open(3)

// Properties.
check<Equal<typeof m.length, number>>()
check<Equal<typeof m.closed, boolean>>()
check<Equal<typeof m.buffer, ArrayBuffer>>()
// @ts-expect-error: length is read-only
m.length = 3

// Every method, with numbers, bigints and the nullable positions.
const b: Integer = 5n
check<Equal<ReturnType<typeof m.get>, number>>()
m.get(0); m.get(-1n)
m.set(0, 255); m.set(b, 1n)
const sl: Buffer = m.slice(); m.slice(null, null, -1); m.slice(1n, undefined, 2)
m.setSlice(0, 4, Buffer.from('abcd')); m.setSlice(null, undefined, new Uint16Array(2), null)
m.find('needle'); m.find(new Uint8Array(1), null, -1n); m.rfind(new DataView(new ArrayBuffer(1)), 0, null)
const n: number = m.count(new ArrayBuffer(1), 0n, 10)
const r: Buffer = m.read(); m.read(null); m.read(10n)
const byte: number = m.readByte()
const line: Buffer = m.readline()
for (const each of m.lines()) { const b: Buffer = each; void b }
const lineIt: IterableIterator<Buffer> = m.lines(0, 10n, { keepEnds: true, crlf: false }); m.lines(null, null, null)
const starts: Float64Array = m.lineOffsets(); m.lineOffsets(1n, -1)
void lineIt; void starts
const written: number = m.write(Buffer.from('x')); m.write(new Float64Array(1))
m.writeByte(0x41)
const pos: number = m.seek(0); m.seek(-1, SEEK_END); m.seek(1n, 1n)
const t: number = m.tell()
check<Equal<ReturnType<typeof m.seekable>, true>>()
m.move(0, 1, 2n)
m.resize(8192n)
m.flush(); m.flush(0, -1)
m.flush(0, 4096, { flags: (mmap.MS_ASYNC ?? 0) | (constants.MS_INVALIDATE ?? 0) }); m.flush(0, undefined, null)
const p: Promise<void> = m.flushAsync(4096)
const pf: Promise<void> = m.flushAsync(0, 10n, { flags: mmap.MS_SYNC ?? 0 })
const found: Promise<number> = m.findAsync('x', 0, null, { signal: AbortSignal.timeout(1000), threads: 2 })
const rfound: Promise<number> = m.rfindAsync(new Uint8Array(2), null, 10n)
const counted: Promise<number> = m.countAsync('x', 0, undefined, { threads: 4n })
const fetched: Promise<void> = m.prefetch(0, null, { signal: new AbortController().signal })
const resident: { resident: number, total: number } = m.residency(0, 4096)
m.lock(); m.unlock(0, 10n)
void [found, rfound, counted, fetched, resident]
// @ts-expect-error: threads is an integer, not a string
m.countAsync('x', 0, 1, { threads: '2' })
// @ts-expect-error: signal is an AbortSignal
m.findAsync('x', 0, 1, { signal: true })
// @ts-expect-error: prefetch takes no threads
m.prefetch(0, 1, { threads: 2 })
m.madvise(MADV_WILLNEED ?? 3, 0, null)
m.setName('name')
const view: Buffer = m.subarray(0, 10n)
const size: number = m.size()
const data: BytesLike = sl
void [n, r, byte, line, written, pos, t, p, pf, view, size, data, anon, byFd, byHandle]
// @ts-expect-error: write() takes bytes, not a string (only find/rfind/count accept strings)
m.write('text')
// @ts-expect-error: whence is 0, 1 or 2
m.seek(0, 3)
// @ts-expect-error: seek needs a position
m.seek()
// @ts-expect-error: subarray() does not take null
m.subarray(null)
// @ts-expect-error: flush() does not take null
m.flush(null)
// @ts-expect-error: flags is an integer
m.flush(0, 1, { flags: 'sync' })
// @ts-expect-error: get() needs an index
m.get()
// @ts-expect-error: not a number
m.get('0')
// @ts-expect-error: setName takes a string
m.setName(1)
// @ts-expect-error: setSlice needs data
m.setSlice(0, 1)

// Regular expressions over the bytes.
const match = m.search(/a(?<rest>b+)/d, 0, null)
if (match !== null) {
  const at: number = match.index
  const whole: string = match[0]
  check<Equal<typeof match.input, undefined>>()
  const rest: string | undefined = match.groups?.rest
  const span: [number, number] | undefined = match.indices?.[0]
  void [at, whole, rest, span]
}
for (const each of m.matchAll(/x/g, 1n)) {
  check<Equal<typeof each, MmapMatch>>()
}
// @ts-expect-error: search takes a RegExp, not a string
m.search('a')

// Disposal: close(), Symbol.dispose and `using`.
{
  using scoped = open('/tmp/x')
  scoped.find('a')
}
m[Symbol.dispose]()
m.close()
const disposable: Disposable = m
void disposable

// Errors: codes and OS error fields.
try {
  m.get(1)
} catch (err) {
  const e = err as MmapError
  const code: MmapErrorCode = e.code
  if (code === 'ERR_MMAP_CLOSED' || code === 'ERR_OUT_OF_RANGE') void code
  // @ts-expect-error: not one of the module's codes
  if (code === 'ERR_SOMETHING_ELSE') void code
  const os = err as MmapSystemError
  const errno: number = os.errno
  const syscall: 'mmap' | 'munmap' | 'mremap' | 'msync' | 'madvise' | 'ftruncate' | 'fstat' | 'dup' | 'prctl' | 'open' |
    'mincore' | 'mlock' | 'munlock' = os.syscall
  const where: string | undefined = os.path
  void [errno, syscall, where]
}
