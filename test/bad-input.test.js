'use strict'
// bad-input.test.js: every public entry point, every argument position, every kind of wrong value,
// on open and closed maps, in a child process: no crash, and each call fails with the coded error
// the API's error table names or is a value that position accepts.
const assert = require('assert')
const util = require('util')
const mmap = require('..')
const { tempDir, runChild } = require('./helpers')
const { VALUES, CALLS } = require('./fixtures/reliability-bad-input')

const { Mmap } = mmap
const isWindows = process.platform === 'win32'

const OK = 'ok'
const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }
const VALUE = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }
const CLOSED = { name: 'Error', code: 'ERR_MMAP_CLOSED' }
const osError = (code, syscall) => ({ name: 'Error', code, syscall })

const LABELS = Object.keys(VALUES)
const NON_INTEGERS = ['NaN', 'Infinity', '-Infinity', '1.5']
const INTEGERS = ['-1', '2**53', '2n**64n', '-(2n**64n)']
const STRINGS = ["''", "'1'", "'abc'"]
const DETACHED = ['detached ArrayBuffer', 'detached Uint8Array', 'detached DataView', 'view of a closed map']
const OBJECTS = ['{}', '{ valueOf }', '[]', '[1]', 'closed Mmap', ...DETACHED]

// Builds the expectation for every label: `special` lists the labels a
// position treats specially; every other label gets `rest`.
function table (special, rest) {
  const out = {}
  for (const label of LABELS) out[label] = label in special ? special[label] : rest
  return out
}

// An integer argument. `ints` says what -1, 2**53, 2n**64n and -(2n**64n)
// do (one outcome for all, or one per label); `undefined` and `null` say
// whether the position is optional and whether null means "the default"
// (the positions where Python accepts None). A number that is not an
// integer is a RangeError; any other type a TypeError.
function integer ({ undefined: undef = TYPE, null: nul = TYPE, ints }) {
  const special = { undefined: undef, null: nul }
  for (const label of NON_INTEGERS) special[label] = RANGE
  for (const label of INTEGERS) special[label] = typeof ints === 'string' || 'name' in ints ? ints : ints[label]
  return table(special, TYPE)
}
const optional = (ints) => integer({ undefined: OK, ints })
const nullable = (ints) => integer({ undefined: OK, null: OK, ints })
// An integer position that clamps like Python: every integer inside the
// signed 64-bit range is accepted, one outside it is ERR_OUT_OF_RANGE.
const CLAMPED = { '-1': OK, '2**53': OK, '2n**64n': RANGE, '-(2n**64n)': RANGE }
const OUTSIDE_INT64 = ['2n**64n', '-(2n**64n)']
// Windows has no flags or prot: refused once they convert (outside 64 bits they do not).
const WINDOWS_FLAGS = { '-1': VALUE, '2**53': VALUE, '2n**64n': RANGE, '-(2n**64n)': RANGE }

// A bytes-like argument (Buffer, TypedArray, DataView, ArrayBuffer), with
// strings where `strings` is OK; a detached buffer is a bad value.
function bytes ({ strings = TYPE } = {}) {
  const special = {}
  for (const label of STRINGS) special[label] = strings
  for (const label of DETACHED) special[label] = VALUE
  return table(special, TYPE)
}

// The options argument: undefined, null and any object are accepted.
function options () {
  const special = { undefined: OK, null: OK }
  for (const label of OBJECTS) special[label] = OK
  return table(special, TYPE)
}

function boolean () {
  return table({ undefined: OK, true: OK, false: OK }, TYPE)
}

function string (outcome) {
  const special = {}
  for (const label of STRINGS) special[label] = outcome
  return table(special, TYPE)
}

// What a call madvise() would make succeed (or the OS refuse) gives where the
// platform has no madvise(): Windows' ENOTSUP.
const NO_MADVISE = osError('ENOTSUP', 'madvise')
function noMadvise (positions) {
  if (!isWindows) return positions
  const out = {}
  for (const [position, outcomes] of Object.entries(positions)) {
    out[position] = {}
    for (const [label, outcome] of Object.entries(outcomes)) {
      out[position][label] = outcome === OK || outcome.syscall === 'madvise' ? NO_MADVISE : outcome
    }
  }
  return out
}

// What a valid call gives on an open map.
function validOutcome (method, naming) {
  if (method === 'setName' && naming !== true) return osError(naming, 'prctl')
  if (method === 'madvise' && isWindows) return NO_MADVISE
  return OK
}

