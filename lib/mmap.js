'use strict'
// mmap.js: the Mmap class (Python's mmap.mmap) and open(): argument checks, Python's semantics, views.
const util = require('util')
const { constants: bufferConstants } = require('buffer')
const binding = require('./binding')
const constants = require('./constants')
const errors = require('./errors')
const args = require('./args')
const regex = require('./regex')
const { markMapped } = require('./transfers')
const { mapArguments } = require('./map-args')
require('./signals')
const lines = require('./lines')

const { ACCESS_DEFAULT, ACCESS_READ, ACCESS_COPY } = constants
const ACCESS_NAMES = ['ACCESS_DEFAULT', 'ACCESS_READ', 'ACCESS_WRITE', 'ACCESS_COPY']
// What the platform can do (mmap flags and prot, msync flags, tag names, files
// extended by a writable map), as the binding reports it.
const { features } = binding

// The longest single ArrayBuffer over external memory this Node allows
// (4 GiB on Node 20, 2^53 - 1 later).
const MAX_VIEW = bufferConstants.MAX_LENGTH

// readline()'s shared slab: lines up to SLAB_LINE bytes are copied into it.
const SLAB_SIZE = 64 * 1024
const SLAB_LINE = 4096
// ab is bytes.buffer, kept apart: the .buffer getter is a slow runtime call.
// io carries binding.readlineNext()'s arguments (slot, position, at) and its
// result, so the call converts no value.
const slab = { bytes: null, ab: null, at: 0 }
const io = new Float64Array(4)
const bufferOver = lines.bufferOver
function newSlab () {
  slab.bytes = new Uint8Array(SLAB_SIZE)
  slab.ab = slab.bytes.buffer
  slab.at = 0
  binding.setSlab(slab.bytes, io)
}
newSlab()
const NEWLINE = Buffer.from('\n')
// A view of [start, start + length) of the map, remembered as mapped memory.
function mappedView (handle, start, length) {
  return markMapped(binding.view(handle, start, length))
}

// True for an object this module's Mmap class made (set by the class below).
let isMmap = null
// What lib/mmap-async.js needs of a map's private state (set by the class below).
let inner = null

// Node's ERR_INVALID_THIS for a method or getter called on another object.
function checkThis (self) {
  if (!isMmap(self)) throw errors.invalidThis('Mmap')
}

// What flush() passes to msync() when no flags are given: MS_SYNC, durable
// on return (Windows has no flags; its flush is always synchronous).
const DEFAULT_FLUSH_FLAGS = constants.MS_SYNC ?? 0

class Mmap {
  #handle = null
  #length = 0
  #pos = 0
  #offset = 0
  #access = ACCESS_DEFAULT
  #anonymous = false
  #trackfd = true
  #buffer = null
  // Bumped by close() and resize(): iterators from lines() notice it.
  #state = { generation: 0 }
  #lineSource = null
  #slot = 0 // the handle's number for binding.readlineFast

