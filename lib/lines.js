'use strict'
// lines.js: lines() and lineOffsets(): line boundaries found in bulk by the native newline scan
// (binding.lineEnds), so JavaScript pays one cheap step per line, not one native call.
const { constants: bufferConstants } = require('buffer')
const errors = require('./errors')

// Offsets found per native call: the scan writes them into one reused
// Float64Array (exact past 2^32: doubles hold every integer up to 2^53).
const BATCH = 4096

// Maps longer than one ArrayBuffer may be (4 GiB on Node 20) are viewed in
// windows of `window` bytes; a window starts at the line that did not fit in
// the one before. Tests lower both to exercise windows on small maps.
const config = { maxView: bufferConstants.MAX_LENGTH, window: 2 ** 30 }

// A Buffer over memory that already exists, made the way Buffer.from(ab,
// offset, length) makes it but without its argument checks: Node's own
// FastBuffer class, which Buffer names as its species. Where a runtime has
// no such class, Buffer.from() itself.
const Species = Buffer[Symbol.species]
const FastBuffer = typeof Species === 'function' && Species !== Buffer && Species.prototype === Buffer.prototype
  ? Species
  : null
const bufferOver = FastBuffer !== null
  ? (ab, offset, length) => new FastBuffer(ab, offset, length)
  : (ab, offset, length) => Buffer.from(ab, offset, length)

// The iterator lines() returns. `src` is what the map lends it:
//   state: { generation }, bumped when the map is closed or resized
//   scan(start, end, out, at): binding.lineEnds on the live handle (fills out from at)
//   buffer(start, length): an ArrayBuffer over [start, start + length)
//   live(): throws ERR_MMAP_CLOSED once the map is closed
class LineIterator {
  constructor (src, length, start, end, keepEnds, crlf) {
    this.src = src
    this.state = src.state
    this.generation = src.state.generation
    this.end = end
    this.keepEnds = keepEnds
    this.crlf = crlf
    this.ends = new Float64Array(BATCH + 1)
    this.scanOut = this.ends.subarray(0, BATCH)
    this.i = 0
    this.n = 0
    this.tail = -1 // index in ends of a last line without '\n'
    this.pos = start // where the next line starts
    this.scanned = start // where the next scan starts
    this.finished = start >= end
    this.windowed = length > config.maxView
    this.ab = null
    this.abStart = 0
    this.abEnd = 0
    this.bytes = null
  }

  [Symbol.iterator] () {
    return this
  }

  #check () {
    if (this.state.generation !== this.generation) {
      this.src.live() // ERR_MMAP_CLOSED when it was closed
      this.finished = true
      this.n = this.i = 0
      throw errors.coded(Error, 'ERR_MMAP_CHANGED',
        'the map was resized while lines() iterated over it; start a new iteration')
    }
  }

  #refill () {
    this.#check()
    this.i = 0
    this.tail = -1
    const n = this.src.scan(this.scanned, this.end, this.scanOut, 0)
    if (n === BATCH) {
      this.scanned = this.ends[n - 1]
      this.n = n
      return
    }
    this.finished = true
    this.n = n
    // A last line without '\n'.
    const last = n > 0 ? this.ends[n - 1] : this.scanned
    if (last < this.end) {
      this.tail = n
      this.ends[n] = this.end
      this.n = n + 1
    }
  }

  // The window that holds [s, e).
  #window (s, e) {
    if (!this.windowed) {
      this.ab = this.src.buffer(0, -1)
      this.abStart = 0
    } else {
      if (e - s > config.window && e - s > config.maxView) {
        throw errors.rangeError(`a line of ${e - s} bytes is longer than the longest Buffer this Node.js ` +
          `allows (${config.maxView} bytes)`)
      }
      const size = Math.max(Math.min(config.window, this.end - s), e - s)
      this.ab = this.src.buffer(s, size)
      this.abStart = s
    }
    this.abEnd = this.abStart + this.ab.byteLength
    this.bytes = new Uint8Array(this.ab)
  }

  next () {
    if (this.i === this.n) {
      if (this.finished) return { value: undefined, done: true }
      this.#refill()
      if (this.n === 0) return { value: undefined, done: true }
    } else if (this.state.generation !== this.generation) {
      this.#check()
    }
    const s = this.pos
    const e = this.ends[this.i]
    let stop = e
    if (this.i++ !== this.tail && !this.keepEnds) stop--
    this.pos = e
    if (e > this.abEnd || this.ab === null) this.#window(s, e)
    const base = this.abStart
    if (this.crlf && stop !== e && stop > s && this.bytes[stop - 1 - base] === 13) stop--
    return { value: bufferOver(this.ab, s - base, stop - s), done: false }
  }

  return () {
    this.finished = true
    this.n = this.i = 0
    return { value: undefined, done: true }
  }
}

// Arrays of at least this many bytes get a block of their own with huge
// pages asked for (src.bigBuffer), where the process has them: a fresh heap
// array is faulted in 4 KiB at a time, which cost more than the scan.
const BIG_ARRAY = 8 * 1024 * 1024

// The start offset of every line in [start, end) as a Float64Array
// (exact up to 2^53). A final line without '\n' counts; an empty range has
// none. sample(s, e) counts '\n' in [s, e), to size the array in one go.
function lineOffsets (src, start, end, sample) {
  const alloc = (count) => {
    const ab = count * 8 >= BIG_ARRAY && src.bigBuffer ? src.bigBuffer(count * 8) : null
    return ab === null ? new Float64Array(count) : new Float64Array(ab)
  }
  if (start >= end) return new Float64Array(0)
  const probe = Math.min(end - start, 1 << 20)
  const expected = Math.ceil((sample(start, start + probe) + 1) * ((end - start) / probe) * 1.03) + 16
  let out = alloc(Math.min(expected, end - start + 1))
  out[0] = start
  let n = 1
  let from = start
  for (;;) {
    const room = out.length - n
    const got = src.scan(from, end, out, n)
    n += got
    if (got < room) break
    from = out[n - 1]
    // Full, but the scan reached the end (the last byte is a '\n').
    if (from >= end) break
    const bigger = alloc(Math.min(Math.ceil(out.length * 1.5) + 16, end - start + 1))
    bigger.set(out)
    out = bigger
  }
  // A '\n' as the range's last byte starts no line.
  if (out[n - 1] === end) n--
  if (n === out.length) return out
  return n >= out.length - (out.length >>> 3) ? out.subarray(0, n) : out.slice(0, n)
}

module.exports = { LineIterator, bufferOver, lineOffsets, config, BATCH, BIG_ARRAY }
