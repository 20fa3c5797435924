'use strict'
// model.test.js: model-based property tests (fast-check): random sequences of operations on an
// Mmap and on a plain Buffer model with Python's semantics must agree, result by result, and the
// file on disk must hold what the model says after every flush and at the end.
const assert = require('assert')
const fs = require('fs')
const fc = require('fast-check')
const mmap = require('..')
const { tempFile, random } = require('./helpers')

const { Mmap, PAGESIZE: P, ACCESS_WRITE, ACCESS_COPY, MAP_PRIVATE } = mmap
const MAX_FILE = 3 * P + 100

// Bytes drawn mostly from a small alphabet, so that find(), count() and
// readline() have something to find; random() is deterministic, so that a seed
// stands for a whole buffer in a counterexample.
function bytesFrom (seed, length) {
  const next = random(seed)
  const alphabet = [0x61, 0x61, 0x62, 0x0a, 0x00]
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) {
    const r = next()
    out[i] = r < 0.9 ? alphabet[Math.floor(r / 0.9 * alphabet.length)] : Math.floor(next() * 256)
  }
  return out
}

// An error as both sides report it.
class Fail extends Error {
  constructor (name, code) {
    super(`${name} ${code}`)
    this.outcome = { name, code }
  }
}
const RANGE = () => new Fail('RangeError', 'ERR_OUT_OF_RANGE')
const VALUE = () => new Fail('TypeError', 'ERR_INVALID_ARG_VALUE')
const READONLY = () => new Fail('TypeError', 'ERR_MMAP_READONLY')

// Python's slice.indices() followed by range(): the indices m[start:stop:step] selects.
function sliceIndices (length, start, stop, step) {
  step = step ?? 1
  if (step === 0) throw VALUE()
  const lower = step < 0 ? -1 : 0
  const upper = step < 0 ? length - 1 : length
  const fix = (v, fallback) => {
    if (v === undefined || v === null) return fallback
    return v < 0 ? Math.max(v + length, lower) : Math.min(v, upper)
  }
  start = fix(start, step < 0 ? upper : lower)
  stop = fix(stop, step < 0 ? lower : upper)
  const out = []
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i)
  return out
}

// A bound of bytes.find/count: negatives from the end, then clamped.
function adjust (index, length) {
  if (index < 0) return Math.max(index + length, 0)
  return Math.min(index, length)
}

function matchesAt (mem, needle, i) {
  for (let j = 0; j < needle.length; j++) if (mem[i + j] !== needle[j]) return false
  return true
}

// The model: Python's mmap over a Buffer, and the file behind it.
class Model {
  constructor ({ kind, file, offset, length }) {
    this.kind = kind
    this.anonymous = kind.startsWith('anon')
    this.file = this.anonymous ? null : Buffer.from(file)
    this.offset = offset
    this.mem = this.anonymous ? Buffer.alloc(length) : Buffer.from(file.subarray(offset, offset + length))
    this.pos = 0
    this.readonly = kind === 'read'
    this.resizable = kind !== 'read' && kind !== 'copy'
    // Whether writes through the module reach the file.
    this.shared = kind === 'shared' || kind === 'write'
  }

  get length () { return this.mem.length }