  constructor (fd, length, options) {
    const resolved = mapArguments(fd, length, options)
    const { mapLength, offset, mode, trackfd, tagname } = resolved
    fd = resolved.fd
    this.#handle = binding.map(fd, mapLength, fd === -1 ? 0 : offset, mode.access, mode.flags, mode.prot,
      trackfd, tagname ?? undefined)
    this.#length = mapLength
    this.#offset = offset
    this.#access = mode.access
    this.#anonymous = fd === -1
    this.#trackfd = trackfd
  }

  // Every method and getter checks in Python's order, the one Argument
  // Clinic gives CPython's mmap (see README, "Errors"):
  //   1. the receiver is an Mmap (ERR_INVALID_THIS), as Node's classes do;
  //   2. every argument is converted, left to right: its type, a number that
  //      is not an integer, an integer outside the signed 64-bit range, and
  //      what the C type itself bounds (a C int, an unsigned char) -- the
  //      args.js converters, which never look at the map;
  //   3. closed (#live), then read-only (#writable);
  //   4. ranges and values against the map.
  // The subscript forms (get, set, slice, setSlice) follow mmap_subscript and
  // mmap_ass_subscript instead: closed, read-only, then the index or slice
  // (step first, as PySlice_Unpack; type, then range; a zero step), then the
  // value or data.

  // The live handle, or ERR_MMAP_CLOSED.
  #live () {
    if (this.#handle === null) throw errors.closedError()
    return this.#handle
  }

  // The live handle of a writable map, or ERR_MMAP_CLOSED, ERR_MMAP_READONLY.
  #writable (what) {
    const handle = this.#live()
    if (this.#access === ACCESS_READ) throw errors.readonlyError(what)
    return handle
  }

  get length () {
    checkThis(this)
    this.#live()
    return this.#length
  }

  get closed () {
    checkThis(this)
    return this.#handle === null
  }

  close () {
    checkThis(this)
    if (this.#handle === null) return
    const handle = this.#handle
    this.#handle = null
    this.#buffer = null
    this.#state.generation++
    binding.close(handle)
  }

  [Symbol.dispose] () {
    checkThis(this)
    this.close()
  }

  // The size of the file behind the map (an anonymous map's length).
  size () {
    checkThis(this)
    const handle = this.#live()
    if (!this.#trackfd) {
      const err = errors.systemError(errors.errnoOf('EBADF'), 'fstat')
      err.message += ' (this map was made with trackfd: false and keeps no descriptor)'
      throw err
    }
    if (this.#anonymous) return this.#length
    return binding.fileSize(handle)
  }

  // The whole map as one zero-copy ArrayBuffer.
  get buffer () {
    checkThis(this)
    const handle = this.#live()
    // Pages lost to a truncation that the file covers again show its bytes.
    binding.settle(handle)
    // A runtime that moves an external ArrayBuffer given in a transfer list (Deno; Node copies
    // it) leaves this one detached: the map is still open, so it gets a new view.
    if (this.#buffer !== null && this.#buffer.byteLength !== this.#length) this.#buffer = null
    if (this.#buffer === null) {
      if (this.#length === 0) {
        this.#buffer = new ArrayBuffer(0)
      } else if (this.#length > MAX_VIEW) {
        throw errors.rangeError(`this ${this.#length}-byte map is larger than the longest ArrayBuffer ` +
          `this Node.js allows (${MAX_VIEW} bytes); use subarray() windows instead`)
      } else {
        this.#buffer = mappedView(handle, 0, this.#length)
      }
    }
    return this.#buffer
  }

  // A zero-copy Buffer over [start, end) of the map (Buffer.subarray's clamping).
  subarray (start, end) {
    checkThis(this)
    start = args.optionalInteger('start', start, 0)
    end = args.optionalInteger('end', end, Infinity)
    const handle = this.#live()
    const length = this.#length
    start = start < 0 ? Math.max(length + start, 0) : Math.min(start, length)
    end = end < 0 ? Math.max(length + end, 0) : Math.min(end, length)
    const size = Math.max(end - start, 0)
    if (length <= MAX_VIEW) return Buffer.from(this.buffer, start, size)
    if (size > MAX_VIEW) {
      throw errors.rangeError(`a view of ${size} bytes is longer than the longest ArrayBuffer this Node.js ` +
        `allows (${MAX_VIEW} bytes)`)
    }
    if (size === 0) return Buffer.alloc(0)
    binding.settle(handle)
    return Buffer.from(mappedView(handle, start, size))
  }

  // The index of get() and set(), counted from the end when negative; the
  // map is live.
  #index (index) {
    index = args.toInteger('index', index)
    const i = index < 0 ? index + this.#length : index
    if (i < 0 || i >= this.#length) throw errors.rangeError(`mmap index ${index} out of range for length ${this.#length}`)
    return i
  }

  // PySlice_Unpack then PySlice_AdjustIndices: step first (a zero step is an
  // error before start and end are looked at), then start, then end.
  #slice (start, end, step) {
    step = args.optionalInteger('step', step, 1, true)
    if (step === 0) throw errors.invalidArgValue('step', step, 'must not be zero')
    start = args.optionalInteger('start', start, undefined, true)
    end = args.optionalInteger('end', end, undefined, true)
    const s = args.adjustSlice(this.#length, start, end, step)
    s.step = step
    return s
  }

  get (index) {
    checkThis(this)
    const handle = this.#live()
    return binding.get(handle, this.#index(index))
  }

  set (index, value) {
    checkThis(this)
    const handle = this.#writable('set')
    const i = this.#index(index)
    binding.set(handle, i, args.toByte('value', value))
  }

  slice (start, end, step) {
    checkThis(this)
    const handle = this.#live()
    const s = this.#slice(start, end, step)
    if (s.count > MAX_VIEW) throw errors.rangeError(`a slice of ${s.count} bytes is longer than the longest Buffer (${MAX_VIEW} bytes)`)
    // An empty slice may start at -1 (a negative step): nothing to copy.
    if (s.count === 0) return Buffer.alloc(0)
    if (s.step === 1) return binding.copy(handle, s.start, s.count)
    return binding.copyStep(handle, s.start, s.step, s.count)
  }

  setSlice (start, end, data, step) {
    checkThis(this)
    const handle = this.#writable('setSlice')
    const s = this.#slice(start, end, step)
    const bytes = args.toBytes('data', data)
    if (bytes.length !== s.count) {
      throw errors.rangeError(`mmap slice assignment is wrong size: the slice has ${s.count} bytes, data has ${bytes.length}`)
    }
    if (s.count === 0) return
    if (s.step === 1) binding.write(handle, s.start, bytes)
    else binding.writeStep(handle, s.start, s.step, s.count, bytes)
  }

  // Python's find/rfind bounds, on the converted start and end of a live
  // map: start defaults to the current position, negatives count from the
  // end, and a start past the end finds nothing.
  #searchRange (start, end) {
    const length = this.#length
    start = start === undefined ? this.#pos : start
    if (start > length) return null
    start = args.adjustIndex(start, length)
    end = end === undefined ? length : args.adjustIndex(end, length)
    return end < start ? null : [start, end]
  }

  find (sub, start, end) {
    checkThis(this)
    const needle = args.toBytes('sub', sub, true)
    start = args.optionalInteger('start', start, undefined, true)
    end = args.optionalInteger('end', end, undefined, true)
    const handle = this.#live()
    const range = this.#searchRange(start, end)
    if (range === null) return -1
    return binding.find(handle, needle, range[0], range[1])
  }

  rfind (sub, start, end) {
    checkThis(this)
    const needle = args.toBytes('sub', sub, true)
    start = args.optionalInteger('start', start, undefined, true)
    end = args.optionalInteger('end', end, undefined, true)
    const handle = this.#live()
    const range = this.#searchRange(start, end)
    if (range === null) return -1
    return binding.rfind(handle, needle, range[0], range[1])
  }

  // bytes.count's bounds, on the converted start (default 0) and end of a
  // live map; null when there is nothing to count.
  #countRange (start, end) {
    const length = this.#length
    if (start > length) return null
    start = args.adjustIndex(start, length)
    end = end === undefined ? length : args.adjustIndex(end, length)
    return end < start ? null : [start, end]
  }

  count (sub, start, end) {
    checkThis(this)
    const needle = args.toBytes('sub', sub, true)
    start = args.optionalInteger('start', start, 0, true)
    end = args.optionalInteger('end', end, undefined, true)
    const handle = this.#live()
    const range = this.#countRange(start, end)
    if (range === null) return 0
    return binding.count(handle, needle, range[0], range[1])
  }

  read (n) {
    checkThis(this)
    n = args.optionalInteger('n', n, -1, true)
    const handle = this.#live()
    const remaining = Math.max(this.#length - this.#pos, 0)
    if (n < 0 || n > remaining) n = remaining
    if (n > MAX_VIEW) throw errors.rangeError(`cannot read ${n} bytes into one Buffer (at most ${MAX_VIEW})`)
    // After a shrinking resize the position may lie past the end: nothing to read.
    if (n === 0) return Buffer.alloc(0)
    const out = binding.copy(handle, this.#pos, n)
    this.#pos += n
    return out
  }

  readByte () {
    checkThis(this)
    const handle = this.#live()
    if (this.#pos >= this.#length) throw errors.rangeError(`read byte out of range: position ${this.#pos} of ${this.#length}`)
    return binding.get(handle, this.#pos++)
  }

  // One native call finds the line and copies it into a shared slab (as
  // Buffer.allocUnsafe() shares Node's pool); long lines get a Buffer of
  // their own.
  readline () {
    checkThis(this)
    const handle = this.#live()
    const pos = this.#pos
    if (this.#slot === 0) this.#slot = binding.slot(handle)
    io[0] = this.#slot
    io[1] = pos
    io[2] = slab.at
    binding.readlineNext()
    let n = io[3]
    if (n < 0 && -n <= SLAB_LINE) {
      newSlab()
      n = binding.readlineFast(this.#slot, pos, slab.at)
    }
    if (n > 0) {
      const line = bufferOver(slab.ab, slab.at, n)
      slab.at = (slab.at + n + 7) & ~7
      this.#pos = pos + n
      return line
    }
    if (n === 0) return Buffer.alloc(0)
    const line = binding.readline(handle, pos)
    this.#pos = pos + line.length
    return line
  }

  // Python's readline over [start, end) as an iterator of zero-copy views.
  lines (start, end, options) {
    checkThis(this)
    start = args.optionalInteger('start', start, 0, true)
    end = args.optionalInteger('end', end, undefined, true)
    const opts = args.optionsObject('options', options)
    const keepEnds = args.optionalBoolean('options.keepEnds', opts.keepEnds, false)
    const crlf = args.optionalBoolean('options.crlf', opts.crlf, false)
    this.#live()
    const [s, e] = this.#byteRange(start, end)
    return new lines.LineIterator(this.#lines(), this.#length, s, e, keepEnds, crlf)
  }

  // The start offset of each line in [start, end), as a Float64Array.
  lineOffsets (start, end) {
    checkThis(this)
    start = args.optionalInteger('start', start, 0, true)
    end = args.optionalInteger('end', end, undefined, true)
    const handle = this.#live()
    const [s, e] = this.#byteRange(start, end)
    return lines.lineOffsets(this.#lines(), s, e, (a, b) => binding.count(handle, NEWLINE, a, b))
  }

  // bytes-style bounds (as count()) of converted start and end: negatives
  // count from the end, both are clamped to the map.
  #byteRange (start, end) {
    const length = this.#length
    start = start > length ? length : args.adjustIndex(start, length)
    end = end === undefined ? length : args.adjustIndex(end, length)
    return [start, Math.max(start, end)]
  }

  // What lines() iterators borrow from the map.
  #lines () {
    if (this.#lineSource === null) {
      this.#lineSource = {
        state: this.#state,
        live: () => this.#live(),
        scan: (s, e, out, at) => binding.lineEnds(this.#live(), s, e, out, at),
        bigBuffer: (bytes) => binding.bigArrayBuffer(bytes),
        buffer: (s, size) => size < 0 ? this.buffer : mappedView(this.#live(), s, size)
      }
    }
    return this.#lineSource
  }

  write (data) {
    checkThis(this)
    const bytes = args.toBytes('data', data)
    const handle = this.#writable('write')
    const pos = this.#pos
    if (pos > this.#length || bytes.length > this.#length - pos) {
      throw errors.rangeError(`data out of range: ${bytes.length} bytes at position ${pos} of a ${this.#length}-byte map`)
    }
    binding.write(handle, pos, bytes)
    this.#pos = pos + bytes.length
    return bytes.length
  }

  writeByte (byte) {
    checkThis(this)
    byte = args.toByte('byte', byte)
    const handle = this.#writable('writeByte')
    if (this.#pos >= this.#length) throw errors.rangeError(`write byte out of range: position ${this.#pos} of ${this.#length}`)
    binding.set(handle, this.#pos, byte)
    this.#pos++
  }

  seek (pos, whence) {
    checkThis(this)
    pos = args.toInteger('pos', pos)
    whence = whence === undefined ? 0 : args.toInt32('whence', whence)
    this.#live()
    let where
    if (whence === 0) where = pos
    else if (whence === 1) where = this.#pos + pos
    else if (whence === 2) where = this.#length + pos
    else throw errors.invalidArgValue('whence', whence, 'must be SEEK_SET (0), SEEK_CUR (1) or SEEK_END (2)')
    if (where < 0 || where > this.#length) throw errors.rangeError(`seek out of range: ${where} is outside [0, ${this.#length}]`)
    this.#pos = where
    return where
  }

  tell () {
    checkThis(this)
    this.#live()
    return this.#pos
  }

  seekable () {
    checkThis(this)
    return true
  }

  move (dest, src, count) {
    checkThis(this)
    dest = args.toInteger('dest', dest)
    src = args.toInteger('src', src)
    count = args.toInteger('count', count)
    const handle = this.#writable('move')
    const length = this.#length
    if (dest < 0 || src < 0 || count < 0 || count > length - dest || count > length - src) {
      throw errors.rangeError(`source, destination, or count out of range: move(${dest}, ${src}, ${count}) in a ${length}-byte map`)
    }
    binding.move(handle, dest, src, count)
  }

  // flush() and flushAsync(): [offset, size, flags] to sync, or null when
  // there is nothing to write back.
  #flushArgs (offset, size, options) {
    offset = args.optionalInteger('offset', offset, 0)
    size = args.optionalInteger('size', size, -1)
    const opts = args.optionsObject('options', options)
    let flags = DEFAULT_FLUSH_FLAGS
    if (opts.flags !== undefined) {
      flags = args.toInt32('options.flags', opts.flags)
      // Windows has no msync() flags, and Python's flush() there has no flags.
      if (!features.syncFlags) throw errors.invalidArgValue('options.flags', flags, 'is not supported on Windows')
    }
    this.#live()
    const length = this.#length
    if (size === -1 && offset >= 0) size = Math.max(length - offset, 0)
    if (offset < 0 || size < 0 || offset > length || size > length - offset) {
      throw errors.rangeError(`flush values out of range: offset ${offset}, size ${size} in a ${length}-byte map`)
    }
    // Python: read-only and copy-on-write maps have nothing to write back.
    if (this.#access === ACCESS_READ || this.#access === ACCESS_COPY) return null
    return [offset, size, flags]
  }

  flush (offset, size, options) {
    checkThis(this)
    const job = this.#flushArgs(offset, size, options)
    if (job !== null) binding.sync(this.#handle, job[0], job[1], job[2])
  }

  flushAsync (offset, size, options) {
    try {
      checkThis(this)
      const job = this.#flushArgs(offset, size, options)
      if (job === null) return Promise.resolve()
      return binding.syncAsync(this.#handle, job[0], job[1], job[2])
    } catch (err) {
      return Promise.reject(err)
    }
  }

  resize (newSize) {
    checkThis(this)
    newSize = args.toInteger('newSize', newSize)
    const handle = this.#live()
    if (!this.#trackfd) throw errors.invalidArgValue('newSize', newSize, "can't be applied: this map was made with trackfd: false")
    if (this.#access === ACCESS_READ || this.#access === ACCESS_COPY) {
      throw errors.coded(TypeError, 'ERR_MMAP_READONLY', "mmap can't resize a readonly or copy-on-write memory map")
    }
    if (newSize < 0 || newSize > Number.MAX_SAFE_INTEGER - this.#offset) {
      throw errors.outOfRange('newSize', `>= 0 and <= ${Number.MAX_SAFE_INTEGER} - offset`, newSize)
    }
    try {
      binding.resize(handle, newSize)
    } catch (err) {
      // A failed resize that had to move the map to restore it detached the
      // old views: the next access makes a new one. Otherwise the cached
      // buffer is as good as before.
      if (this.#buffer !== null && this.#buffer.byteLength !== this.#length) this.#buffer = null
      throw err
    }
    this.#state.generation++
    // The old ArrayBuffer has the old length (and was detached if the
    // memory moved or shrank): the next access makes a new one.
    this.#buffer = null
    this.#length = newSize
  }

  madvise (option, start, length) {
    checkThis(this)
    option = args.toInt32('option', option)
    start = args.optionalInteger('start', start, 0)
    const raw = length
    length = args.optionalInteger('length', length, undefined, true)
    const handle = this.#live()
    const size = this.#length
    if (start < 0 || start >= size) throw errors.rangeError(`madvise start out of bounds: ${start} in a ${size}-byte map`)
    if (length === undefined) length = size
    if (length < 0) throw errors.outOfRange('length', '>= 0', length)
    // Python: start + length must fit in a signed 64-bit size (exactly, from
    // the value passed); past that it is an OverflowError, below it the
    // length is clamped to the map.
    if (typeof raw === 'bigint' || length > Number.MAX_SAFE_INTEGER) {
      if (args.int64SumExceeds(start, raw)) throw errors.outOfRange('length', '<= 2 ** 63 - 1 - start', raw)
    }
    if (length > size - start) length = size - start
    binding.advise(handle, option, start, length)
  }

  setName (name) {
    checkThis(this)
    if (typeof name !== 'string') throw errors.invalidArgType('name', 'of type string', name)
    const handle = this.#live()
    if (name.includes('\0')) throw errors.invalidArgValue('name', name, 'must not contain null bytes')
    if (!this.#anonymous) throw errors.invalidArgValue('name', name, 'can only name anonymous maps')
    const bytes = Buffer.byteLength(name)
    if (bytes > 79) throw errors.outOfRange('name', 'at most 79 bytes of UTF-8', `${bytes} bytes`)
    binding.setName(handle, name)
  }

  search (regexp, start, end) {
    checkThis(this)
    const it = this.#matches('search', regexp, start, end)
    const first = it.next()
    return first.done ? null : first.value
  }

  matchAll (regexp, start, end) {
    checkThis(this)
    return this.#matches('matchAll', regexp, start, end)
  }

  // Python's re bounds: pos and endpos are clamped to [0, length], never
  // counted from the end.
  #matches (method, regexp, start, end) {
    if (!(regexp instanceof RegExp)) throw errors.invalidArgType('regexp', 'an instance of RegExp', regexp)
    start = args.optionalInteger('start', start, 0, true)
    end = args.optionalInteger('end', end, Infinity, true)
    this.#live()
    const length = this.#length
    start = Math.min(Math.max(start, 0), length)
    end = Math.min(Math.max(end, 0), length)
    if (end < start) return [][Symbol.iterator]()
    return regex.search({
      latin1: (s, e) => binding.latin1(this.#live(), s, e),
      find: (needle, s, e) => binding.find(this.#live(), needle, s, e),
      rfind: (needle, s, e) => binding.rfind(this.#live(), needle, s, e)
    }, regexp, start, end)
  }

  // The one member that does not throw ERR_INVALID_THIS: util.inspect() and console.log() of
  // Mmap.prototype, or of an object made from it, must work.
  [util.inspect.custom] () {
    if (!isMmap(this)) return 'Mmap <not a map>'
    if (this.#handle === null) return 'Mmap <closed>'
    return `Mmap <access=${ACCESS_NAMES[this.#access]}, length=${this.#length}, pos=${this.#pos}, offset=${this.#offset}>`
  }

  static {
    // The brand check behind checkThis(): a private field, so any object
    // this class made (subclasses included) passes, and nothing else can.
    isMmap = (value) => typeof value === 'object' && value !== null && #handle in value
    inner = {
      check: checkThis,
      live: (m) => m.#live(),
      length: (m) => m.#length,
      searchRange: (m, start, end) => m.#searchRange(start, end),
      countRange: (m, start, end) => m.#countRange(start, end)
    }
  }
}

require('./mmap-async').install(Mmap.prototype, inner)

// newSlab: tests that hand the addon their own slab put the module's back with it.
module.exports = { Mmap, newSlab }