// What each position does with each value, for each entry point. `naming`
// is what setName() of an anonymous map gives on this kernel.
function expectations (naming) {
  const onWindows = (windows, posix) => isWindows ? windows : posix
  // A string names a Windows mapping object; POSIX has no such thing.
  const tagname = { ...string(onWindows(OK, VALUE)), undefined: OK, null: OK }
  return {
    'new Mmap': {
      fd: integer({ ints: { '-1': OK, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE } }),
      length: integer({ ints: RANGE }),
      options: options(),
      // A C int in Python: 2**53 does not convert.
      'options.access': optional({ '-1': VALUE, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE }),
      // Windows: any flags or prot is refused, after the same type checks as
      // everywhere. POSIX: flags -1 has MAP_SHARED and MAP_PRIVATE both set:
      // mmap(2) says EINVAL.
      // prot is passed to mmap(2) as it is (as Python does), which takes -1.
      'options.flags': onWindows(integer({ undefined: OK, ints: WINDOWS_FLAGS }),
        optional({ '-1': osError('EINVAL', 'mmap'), '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE })),
      'options.prot': onWindows(integer({ undefined: OK, ints: WINDOWS_FLAGS }),
        optional({ '-1': OK, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE })),
      'options.offset': optional(RANGE),
      'options.trackfd': boolean(),
      'options.tagname': tagname
    },
    open: {
      // A relative path names a file that does not exist (the child runs in
      // a temp folder). A Buffer over a detached ArrayBuffer must be rejected
      // before fs sees it (fs throws a TypeError without a code).
      path: table({ ...string(osError('ENOENT', 'open')), 'view of a closed map': VALUE }, TYPE),
      // An Mmap as options has a size() method: options.size is a function.
      options: { ...options(), 'closed Mmap': TYPE },
      // A C int in Python: 2**53 does not convert.
      'options.access': optional({ '-1': VALUE, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE }),
      'options.length': optional(RANGE),
      'options.offset': optional(RANGE),
      'options.create': boolean(),
      // Measured with create: true.
      'options.size': optional(RANGE),
      'options.trackfd': boolean(),
      // flags or prot make open() map with ACCESS_DEFAULT: as the constructor.
      'options.flags': onWindows(integer({ undefined: OK, ints: WINDOWS_FLAGS }),
        optional({ '-1': osError('EINVAL', 'mmap'), '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE })),
      'options.prot': onWindows(integer({ undefined: OK, ints: WINDOWS_FLAGS }),
        optional({ '-1': OK, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE })),
      'options.tagname': tagname
    },
    length: {},
    closed: {},
    buffer: {},
    close: {},
    [Symbol.dispose.toString()]: {},
    [util.inspect.custom.toString()]: {},
    size: {},
    // Buffer.subarray's clamping; null is not a default here.
    subarray: { start: optional(CLAMPED), end: optional(CLAMPED) },
    get: { index: integer({ ints: { '-1': OK, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE } }) },
    set: {
      index: integer({ ints: { '-1': OK, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE } }),
      value: integer({ ints: RANGE })
    },
    // Python slice clamping: every integer in the 64-bit range is a valid bound and step.
    slice: { start: nullable(CLAMPED), end: nullable(CLAMPED), step: nullable(CLAMPED) },
    // setSlice(0, 8192, <8192 bytes>): a bound that changes the slice's
    // length makes the data the wrong size.
    setSlice: {
      start: nullable(RANGE),
      end: nullable({ '-1': RANGE, '2**53': OK, '2n**64n': RANGE, '-(2n**64n)': RANGE }),
      data: bytes(),
      step: nullable(RANGE)
    },
    find: { sub: bytes({ strings: OK }), start: nullable(CLAMPED), end: nullable(CLAMPED) },
    rfind: { sub: bytes({ strings: OK }), start: nullable(CLAMPED), end: nullable(CLAMPED) },
    count: { sub: bytes({ strings: OK }), start: nullable(CLAMPED), end: nullable(CLAMPED) },
    // Negative or past the end: everything that is left.
    read: { n: nullable(CLAMPED) },
    readByte: {},
    readline: {},
    // bytes-style bounds, clamped as count()'s.
    lines: { start: nullable(CLAMPED), end: nullable(CLAMPED), options: options(), 'options.keepEnds': boolean(), 'options.crlf': boolean() },
    lineOffsets: { start: nullable(CLAMPED), end: nullable(CLAMPED) },
    write: { data: bytes() },
    writeByte: { byte: integer({ ints: RANGE }) },
    seek: {
      pos: integer({ ints: RANGE }),
      // A C int (Python's "i"): 2**53 does not convert.
      whence: optional({ '-1': VALUE, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE })
    },
    tell: {},
    seekable: {},
    move: { dest: integer({ ints: RANGE }), src: integer({ ints: RANGE }), count: integer({ ints: RANGE }) },
    // size -1 means "to the end". flags is a C int passed to msync(2),
    // which refuses -1 (EINVAL); Windows has no flags at all.
    flush: flushRow(),
    flushAsync: flushRow(),
    resize: { newSize: integer({ ints: RANGE }) },
    // Python's checks: start in [0, length), length >= 0 and start + length
    // below 2^63 (then clamped to the map). An unknown option is the OS's EINVAL.
    // Windows has no madvise(): the same checks, then ENOTSUP where POSIX
    // would advise (or refuse an unknown option).
    madvise: noMadvise({
      option: integer({ ints: { '-1': osError('EINVAL', 'madvise'), '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE } }),
      start: optional(RANGE),
      length: nullable({ '-1': RANGE, '2**53': OK, '2n**64n': RANGE, '-(2n**64n)': RANGE })
    }),
    setName: { name: string(naming === true ? OK : osError(naming, 'prctl')) },
    // The sync methods' arguments, then { signal, threads }; every error rejects.
    ...Object.fromEntries(['findAsync', 'rfindAsync', 'countAsync'].map((name) => [name, {
      sub: bytes({ strings: OK }),
      start: nullable(CLAMPED),
      end: nullable(CLAMPED),
      options: options(),
      'options.signal': table({ undefined: OK }, TYPE),
      'options.threads': optional(RANGE)
    }])),
    // start in [0, length]; length clamped to the map's end (as madvise).
    prefetch: {
      start: optional(RANGE),
      length: nullable({ '-1': RANGE, '2**53': OK, '2n**64n': RANGE, '-(2n**64n)': RANGE }),
      options: options(),
      'options.signal': table({ undefined: OK }, TYPE)
    },
    ...Object.fromEntries(['residency', 'lock', 'unlock'].map((name) => [name, {
      start: optional(RANGE),
      length: nullable({ '-1': RANGE, '2**53': OK, '2n**64n': RANGE, '-(2n**64n)': RANGE })
    }])),
    // Python's re pos/endpos: clamped to [0, length], negatives to 0.
    search: { regexp: table({}, TYPE), start: nullable(CLAMPED), end: nullable(CLAMPED) },
    matchAll: { regexp: table({}, TYPE), start: nullable(CLAMPED), end: nullable(CLAMPED) }
  }
}

function flushRow () {
  return {
    offset: optional(RANGE),
    size: optional({ '-1': OK, '2**53': RANGE, '2n**64n': RANGE, '-(2n**64n)': RANGE }),
    options: options(),
    'options.flags': optional({
      '-1': isWindows ? VALUE : osError('EINVAL', 'msync'),
      '2**53': RANGE,
      '2n**64n': RANGE,
      '-(2n**64n)': RANGE
    })
  }
}

// Entry points that never throw on a closed map.
const NEVER_CLOSED = ['closed', 'close', Symbol.dispose.toString(), util.inspect.custom.toString(), 'seekable']

// The subscript forms check closed before anything (mmap_subscript,
// mmap_ass_subscript).
const SUBSCRIPTS = ['get', 'set', 'slice', 'setSlice']
// C int positions (Python's "i"): 2**53 fails their conversion.
const INT32 = ['seek whence', 'madvise option', 'flush options.flags', 'flushAsync options.flags']

// On a closed map, argument conversion errors come first (a wrong type, a
// number that is not an integer, an integer outside the signed 64-bit range
// or outside a C int, a detached buffer, a byte outside 0..255 as Python's
// unsigned char converter has it, flags on Windows); everything else is
// ERR_MMAP_CLOSED. The subscript forms are closed first of all.
function onClosed (method, position, label, open) {
  if (NEVER_CLOSED.includes(method)) return open
  if (SUBSCRIPTS.includes(method)) return CLOSED
  if (open === TYPE) return TYPE
  if (open === RANGE && (NON_INTEGERS.includes(label) || OUTSIDE_INT64.includes(label))) return RANGE
  if (open === RANGE && label === '2**53' && INT32.includes(`${method} ${position}`)) return RANGE
  if (open === VALUE && DETACHED.includes(label)) return VALUE
  if (open === VALUE && position === 'options.flags') return VALUE
  if (method === 'writeByte' && open === RANGE) return RANGE
  return CLOSED
}

function describeCase (c) {
  const where = c.position === null ? 'valid arguments' : `${c.position} = ${c.value}`
  return `${c.method} (${where}, ${c.state} map)`
}

function same (actual, expected) {
  if (expected === OK || actual === OK) return actual === expected
  return actual.name === expected.name && actual.code === expected.code &&
    (expected.syscall === undefined || actual.syscall === expected.syscall) && actual.sync === undefined
}

function show (outcome) {
  if (outcome === OK) return 'ok'
  const sync = outcome.sync ? ' (thrown, not rejected)' : ''
  return `${outcome.name} ${outcome.code}${outcome.syscall ? ` (${outcome.syscall})` : ''}${sync}`
}

describe('bad input', function () {
  let result = null

  // One child runs every case: a crash anywhere fails every test below.
  before(function () {
    const dir = tempDir()
    const fixture = require.resolve('./fixtures/reliability-bad-input')
    result = runChild(`require(${JSON.stringify(fixture)}).main(${JSON.stringify(dir)})
      .catch((err) => { console.error(err); process.exit(1) })`)
  })

  function cases () {
    assert.strictEqual(result.signal, null, `the child was killed by ${result.signal}\n${result.stderr}`)
    assert.strictEqual(result.status, 0, `the child exited with ${result.status}\n${result.stderr}`)
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line))
    const first = lines.shift()
    const last = lines.pop()
    assert.deepStrictEqual(last, { done: lines.length })
    return { naming: first.naming, cases: lines }
  }

  it('covers every method, accessor and argument of the public API', function () {
    const expected = expectations(true)
    const proto = Mmap.prototype
    const members = [
      ...Object.getOwnPropertyNames(proto).filter((name) => name !== 'constructor'),
      ...Object.getOwnPropertySymbols(proto).map(String)
    ]
    const rows = Object.keys(expected).filter((name) => name !== 'new Mmap' && name !== 'open')
    assert.deepStrictEqual([...rows].sort(), [...members].sort(), 'every member of Mmap.prototype needs a row')
    // SharedMemory's arguments are swept in test/shared-memory.test.js.
    assert.deepStrictEqual(Object.keys(mmap).filter((name) => typeof mmap[name] === 'function').sort(), ['Mmap', 'SharedMemory', 'open'])
    // The rows name exactly the declared parameters: a parameter added later
    // needs a row too.
    const arity = (name) => {
      if (name === 'new Mmap') return Mmap.length
      if (name === 'open') return mmap.open.length
      const key = Object.getOwnPropertySymbols(proto).find((s) => String(s) === name) ?? name
      const desc = Object.getOwnPropertyDescriptor(proto, key)
      return desc.get ? desc.get.length : desc.value.length
    }
    for (const [name, positions] of Object.entries(expected)) {
      const top = Object.keys(positions).filter((p) => !p.includes('.'))
      assert.strictEqual(top.length, arity(name), `${name} declares ${arity(name)} parameters, the table has ${top}`)
      assert.deepStrictEqual(CALLS[name].params, Object.keys(positions), `the child calls ${name} with other positions`)
    }
    assert.deepStrictEqual(Object.keys(CALLS).sort(), Object.keys(expected).sort())
  })

  it('survives every call (no crash, status 0) and reports one line per case', function () {
    const { cases: all } = cases()
    const expected = expectations(true)
    let count = 0
    for (const [name, positions] of Object.entries(expected)) {
      const states = CALLS[name].target === null ? 1 : 2
      count += states * (1 + Object.keys(positions).length * LABELS.length)
    }
    assert.strictEqual(all.length, count)
  })

  it('makes every call with valid arguments succeed on an open map', function () {
    const { naming, cases: all } = cases()
    const wrong = all.filter((c) => c.position === null && c.state === 'open')
      .filter((c) => !same(c.outcome, validOutcome(c.method, naming)))
      .map((c) => `${describeCase(c)}: ${show(c.outcome)}`)
    assert.deepStrictEqual(wrong, [])
  })

  it('throws ERR_MMAP_CLOSED from every method of a closed map, except close, closed, seekable and inspect', function () {
    const { cases: all } = cases()
    const wrong = all.filter((c) => c.position === null && c.state === 'closed')
      .filter((c) => !same(c.outcome, NEVER_CLOSED.includes(c.method) ? OK : CLOSED))
      .map((c) => `${describeCase(c)}: ${show(c.outcome)}`)
    assert.deepStrictEqual(wrong, [])
  })

  it('answers every wrong value with the coded error the error table names, on an open map', function () {
    const { naming, cases: all } = cases()
    const expected = expectations(naming)
    const wrong = all.filter((c) => c.position !== null && c.state === 'open')
      .filter((c) => !same(c.outcome, expected[c.method][c.position][c.value]))
      .map((c) => `${describeCase(c)}: ${show(c.outcome)}, expected ${show(expected[c.method][c.position][c.value])}`)
    assert.deepStrictEqual(wrong, [])
  })

  it('checks argument types before the closed state, and the closed state before values', function () {
    const { naming, cases: all } = cases()
    const expected = expectations(naming)
    const wrong = all.filter((c) => c.position !== null && c.state === 'closed')
      .map((c) => [c, onClosed(c.method, c.position, c.value, expected[c.method][c.position][c.value])])
      .filter(([c, want]) => !same(c.outcome, want))
      .map(([c, want]) => `${describeCase(c)}: ${show(c.outcome)}, expected ${show(want)}`)
    assert.deepStrictEqual(wrong, [])
  })

  it('rejects (never throws) from flushAsync, findAsync, rfindAsync, countAsync and prefetch, whatever the arguments', function () {
    const { cases: all } = cases()
    for (const method of ['flushAsync', 'findAsync', 'rfindAsync', 'countAsync', 'prefetch']) {
      const thrown = all.filter((c) => c.method === method && c.outcome !== OK && c.outcome.sync)
        .map(describeCase)
      assert.deepStrictEqual(thrown, [])
      assert.ok(all.some((c) => c.method === method && c.outcome !== OK), `no ${method} case failed at all`)
    }
  })

  it('gives every error a string code', function () {
    const { cases: all } = cases()
    const uncoded = all.filter((c) => c.outcome !== OK && typeof c.outcome.code !== 'string')
      .map((c) => `${describeCase(c)}: ${c.outcome.name} without a code`)
    assert.deepStrictEqual(uncoded, [])
  })
})

// The binding checks what it is given by itself (the JavaScript layer's checks are not its only
// guard). Deno's napi_get_value_int32 and _uint32 coerce any value (a string gives 0 and napi_ok)
// where Node reports napi_number_expected, so the addon checks the type before it reads a number.
describe('bad input at the binding', function () {
  const binding = require('../lib/binding')
  const { resources, assertCode } = require('./helpers')
  const { ACCESS_WRITE, MAP_SHARED = 1, PROT_READ = 1, PROT_WRITE = 2 } = mmap
  const res = resources()
  afterEach(res.cleanup)

  it('refuses a non-number wherever a binding takes a number, with ERR_INVALID_ARG_TYPE and nothing done', function () {
    const fd = res.openFd(res.file(Buffer.from('0123456789abcdef\nsecond line\n')), 'r+')
    const wrong = ['5', '', true, null, {}, [1]]
    for (const v of wrong) {
      assertCode(() => binding.map(v, 16, 0, ACCESS_WRITE, MAP_SHARED, PROT_READ | PROT_WRITE, false), TypeError, 'ERR_INVALID_ARG_TYPE')
    }
    const h = binding.map(fd, 32, 0, ACCESS_WRITE, MAP_SHARED, PROT_READ | PROT_WRITE, false)
    try {
      for (const v of wrong) {
        assertCode(() => binding.get(h, v), TypeError, 'ERR_INVALID_ARG_TYPE') // size
        assertCode(() => binding.set(h, 1, v), TypeError, 'ERR_INVALID_ARG_TYPE') // int32
        assertCode(() => binding.copyStep(h, 0, v, 2), TypeError, 'ERR_INVALID_ARG_TYPE') // int64
        assertCode(() => binding.readlineFast(v, 0, 0), TypeError, 'ERR_INVALID_ARG_TYPE') // the slot
      }
      assert.strictEqual(binding.get(h, 1), '1'.charCodeAt(0), 'a refused set() wrote nothing')
      assert.strictEqual(binding.get(h, 0), '0'.charCodeAt(0), 'no string was read as index 0')
    } finally {
      binding.close(h)
    }
  })
})