  #commit () {
    if (this.shared) this.mem.copy(this.file, this.offset)
  }

  #writable () {
    if (this.readonly) throw READONLY()
  }

  #index (i) {
    const j = i < 0 ? i + this.length : i
    if (j < 0 || j >= this.length) throw RANGE()
    return j
  }

  get (i) { return this.mem[this.#index(i)] }

  set (i, v) {
    this.#writable()
    const j = this.#index(i)
    if (v < 0 || v > 255) throw RANGE()
    this.mem[j] = v
    this.#commit()
  }

  slice (start, end, step) {
    return Buffer.from(sliceIndices(this.length, start, end, step).map((i) => this.mem[i]))
  }

  // Python's mmap_ass_subscript: read-only before the slice's zero step.
  setSlice (start, end, data, step) {
    this.#writable()
    if (step === 0) throw VALUE()
    const indices = sliceIndices(this.length, start, end, step)
    if (indices.length !== data.length) throw RANGE()
    indices.forEach((i, k) => { this.mem[i] = data[k] })
    this.#commit()
  }

  // Buffer.subarray's clamping.
  #clamp (v) {
    return v < 0 ? Math.max(this.length + v, 0) : Math.min(v, this.length)
  }

  subarray (start = 0, end = this.length) {
    return Buffer.from(this.mem.subarray(this.#clamp(start), Math.max(this.#clamp(end), this.#clamp(start))))
  }

  // Writes through a zero-copy view: private maps (read, copy, private)
  // keep them in this process.
  viewWrite (start, data) {
    const at = this.#clamp(start)
    data.subarray(0, this.length - at).copy(this.mem, at)
    this.#commit()
  }

  // find/rfind: Python 3.15 (start defaults to the position; a start past
  // the end finds nothing); count: bytes.count (start defaults to 0).
  #range (start, end, fallback) {
    start = start ?? fallback
    if (start > this.length) return null
    start = adjust(start, this.length)
    end = end === undefined || end === null ? this.length : adjust(end, this.length)
    return end < start ? null : [start, end]
  }

  find (needle, start, end) {
    const r = this.#range(start, end, this.pos)
    if (r === null) return -1
    for (let i = r[0]; i + needle.length <= r[1]; i++) if (matchesAt(this.mem, needle, i)) return i
    return -1
  }

  rfind (needle, start, end) {
    const r = this.#range(start, end, this.pos)
    if (r === null) return -1
    for (let i = r[1] - needle.length; i >= r[0]; i--) if (matchesAt(this.mem, needle, i)) return i
    return -1
  }

  count (needle, start, end) {
    const r = this.#range(start, end, 0)
    if (r === null) return 0
    if (needle.length === 0) return r[1] - r[0] + 1
    let n = 0
    for (let i = r[0]; i + needle.length <= r[1];) {
      if (matchesAt(this.mem, needle, i)) {
        n++
        i += needle.length
      } else {
        i++
      }
    }
    return n
  }

  read (n) {
    const remaining = Math.max(this.length - this.pos, 0)
    if (n === undefined || n === null || n < 0 || n > remaining) n = remaining
    const out = Buffer.from(this.mem.subarray(this.pos, this.pos + n))
    this.pos += n
    return out
  }

  readByte () {
    if (this.pos >= this.length) throw RANGE()
    return this.mem[this.pos++]
  }

  readline () {
    if (this.pos >= this.length) return Buffer.alloc(0)
    const nl = this.mem.indexOf(0x0a, this.pos)
    const end = nl === -1 ? this.length : nl + 1
    const out = Buffer.from(this.mem.subarray(this.pos, end))
    this.pos = end
    return out
  }

  write (data) {
    this.#writable()
    if (this.pos > this.length || data.length > this.length - this.pos) throw RANGE()
    data.copy(this.mem, this.pos)
    this.pos += data.length
    this.#commit()
    return data.length
  }

  writeByte (byte) {
    if (byte < 0 || byte > 255) throw RANGE()
    this.#writable()
    if (this.pos >= this.length) throw RANGE()
    this.mem[this.pos++] = byte
    this.#commit()
  }

  seek (pos, whence = 0) {
    let where
    if (whence === 0) where = pos
    else if (whence === 1) where = this.pos + pos
    else if (whence === 2) where = this.length + pos
    else throw VALUE()
    if (where < 0 || where > this.length) throw RANGE()
    this.pos = where
    return where
  }

  tell () { return this.pos }

  move (dest, src, count) {
    this.#writable()
    if (dest < 0 || src < 0 || count < 0 || count > this.length - dest || count > this.length - src) throw RANGE()
    this.mem.copyWithin(dest, src, src + count)
    this.#commit()
  }

  // Python 3.15: size -1 (the default) means to the end. Nothing to check
  // in memory: the test compares the file on disk after each flush.
  flush (offset = 0, size = -1) {
    if (size === -1 && offset >= 0) size = Math.max(this.length - offset, 0)
    if (offset < 0 || size < 0 || offset > this.length || size > this.length - offset) throw RANGE()
  }

  // The file becomes offset + n bytes (zero-filled when it grows); the map
  // keeps its first bytes and shows the file (or zeros) beyond them.
  resize (n) {
    if (!this.resizable) throw READONLY()
    if (n < 0) throw RANGE()
    const old = this.length
    const mem = Buffer.alloc(n)
    this.mem.copy(mem, 0, 0, Math.min(old, n))
    if (!this.anonymous) {
      const file = Buffer.alloc(this.offset + n)
      this.file.copy(file, 0, 0, Math.min(this.file.length, file.length))
      if (n > old) file.copy(mem, old, this.offset + old, this.offset + n)
      this.file = file
    }
    this.mem = mem
    this.#commit()
  }

  size () {
    return this.anonymous ? this.length : this.file.length
  }

  // Python's re with pos and endpos: the text ends at end, but what lies
  // before start is seen by lookbehinds and ^.
  matchAll (re, start, end) {
    start = Math.min(Math.max(start ?? 0, 0), this.length)
    end = Math.min(Math.max(end ?? this.length, 0), this.length)
    if (end < start) return []
    const text = this.mem.toString('latin1', 0, end)
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g')
    g.lastIndex = start
    const out = []
    let m
    while ((m = g.exec(text)) !== null) {
      out.push([m.index, m[0]])
      if (m[0] === '') g.lastIndex++
    }
    return out
  }

  search (re, start, end) {
    return this.matchAll(re, start, end)[0] ?? null
  }
}

// Index arguments, resolved against the map's length when the operation
// runs: small numbers, numbers near the end, and a percentage of the length.
const index = fc.oneof(
  fc.integer({ min: -4, max: 4 }),
  fc.integer({ min: -4, max: 4 }).map((d) => ({ end: d })),
  fc.integer({ min: -110, max: 110 }).map((p) => ({ pct: p }))
)
const optIndex = fc.oneof(index, fc.constant(undefined), fc.constant(null))
function resolve (spec, length) {
  if (spec === undefined || spec === null || typeof spec === 'number') return spec
  if ('end' in spec) return length + spec.end
  // (|| 0: no -0; seek(-0) is checked by itself below.)
  return Math.trunc(length * spec.pct / 100) || 0
}

const dataArb = fc.record({
  length: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 110 }).map((p) => ({ pct: p }))),
  seed: fc.integer(),
  type: fc.constantFrom('Buffer', 'Uint8Array', 'ArrayBuffer', 'DataView', 'offset view')
})
// The same bytes in each of the types a bytes argument accepts.
function asType (bytes, type) {
  switch (type) {
    case 'Buffer': return Buffer.from(bytes)
    case 'Uint8Array': return new Uint8Array(bytes)
    case 'ArrayBuffer': return new Uint8Array(bytes).buffer
    case 'DataView': return new DataView(new Uint8Array(bytes).buffer)
    case 'offset view': {
      const backing = new Uint8Array(bytes.length + 3)
      backing.set(bytes, 3)
      return backing.subarray(3)
    }
  }
}

