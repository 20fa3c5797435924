'use strict'
// slice.test.js: slice() and setSlice() against Python's slice semantics (PySlice_AdjustIndices).
const assert = require('assert')
const fs = require('fs')
const { ACCESS_READ, ACCESS_COPY, PROT_READ } = require('..')
const helpers = require('./helpers')

const ORIGINAL = Buffer.from('abcdefghijklmnop')

const res = helpers.resources()
const { cleanup } = res

// A map of a temp file holding `contents`: { m, file }.
// The reference: PySlice_Unpack (None becomes the extreme values) followed by
// PySlice_AdjustIndices, in bigints; returns the selected indexes.
function sliceIndexes (length, start, stop, step) {
  const len = BigInt(length)
  step = step === undefined || step === null ? 1n : BigInt(step)
  const MAX = 2n ** 63n - 1n
  const MIN = -MAX - 1n
  start = start === undefined || start === null ? (step < 0n ? MAX : 0n) : BigInt(start)
  stop = stop === undefined || stop === null ? (step < 0n ? MIN : MAX) : BigInt(stop)
  if (start < 0n) {
    start += len
    if (start < 0n) start = step < 0n ? -1n : 0n
  } else if (start >= len) {
    start = step < 0n ? len - 1n : len
  }
  if (stop < 0n) {
    stop += len
    if (stop < 0n) stop = step < 0n ? -1n : 0n
  } else if (stop >= len) {
    stop = step < 0n ? len - 1n : len
  }
  const out = []
  if (step > 0n) for (let i = start; i < stop; i += step) out.push(Number(i))
  else for (let i = start; i > stop; i += step) out.push(Number(i))
  return out
}

const BOUNDS = [undefined, null]
for (let i = -18; i <= 18; i++) BOUNDS.push(i)
const STEPS = [undefined, null, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5]

// Calls with step omitted when it is undefined, so omission is covered too.
function callSlice (m, s, e, step) {
  return step === undefined ? m.slice(s, e) : m.slice(s, e, step)
}

function callSetSlice (m, s, e, data, step) {
  return step === undefined ? m.setSlice(s, e, data) : m.setSlice(s, e, data, step)
}

// The result of fn, or a description of what it threw (so a loop can list
// every failing case instead of stopping at the first).
function attempt (fn) {
  try {
    return fn()
  } catch (err) {
    return `<threw ${err.code}: ${err.message}>`
  }
}