const needleArb = fc.record({
  what: fc.oneof(
    fc.constantFrom('', 'a', 'ab', 'aa', '\n', 'b\na', '\u00e9', 'zz'),
    fc.record({ from: index, length: fc.integer({ min: 0, max: 6 }) })
  ),
  asString: fc.boolean()
})

const REGEXPS = [/ab+/, /\n[ab]*\n/, /(?<=a)b*/, /^b/m, /a{3,}|$/, /[^a]/i]

// A byte value, now and then one outside 0..255.
const byteArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 9 },
  { arbitrary: fc.constantFrom(-1, 256), weight: 1 }
)

// One operation: a name and its argument specs; big: integers as bigints.
const opArb = fc.tuple(fc.oneof(
  fc.tuple(fc.constant('write'), dataArb),
  fc.tuple(fc.constant('writeByte'), byteArb),
  fc.tuple(fc.constant('seek'), index, fc.constantFrom(undefined, 0, 1, 2, 3)),
  fc.tuple(fc.constant('read'), fc.oneof(optIndex, fc.constant(-1))),
  fc.tuple(fc.constant('readByte')),
  fc.tuple(fc.constant('readline')),
  fc.tuple(fc.constant('tell')),
  fc.tuple(fc.constant('get'), index),
  fc.tuple(fc.constant('set'), index, byteArb),
  fc.tuple(fc.constant('slice'), optIndex, optIndex, fc.constantFrom(undefined, null, 1, 2, 3, -1, -2, 7, -4097, 0)),
  fc.tuple(fc.constant('setSlice'), optIndex, optIndex, fc.constantFrom(undefined, null, 1, 2, -1, -3, 4099, 0),
    fc.constantFrom(0, 0, 0, 1, -1), fc.integer()),
  fc.tuple(fc.constant('subarray'), fc.oneof(index, fc.constant(undefined)), fc.oneof(index, fc.constant(undefined))),
  fc.tuple(fc.constant('viewWrite'), index, dataArb),
  fc.tuple(fc.constant('move'), index, index, index),
  fc.tuple(fc.constantFrom('find', 'rfind', 'count'), needleArb, optIndex, optIndex),
  fc.tuple(fc.constantFrom('search', 'matchAll'), fc.integer({ min: 0, max: REGEXPS.length - 1 }), optIndex, optIndex),
  fc.tuple(fc.constantFrom('flush', 'flushAsync'), fc.oneof(index, fc.constant(undefined)),
    fc.oneof(index, fc.constant(undefined), fc.constant(-1))),
  fc.tuple(fc.constant('resize'), fc.oneof(fc.integer({ min: 0, max: MAX_FILE + 100 }),
    fc.integer({ min: 0, max: 250 }).map((p) => ({ pct: p })))),
  fc.tuple(fc.constant('size'))
), fc.boolean()).map(([op, big]) => ({ op, big }))

const setupArb = fc.record({
  // Windows has no MAP_PRIVATE (ACCESS_COPY is its private map).
  kind: process.platform === 'win32'
    ? fc.constantFrom('shared', 'write', 'copy', 'read', 'anon')
    : fc.constantFrom('shared', 'write', 'private', 'copy', 'read', 'anon', 'anon-private'),
  fileSize: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: MAX_FILE })),
  offset: fc.oneof(fc.constantFrom(0, 1, P - 1, P, P + 1), fc.integer({ min: 0, max: MAX_FILE })),
  // 0 maps to the end of the file; otherwise a length that fits.
  length: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: MAX_FILE })),
  seed: fc.integer()
})

// Makes the map a setup describes, its model and the file.
function open (setup, file) {
  const { kind, seed } = setup
  if (kind.startsWith('anon')) {
    const length = Math.max(setup.length, 1)
    const map = new Mmap(-1, length, kind === 'anon-private' ? { flags: MAP_PRIVATE } : {})
    return { map, model: new Model({ kind, offset: 0, length }) }
  }
  const content = bytesFrom(seed, setup.fileSize)
  fs.writeFileSync(file, content)
  const offset = Math.min(setup.offset, setup.fileSize)
  const room = setup.fileSize - offset
  const length = setup.length === 0 || room === 0 ? 0 : 1 + (setup.length - 1) % room
  let map
  if (kind === 'write') map = mmap.open(file, { access: ACCESS_WRITE, offset, length })
  else if (kind === 'read') map = mmap.open(file, { offset, length })
  else {
    const fd = fs.openSync(file, kind === 'copy' ? 'r' : 'r+')
    try {
      const options = { offset }
      if (kind === 'copy') options.access = ACCESS_COPY
      if (kind === 'private') options.flags = MAP_PRIVATE
      map = new Mmap(fd, length, options)
    } finally {
      fs.closeSync(fd)
    }
  }
  return { map, model: new Model({ kind, file: content, offset, length: length || room }) }
}

function outcome (fn) {
  try {
    return { value: fn() }
  } catch (err) {
    if (err instanceof Fail) return { error: err.outcome }
    return { error: { name: err.constructor.name, code: err.code } }
  }
}

async function settle (promise) {
  try {
    return { value: await promise }
  } catch (err) {
    return { error: { name: err.constructor.name, code: err.code } }
  }
}

function show (result) {
  if (result.error) return `${result.error.name} ${result.error.code}`
  const v = result.value
  if (Buffer.isBuffer(v)) return `<${v.length} bytes ${v.toString('hex').slice(0, 64)}>`
  return JSON.stringify(v)
}