describe('slice', function () {
  afterEach(cleanup)

  it('matches Python slicing for every start, end in -18..18/undefined/null and step in -5..5/undefined/null', function () {
    const { m } = res.mapFile(ORIGINAL)
    const bad = []
    for (const s of BOUNDS) {
      for (const e of BOUNDS) {
        for (const step of STEPS) {
          const want = Buffer.from(sliceIndexes(16, s, e, step).map((i) => ORIGINAL[i]))
          const got = attempt(() => callSlice(m, s, e, step))
          if (!Buffer.isBuffer(got) || !got.equals(want)) {
            bad.push(`slice(${s}, ${e}, ${step}): got ${got} want ${want}`)
          }
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 20), [])
    assert.deepStrictEqual(m.slice(), ORIGINAL)
    assert.deepStrictEqual(m.slice(3), ORIGINAL.subarray(3))
    assert.deepStrictEqual(m.slice(undefined, undefined, -1), Buffer.from(ORIGINAL).reverse())
  })

  it('accepts bigint bounds, clamping huge ones as Python does', function () {
    const { m } = res.mapFile(ORIGINAL)
    const values = [0n, 3n, -3n, 16n, 17n, -17n, 2n ** 63n - 1n, -(2n ** 63n), 2 ** 60, -(2 ** 60)]
    const bad = []
    for (const s of values) {
      for (const e of values) {
        for (const step of [1n, 2n, -1n, -3n, 2n ** 63n - 1n, -(2n ** 63n)]) {
          const want = Buffer.from(sliceIndexes(16, s, e, step).map((i) => ORIGINAL[i]))
          const got = attempt(() => m.slice(s, e, step))
          if (!Buffer.isBuffer(got) || !got.equals(want)) bad.push(`slice(${s}, ${e}, ${step}): got ${got} want ${want}`)
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 20), [])
  })

  it('rejects bounds and steps outside the signed 64-bit range with ERR_OUT_OF_RANGE', function () {
    const { m } = res.mapFile(ORIGINAL)
    for (const big of [2n ** 63n, 2n ** 64n, -(2n ** 63n) - 1n, 2 ** 63]) {
      for (const args of [[big], [0, big], [0, 4, big]]) {
        assert.throws(() => m.slice(...args), { code: 'ERR_OUT_OF_RANGE' }, `slice(${args})`)
      }
    }
  })

  it('returns a copy that does not change with the map, and does not move the position', function () {
    const { m } = res.mapFile(ORIGINAL)
    m.seek(5)
    const copy = m.slice(0, 4)
    copy[0] = 0x5a
    assert.strictEqual(m.get(0), 0x61)
    const before = m.slice(0, 4, 2)
    m.set(0, 0x41)
    assert.deepStrictEqual(before, Buffer.from('ac'))
    assert.strictEqual(m.tell(), 5)
  })

  it('slices a length-0 map to empty Buffers', function () {
    const { m } = res.mapFile(Buffer.alloc(0))
    assert.strictEqual(m.length, 0)
    const bad = []
    for (const s of [undefined, null, -2, -1, 0, 1, 2]) {
      for (const e of [undefined, null, -2, -1, 0, 1, 2]) {
        for (const step of [undefined, -2, -1, 1, 2]) {
          const got = attempt(() => callSlice(m, s, e, step))
          if (!Buffer.isBuffer(got) || got.length !== 0) bad.push(`slice(${s}, ${e}, ${step}): ${got}`)
          const threw = attempt(() => callSetSlice(m, s, e, Buffer.alloc(0), step))
          if (threw !== undefined) bad.push(`setSlice(${s}, ${e}, <0 bytes>, ${step}): ${threw}`)
          const err = helpers.captureThrow(() => callSetSlice(m, s, e, Buffer.from('x'), step))
          assert.ok(err instanceof RangeError)
          assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 20), [])
  })

  it('rejects a step of 0 with ERR_INVALID_ARG_VALUE', function () {
    const { m } = res.mapFile(ORIGINAL)
    for (const step of [0, 0n, -0]) {
      const err = helpers.captureThrow(() => m.slice(0, 4, step))
      assert.ok(err instanceof TypeError, String(err))
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE')
    }
  })

  it('rejects bounds of the wrong type and non-integers', function () {
    const { m } = res.mapFile(ORIGINAL)
    for (const args of [['1'], [0, '4'], [0, 4, '1'], [true], [0, {}], [0, 4, [1]]]) {
      const err = helpers.captureThrow(() => m.slice(...args))
      assert.ok(err instanceof TypeError, String(err))
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE')
    }
    for (const args of [[1.5], [0, 4.5], [0, 4, 1.5], [NaN], [0, Infinity], [0, 4, -Infinity]]) {
      const err = helpers.captureThrow(() => m.slice(...args))
      assert.ok(err instanceof RangeError, String(err))
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    }
  })

  it('throws ERR_MMAP_CLOSED on a closed map', function () {
    const { m } = res.mapFile(ORIGINAL)
    m.close()
    for (const args of [[], [0, 4], [0, 4, 2], [undefined, undefined, -1]]) {
      const err = helpers.captureThrow(() => m.slice(...args))
      assert.ok(!(err instanceof TypeError) && !(err instanceof RangeError), String(err))
      assert.strictEqual(err.code, 'ERR_MMAP_CLOSED')
    }
    // Closed first, as mmap_subscript: before the slice's types and its zero step.
    assert.strictEqual(helpers.captureThrow(() => m.slice('0')).code, 'ERR_MMAP_CLOSED')
    assert.strictEqual(helpers.captureThrow(() => m.slice(28, 4096, 0)).code, 'ERR_MMAP_CLOSED')
  })
})

describe('setSlice', function () {
  afterEach(cleanup)

  it('assigns every slice triple like Python slice assignment, touching nothing else', function () {
    const { m, file } = res.mapFile(ORIGINAL)
    const view = m.subarray()
    const bad = []
    for (const s of BOUNDS) {
      for (const e of BOUNDS) {
        for (const step of STEPS) {
          const indexes = sliceIndexes(16, s, e, step)
          const data = Buffer.from(indexes.map((_, i) => 0x30 + i))
          const want = Buffer.from(ORIGINAL)
          indexes.forEach((at, i) => { want[at] = data[i] })
          const threw = attempt(() => callSetSlice(m, s, e, data, step))
          if (threw !== undefined || !view.equals(want)) bad.push(`setSlice(${s}, ${e}, ${step}): ${threw} map ${view} want ${want}`)
          ORIGINAL.copy(view)
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 20), [])
    // Shared maps reach the file.
    m.setSlice(1, 8, Buffer.from('ZYXW'), 2)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'aZcYeXgWijklmnop')
  })

  it('rejects data of the wrong length with ERR_OUT_OF_RANGE and leaves the map unchanged', function () {
    const { m } = res.mapFile(ORIGINAL)
    const view = m.subarray()
    const bad = []
    for (const s of BOUNDS) {
      for (const e of BOUNDS) {
        for (const step of STEPS) {
          const count = sliceIndexes(16, s, e, step).length
          for (const n of [count + 1, count - 1, count + 16]) {
            if (n < 0) continue
            let err = null
            try {
              callSetSlice(m, s, e, Buffer.alloc(n, 0x2a), step)
            } catch (caught) {
              err = caught
            }
            if (!(err instanceof RangeError) || err.code !== 'ERR_OUT_OF_RANGE' || !view.equals(ORIGINAL)) {
              bad.push(`setSlice(${s}, ${e}, <${n} bytes>, ${step}): ${err && err.code} map ${view}`)
              ORIGINAL.copy(view)
            }
          }
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 20), [])
  })

  it('accepts any bytes-like data: TypedArrays, DataView, ArrayBuffer', function () {
    const { m } = res.mapFile(ORIGINAL)
    const view = m.subarray()
    const wide = new Uint16Array(2)
    Buffer.from(wide.buffer).write('WXYZ', 'latin1')
    m.setSlice(0, 4, wide)
    assert.strictEqual(view.toString('latin1'), 'WXYZefghijklmnop')
    const padded = new ArrayBuffer(8)
    Buffer.from(padded).write('..1234..', 'latin1')
    m.setSlice(-1, -9, new DataView(padded, 2, 4), -2)
    assert.strictEqual(view.toString('latin1'), 'WXYZefghi4k3m2o1')
    m.setSlice(10, undefined, Uint8Array.from(Buffer.from('QRSTUV')).buffer)
    assert.strictEqual(view.toString('latin1'), 'WXYZefghi4QRSTUV')
    m.setSlice(null, null, new Float64Array(2), 1)
    assert.deepStrictEqual(view, Buffer.alloc(16))
  })

  it('rejects data that is not bytes-like, strings included', function () {
    const { m } = res.mapFile(ORIGINAL)
    for (const data of ['abcd', 97, null, undefined, [97, 98, 99, 100], {}]) {
      const err = helpers.captureThrow(() => m.setSlice(0, 4, data))
      assert.ok(err instanceof TypeError, String(err))
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE')
    }
    for (const args of [['0', 4, Buffer.alloc(4)], [0, true, Buffer.alloc(4)], [0, 4, Buffer.alloc(4), '1']]) {
      const err = helpers.captureThrow(() => m.setSlice(...args))
      assert.ok(err instanceof TypeError, String(err))
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE')
    }
    for (const args of [[0.5, 4, Buffer.alloc(4)], [0, NaN, Buffer.alloc(4)], [0, 4, Buffer.alloc(4), 1.5]]) {
      const err = helpers.captureThrow(() => m.setSlice(...args))
      assert.ok(err instanceof RangeError, String(err))
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    }
    assert.deepStrictEqual(m.subarray(), ORIGINAL)
  })

  it('rejects a step of 0 with ERR_INVALID_ARG_VALUE and leaves the map unchanged', function () {
    const { m } = res.mapFile(ORIGINAL)
    for (const step of [0, 0n]) {
      const err = helpers.captureThrow(() => m.setSlice(0, 4, Buffer.alloc(4), step))
      assert.ok(err instanceof TypeError, String(err))
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE')
    }
    assert.deepStrictEqual(m.subarray(), ORIGINAL)
  })

  it('throws ERR_MMAP_READONLY on read-only maps, before the length check', function () {
    // Windows has no prot: ACCESS_READ alone.
    const readOnly = process.platform === 'win32' ? [{ access: ACCESS_READ }] : [{ access: ACCESS_READ }, { prot: PROT_READ }]
    for (const options of readOnly) {
      const { m, file } = res.mapFile(ORIGINAL, 0, options)
      for (const [s, e, data, step] of [[0, 4, Buffer.from('WXYZ')], [0, 4, Buffer.from('WXYZ'), 1],
        [undefined, undefined, Buffer.alloc(8), 2], [0, 4, Buffer.alloc(100)], [0, 0, Buffer.alloc(0)]]) {
        const err = helpers.captureThrow(() => callSetSlice(m, s, e, data, step))
        assert.ok(err instanceof TypeError, String(err))
        assert.strictEqual(err.code, 'ERR_MMAP_READONLY')
      }
      assert.deepStrictEqual(m.slice(), ORIGINAL)
      assert.strictEqual(fs.readFileSync(file, 'latin1'), ORIGINAL.toString('latin1'))
      // Read-only comes before the slice and the data, as in mmap_ass_subscript.
      assert.strictEqual(helpers.captureThrow(() => m.setSlice(0, 4, 'WXYZ')).code, 'ERR_MMAP_READONLY')
      assert.strictEqual(helpers.captureThrow(() => m.setSlice('1', 900, Buffer.alloc(3), 3)).code, 'ERR_MMAP_READONLY')
    }
  })

  it('writes ACCESS_COPY maps without reaching the file', function () {
    const { m, file } = res.mapFile(ORIGINAL, 0, { access: ACCESS_COPY })
    m.setSlice(-1, 9, Buffer.from('ZYX'), -2)
    assert.strictEqual(m.slice().toString('latin1'), 'abcdefghijkXmYoZ')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), ORIGINAL.toString('latin1'))
  })

  it('throws ERR_MMAP_CLOSED on a closed map', function () {
    const { m } = res.mapFile(ORIGINAL)
    m.close()
    const err = helpers.captureThrow(() => m.setSlice(0, 4, Buffer.alloc(4)))
    assert.ok(!(err instanceof TypeError) && !(err instanceof RangeError), String(err))
    assert.strictEqual(err.code, 'ERR_MMAP_CLOSED')
    assert.strictEqual(helpers.captureThrow(() => m.setSlice(0, 4, 'abcd')).code, 'ERR_MMAP_CLOSED')
  })

  it('copies data that is a view of the same map as it was before the call (overlap, any step)', function () {
    const { m } = res.mapFile(ORIGINAL)
    const view = m.subarray()
    const bad = []
    // Every source window [a, a + count) of the map itself for every triple.
    for (const s of BOUNDS) {
      for (const e of BOUNDS) {
        for (const step of STEPS) {
          const indexes = sliceIndexes(16, s, e, step)
          for (let a = 0; a + indexes.length <= 16; a++) {
            const want = Buffer.from(ORIGINAL)
            indexes.forEach((at, i) => { want[at] = ORIGINAL[a + i] })
            const threw = attempt(() => callSetSlice(m, s, e, m.subarray(a, a + indexes.length), step))
            if (threw !== undefined || !view.equals(want)) {
              bad.push(`setSlice(${s}, ${e}, map[${a}:${a + indexes.length}], ${step}): ${threw} map ${view} want ${want}`)
            }
            ORIGINAL.copy(view)
          }
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 20), [])
    // The classic cases, spelled out.
    m.setSlice(2, 10, m.subarray(0, 8))
    assert.strictEqual(view.toString('latin1'), 'ababcdefghklmnop')
    ORIGINAL.copy(view)
    m.setSlice(0, 8, m.subarray(2, 10))
    assert.strictEqual(view.toString('latin1'), 'cdefghijijklmnop')
    ORIGINAL.copy(view)
    m.setSlice(undefined, undefined, m.subarray(), -1)
    assert.strictEqual(view.toString('latin1'), 'ponmlkjihgfedcba')
    ORIGINAL.copy(view)
    m.setSlice(10, 2, m.subarray(3, 11), -1)
    assert.strictEqual(view.toString('latin1'), 'abckjihgfedlmnop')
  })
})