// Runs one operation on the map and on the model: [real, expected, args].
async function step (map, model, { op, big }) {
  const [name, ...specs] = op
  const len = model.length
  const int = (v) => big && typeof v === 'number' ? BigInt(v) : v
  const at = (spec) => resolve(spec, len)
  const bytes = (spec) => bytesFrom(spec.seed, resolve(spec.length, len))
  switch (name) {
    case 'write': {
      const data = bytes(specs[0])
      return [outcome(() => map.write(asType(data, specs[0].type))), outcome(() => model.write(data))]
    }
    case 'writeByte':
      return [outcome(() => map.writeByte(int(specs[0]))), outcome(() => model.writeByte(specs[0]))]
    case 'seek': {
      const pos = at(specs[0])
      return [outcome(() => map.seek(int(pos), int(specs[1]))), outcome(() => model.seek(pos, specs[1]))]
    }
    case 'read': {
      const n = at(specs[0])
      return [outcome(() => map.read(int(n))), outcome(() => model.read(n))]
    }
    case 'readByte':
    case 'readline':
    case 'tell':
    case 'size':
      return [outcome(() => map[name]()), outcome(() => model[name]())]
    case 'get': {
      const i = at(specs[0])
      return [outcome(() => map.get(int(i))), outcome(() => model.get(i))]
    }
    case 'set': {
      const i = at(specs[0])
      return [outcome(() => map.set(int(i), int(specs[1]))), outcome(() => model.set(i, specs[1]))]
    }
    case 'slice': {
      const [s, e] = [at(specs[0]), at(specs[1])]
      return [outcome(() => map.slice(int(s), int(e), int(specs[2]))), outcome(() => model.slice(s, e, specs[2]))]
    }
    case 'setSlice': {
      const [s, e, stepValue, extra, seed] = [at(specs[0]), at(specs[1]), ...specs.slice(2)]
      // Mostly the right size; sometimes one byte off.
      let size = 0
      try {
        size = sliceIndices(len, s, e, stepValue).length
      } catch {}
      const data = bytesFrom(seed, Math.max(size + extra, 0))
      return [outcome(() => map.setSlice(int(s), int(e), data, int(stepValue))),
        outcome(() => model.setSlice(s, e, data, stepValue))]
    }
    case 'subarray': {
      const [s, e] = [at(specs[0]), at(specs[1])]
      return [outcome(() => Buffer.from(map.subarray(int(s), int(e)))), outcome(() => model.subarray(s, e))]
    }
    case 'viewWrite': {
      const start = at(specs[0])
      const data = bytes(specs[1])
      return [outcome(() => {
        const view = map.subarray(int(start))
        view.set(data.subarray(0, view.length))
      }), outcome(() => model.viewWrite(start, data))]
    }
    case 'move': {
      const [d, s, c] = specs.map(at)
      return [outcome(() => map.move(int(d), int(s), int(c))), outcome(() => model.move(d, s, c))]
    }
    case 'find':
    case 'rfind':
    case 'count': {
      const { what, asString } = specs[0]
      let needle
      if (typeof what === 'string') {
        needle = Buffer.from(what)
      } else {
        const from = Math.min(Math.max(at(what.from), 0), len)
        needle = Buffer.from(model.mem.subarray(from, from + what.length))
      }
      // Only needles that are valid UTF-8 round-trip through a string.
      const sub = asString && Buffer.from(needle.toString()).equals(needle) ? needle.toString() : needle
      const [s, e] = [at(specs[1]), at(specs[2])]
      return [outcome(() => map[name](sub, int(s), int(e))), outcome(() => model[name](needle, s, e))]
    }
    case 'search':
    case 'matchAll': {
      const re = REGEXPS[specs[0]]
      const [s, e] = [at(specs[1]), at(specs[2])]
      const real = outcome(() => {
        const found = name === 'search' ? [map.search(re, int(s), int(e))] : [...map.matchAll(re, int(s), int(e))]
        const pairs = found.filter((m) => m !== null).map((m) => [m.index, m[0]])
        return name === 'search' ? pairs[0] ?? null : pairs
      })
      return [real, outcome(() => model[name](re, s, e))]
    }
    case 'flush':
    case 'flushAsync': {
      const [o, s] = [at(specs[0]), at(specs[1])]
      let real
      if (name === 'flush') {
        real = outcome(() => map.flush(int(o), int(s)))
      } else {
        const result = outcome(() => map.flushAsync(int(o), int(s)))
        real = result.error ? { error: { ...result.error, thrown: true } } : await settle(result.value)
      }
      return [real, outcome(() => model.flush(o, s))]
    }
    case 'resize': {
      const n = at(specs[0])
      return [outcome(() => map.resize(int(n))), outcome(() => model.resize(n))]
    }
  }
  throw new Error(`no operation ${name}`)
}

function assertFile (file, model, when) {
  if (model.anonymous) return
  const disk = fs.readFileSync(file)
  if (!disk.equals(model.file)) {
    let at = 0
    while (at < disk.length && disk[at] === model.file[at]) at++
    assert.fail(`${when}: the file (${disk.length} bytes) differs from the model (${model.file.length} bytes) ` +
      `from byte ${at} (map offset ${model.offset}, length ${model.length})`)
  }
}

async function runSequence (file, setup, ops) {
  const { map, model } = open(setup, file)
  try {
    for (const [i, op] of ops.entries()) {
      const [real, expected] = await step(map, model, op)
      const where = `op ${i} ${JSON.stringify(op.op)}`
      if (real.error || expected.error) {
        assert.deepStrictEqual(real.error, expected.error, `${where}: got ${show(real)}, the model says ${show(expected)}`)
      } else if (Buffer.isBuffer(expected.value)) {
        assert.ok(Buffer.isBuffer(real.value) && real.value.equals(expected.value),
          `${where}: got ${show(real)}, the model says ${show(expected)}`)
      } else {
        assert.deepStrictEqual(real.value, expected.value, `${where}: got ${show(real)}, the model says ${show(expected)}`)
      }
      assert.strictEqual(map.length, model.length, `${where}: length`)
      assert.strictEqual(map.tell(), model.pos, `${where}: position`)
      const contents = map.slice()
      assert.ok(contents.equals(model.mem), `${where}: the map's bytes differ from the model's ` +
        `(${show({ value: contents })} vs ${show({ value: model.mem })})`)
      if ((op.op[0] === 'flush' || op.op[0] === 'flushAsync') && !real.error) assertFile(file, model, `after ${where}`)
    }
  } finally {
    map.close()
  }
  assertFile(file, model, 'after close()')
}

describe('model-based operation sequences', function () {
  const file = tempFile(0)

  it('agree with a Buffer model for file, offset, private, read-only and anonymous maps', async function () {
    await fc.assert(fc.asyncProperty(setupArb, fc.array(opArb, { maxLength: 30, size: 'max' }), async (setup, ops) => {
      await runSequence(file, setup, ops)
    }), { numRuns: 200 })
  })

  it('agree on long runs of writes, resizes and flushes of shared file maps', async function () {
    const writes = opArb.filter(({ op }) => ['write', 'writeByte', 'seek', 'set', 'setSlice', 'move', 'viewWrite',
      'flush', 'flushAsync', 'resize', 'read'].includes(op[0]))
    const shared = setupArb.map((s) => ({ ...s, kind: s.kind === 'copy' || s.kind === 'read' ? 'write' : s.kind }))
      .filter((s) => !s.kind.startsWith('anon'))
    await fc.assert(fc.asyncProperty(shared, fc.array(writes, { minLength: 10, maxLength: 30, size: 'max' }), async (setup, ops) => {
      await runSequence(file, setup, ops)
    }), { numRuns: 100 })
  })

  it('reports positions as integers: seek(-0) gives 0, not -0', function () {
    const m = new Mmap(-1, 16)
    m.seek(3)
    assert.ok(Object.is(m.seek(-0), 0), 'seek(-0) returned -0')
    assert.ok(Object.is(m.tell(), 0), 'tell() returned -0')
    m.close()
  })

  // The model itself, against hand-checked Python results, so that a wrong
  // model cannot make both sides agree on a wrong answer.
  it('the model matches Python on known cases', function () {
    assert.deepStrictEqual(sliceIndices(10, undefined, undefined, -3), [9, 6, 3, 0])
    assert.deepStrictEqual(sliceIndices(10, -100, 100, 4), [0, 4, 8])
    assert.deepStrictEqual(sliceIndices(10, 5, -100, -2), [5, 3, 1])
    assert.deepStrictEqual(sliceIndices(0, undefined, undefined, -1), [])
    const m = new Model({ kind: 'anon', offset: 0, length: 12 })
    Buffer.from('one two ones').copy(m.mem)
    assert.strictEqual(m.find(Buffer.from('one'), 1, -1), 8)
    assert.strictEqual(m.find(Buffer.from('one'), 1, -2), -1)
    assert.strictEqual(m.rfind(Buffer.from('one'), 0, -2), 0)
    assert.strictEqual(m.find(Buffer.from(''), 13), -1)
    assert.strictEqual(m.rfind(Buffer.from('')), 12)
    assert.strictEqual(m.count(Buffer.from('')), 13)
    assert.strictEqual(m.count(Buffer.from('o')), 3)
    assert.strictEqual(m.seek(5), 5)
    assert.strictEqual(m.find(Buffer.from('one')), 8)
    assert.deepStrictEqual(m.readline(), Buffer.from('wo ones'))
    assert.throws(() => m.readByte(), (err) => err.outcome.code === 'ERR_OUT_OF_RANGE')
    m.resize(3)
    assert.deepStrictEqual(m.read(), Buffer.alloc(0))
    assert.throws(() => m.seek(0, 1), (err) => err.outcome.code === 'ERR_OUT_OF_RANGE')
  })
})
