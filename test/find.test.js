'use strict'
// find.test.js: find(), rfind() and count() against bytes.find/rfind/count semantics.
const assert = require('assert')
const fs = require('fs')
const { Mmap, ACCESS_READ, PAGESIZE } = require('..')
const binding = require('../lib/binding')
const helpers = require('./helpers')

const GiB = 2 ** 30

// The search kernels this CPU can run (1 scalar, 2 SSE2, 3 AVX2 on x86-64, 4 NEON on AArch64):
// searchKernel(level) throws for a level the CPU lacks; searchKernel(0) picks the best.
const ALL_KERNELS = [[1, 'scalar'], [2, 'SSE2'], [3, 'AVX2'], [4, 'NEON']]
const KERNELS = ALL_KERNELS.filter(([level]) => {
  try {
    return binding.searchKernel(level) === level
  } catch {
    return false
  }
})
binding.searchKernel(0)

const { skip } = helpers
const res = helpers.resources()
const { files, track, cleanup, anonymous } = res

// A shared map of a temp file holding `contents`.
// The reference: CPython's bytes.find/rfind/count over bigint bounds (null:
// the default), ADJUST_INDICES included: start is never clamped upwards.
function adjust (start, end, length) {
  const len = BigInt(length)
  if (end > len) end = len
  else if (end < 0n) {
    end += len
    if (end < 0n) end = 0n
  }
  if (start < 0n) {
    start += len
    if (start < 0n) start = 0n
  }
  return [start, end]
}

function big (value, fallback) {
  if (value === undefined || value === null) return BigInt(fallback)
  return BigInt(value)
}

function matchesAt (hay, sub, i) {
  for (let j = 0; j < sub.length; j++) if (hay[i + j] !== sub[j]) return false
  return true
}

function refFind (hay, sub, start, end) {
  const [s, e] = adjust(start, end, hay.length)
  if (e - s < BigInt(sub.length)) return -1
  for (let i = Number(s); i + sub.length <= Number(e); i++) if (matchesAt(hay, sub, i)) return i
  return -1
}

function refRfind (hay, sub, start, end) {
  const [s, e] = adjust(start, end, hay.length)
  if (e - s < BigInt(sub.length)) return -1
  for (let i = Number(e) - sub.length; i >= Number(s); i--) if (matchesAt(hay, sub, i)) return i
  return -1
}

function refCount (hay, sub, start, end) {
  const [s, e] = adjust(start, end, hay.length)
  if (e - s < 0n) return 0
  if (sub.length === 0) return Number(e - s) + 1
  let count = 0
  let i = Number(s)
  while (i + sub.length <= Number(e)) {
    if (matchesAt(hay, sub, i)) {
      count++
      i += sub.length
    } else {
      i++
    }
  }
  return count
}

// The same needle bytes in every accepted form.
function needleForms (bytes) {
  const forms = [['Buffer', Buffer.from(bytes)]]
  if (bytes.every((b) => b < 0x80)) forms.push(['string', Buffer.from(bytes).toString('latin1')])
  const padded = new ArrayBuffer(bytes.length + 3)
  new Uint8Array(padded, 3).set(bytes)
  forms.push(['DataView', new DataView(padded, 3, bytes.length)])
  forms.push(['ArrayBuffer', Uint8Array.from(bytes).buffer])
  if (bytes.length % 2 === 0) {
    const wide = new ArrayBuffer(bytes.length + 2)
    new Uint8Array(wide, 2).set(bytes)
    forms.push(['Uint16Array', new Uint16Array(wide, 2, bytes.length / 2)])
  }
  return forms
}

const HAYSTACKS = [
  Buffer.from('abcabcaabbccabca'),
  Buffer.from('aaaaaaaaaaaaaaaa'),
  Buffer.from('ab\0ab\0\0ab\0abab\0\0a'),
  Buffer.from('abababababababab')
]

function needlesFor (hay) {
  const list = ['', 'a', 'b', 'c', '\0', 'ab', 'ca', 'aa', 'abc', 'bca', 'aaa', 'b\0', '\0\0a', 'bab',
    'abab', 'x', 'abx', 'a\0x']
    .map((s) => Buffer.from(s, 'latin1'))
  list.push(Buffer.from(hay)) // equal to the map
  list.push(Buffer.concat([hay, Buffer.from('a')])) // longer than the map
  list.push(Buffer.concat([Buffer.from('a'), hay]))
  list.push(hay.subarray(1), hay.subarray(0, 15), hay.subarray(3, 11))
  return list
}

// Every start and end in -17..17; every other one (and 0) where MMAP_NATIVE_TEST_SCALE scales the
// tests down (the emulated stages: the 16-byte maps reach no vector kernel, which
// test/native checks under qemu).
const INDICES = []
const INDEX_STEP = helpers.scaled(1000) < 1000 ? 2 : 1
for (let i = -17; i <= 17; i += INDEX_STEP) INDICES.push(i)
if (!INDICES.includes(0)) INDICES.push(0)
const INDEX_TITLE = INDEX_STEP === 1 ? 'every start and end in -17..17' : 'every other start and end in -17..17 (scaled down)'

// A needle in any form, shown as a latin1 string for failure messages.
function show (sub) {
  if (typeof sub === 'string') return JSON.stringify(sub)
  const bytes = sub instanceof ArrayBuffer ? new Uint8Array(sub) : new Uint8Array(sub.buffer, sub.byteOffset, sub.byteLength)
  return JSON.stringify(Buffer.from(bytes).toString('latin1'))
}

describe('search kernel choice', function () {
  after(() => binding.searchKernel(0))

  it('picks the widest kernel of this architecture and refuses the kernels of others', function () {
    const best = binding.searchKernel(0)
    const names = KERNELS.map(([, name]) => name)
    if (process.arch === 'arm64') {
      assert.strictEqual(best, 4)
      assert.deepStrictEqual(names, ['scalar', 'NEON'])
    } else if (process.arch === 'x64') {
      assert.ok(best === 2 || best === 3, `x64 picked level ${best}`)
      assert.deepStrictEqual(names, best === 3 ? ['scalar', 'SSE2', 'AVX2'] : ['scalar', 'SSE2'])
    } else {
      assert.strictEqual(best, 1)
      assert.deepStrictEqual(names, ['scalar'])
    }
    for (const [level] of ALL_KERNELS.filter(([l]) => !KERNELS.some(([k]) => k === l))) {
      helpers.assertCode(() => binding.searchKernel(level), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(binding.searchKernel(), best, 'a refused level leaves the kernel as it was')
    }
    for (const bad of [-1, 5, 99]) helpers.assertCode(() => binding.searchKernel(bad), RangeError, 'ERR_OUT_OF_RANGE')
  })
})

// Every kernel this CPU has (scalar everywhere; SSE2 and AVX2 on x86-64, NEON on
// AArch64), forced in turn, must give the same answers.
for (const [level, name] of KERNELS) {
  describe(`find, rfind and count against bytes semantics (${name} kernel)`, function () {
    before(() => assert.strictEqual(binding.searchKernel(level), level))
    after(() => binding.searchKernel(0))
    afterEach(cleanup)

    it(`match bytes.find/rfind/count for ${INDEX_TITLE} and every needle form`, function () {
      const bad = []
      for (const hay of HAYSTACKS) {
        const m = res.mapOf(hay)
        for (const bytes of needlesFor(hay)) {
          for (const [form, sub] of needleForms([...bytes])) {
            for (const s of INDICES) {
              for (const e of INDICES) {
                const want = [refFind(hay, bytes, BigInt(s), BigInt(e)), refRfind(hay, bytes, BigInt(s), BigInt(e)),
                  refCount(hay, bytes, BigInt(s), BigInt(e))]
                const got = [m.find(sub, s, e), m.rfind(sub, s, e), m.count(sub, s, e)]
                if (got[0] !== want[0] || got[1] !== want[1] || got[2] !== want[2]) {
                  bad.push(`${hay.toString('latin1')} ${form} ${show(sub)} (${s}, ${e}): got ${got} want ${want}`)
                }
              }
            }
          }
        }
      }
      assert.deepStrictEqual(bad.slice(0, 20), [])
    })

    it('treats omitted, undefined and null bounds as defaults and accepts bigints and huge values', function () {
      const hay = HAYSTACKS[0]
      const m = res.mapOf(hay)
      const bounds = [undefined, null, 0, 3, -3, 16, 17, 100, -100, 0n, 4n, -4n, 16n, 17n, -17n,
        2n ** 63n - 1n, -(2n ** 63n), 2 ** 53, -(2 ** 53), 2 ** 60, -(2 ** 60), Number.MAX_SAFE_INTEGER]
      const bad = []
      for (const bytes of needlesFor(hay)) {
        for (const s of bounds) {
          for (const e of bounds) {
            const want = [refFind(hay, bytes, big(s, 0), big(e, 16)), refRfind(hay, bytes, big(s, 0), big(e, 16)),
              refCount(hay, bytes, big(s, 0), big(e, 16))]
            const got = [m.find(bytes, s, e), m.rfind(bytes, s, e), m.count(bytes, s, e)]
            if (got.join() !== want.join()) bad.push(`${show(bytes)} (${s}, ${e}): got ${got} want ${want}`)
          }
        }
        // Omitted arguments, not only undefined ones.
        assert.strictEqual(m.find(bytes), refFind(hay, bytes, 0n, 16n))
        assert.strictEqual(m.rfind(bytes), refRfind(hay, bytes, 0n, 16n))
        assert.strictEqual(m.count(bytes), refCount(hay, bytes, 0n, 16n))
        assert.strictEqual(m.find(bytes, 2), refFind(hay, bytes, 2n, 16n))
        assert.strictEqual(m.rfind(bytes, -5), refRfind(hay, bytes, -5n, 16n))
        assert.strictEqual(m.count(bytes, 1), refCount(hay, bytes, 1n, 16n))
      }
      assert.deepStrictEqual(bad.slice(0, 20), [])
    })

    it('rejects bounds outside the signed 64-bit range with ERR_OUT_OF_RANGE, as Python\'s OverflowError', function () {
      const m = res.mapOf(HAYSTACKS[0])
      for (const bound of [2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, -(10n ** 20n), 2 ** 63, -(2 ** 64)]) {
        for (const method of ['find', 'rfind', 'count']) {
          assert.throws(() => m[method]('a', bound), { code: 'ERR_OUT_OF_RANGE' }, `${method}(a, ${bound})`)
          assert.throws(() => m[method]('a', 0, bound), { code: 'ERR_OUT_OF_RANGE' }, `${method}(a, 0, ${bound})`)
        }
      }
    })

    it('starts find and rfind at the current position when start is omitted, undefined or null', function () {
      const hay = HAYSTACKS[0]
      const m = res.mapOf(hay)
      const bad = []
      for (let pos = 0; pos <= 16; pos++) {
        assert.strictEqual(m.seek(pos), pos)
        for (const bytes of needlesFor(hay)) {
          const p = BigInt(pos)
          if (m.find(bytes) !== refFind(hay, bytes, p, 16n)) bad.push(`find ${show(bytes)} at ${pos}`)
          if (m.rfind(bytes) !== refRfind(hay, bytes, p, 16n)) bad.push(`rfind ${show(bytes)} at ${pos}`)
          // count is bytes.count: its start defaults to 0 wherever the position is.
          if (m.count(bytes) !== refCount(hay, bytes, 0n, 16n)) bad.push(`count ${show(bytes)} at ${pos}`)
          for (const e of [undefined, null, ...INDICES]) {
            const end = big(e, 16)
            for (const s of [undefined, null]) {
              if (m.find(bytes, s, e) !== refFind(hay, bytes, p, end)) bad.push(`find ${show(bytes)} ${s} ${e} at ${pos}`)
              if (m.rfind(bytes, s, e) !== refRfind(hay, bytes, p, end)) bad.push(`rfind ${show(bytes)} ${s} ${e} at ${pos}`)
              if (m.count(bytes, s, e) !== refCount(hay, bytes, 0n, end)) bad.push(`count ${show(bytes)} ${s} ${e} at ${pos}`)
            }
          }
        }
        assert.strictEqual(m.tell(), pos, 'searching does not move the position')
      }
      assert.deepStrictEqual(bad.slice(0, 20), [])
    })

    it('pins the documented examples (gh-151021: a start past the end finds nothing)', function () {
      const m = res.mapOf(Buffer.from('one two ones'))
      assert.strictEqual(m.find('one'), 0)
      assert.strictEqual(m.find('ones'), 8)
      assert.strictEqual(m.find('one', 0, -1), 0)
      assert.strictEqual(m.find('one', 1), 8)
      assert.strictEqual(m.find('one', 1, -1), 8)
      assert.strictEqual(m.find('one', 1, -2), -1)
      assert.strictEqual(m.rfind('one'), 8)
      assert.strictEqual(m.rfind('one '), 0)
      assert.strictEqual(m.rfind('one', 0, -1), 8)
      assert.strictEqual(m.rfind('one', 0, -2), 0)
      assert.strictEqual(m.rfind('one', 1, -1), 8)
      assert.strictEqual(m.rfind('one', 1, -2), -1)
      assert.strictEqual(m.find('one', -100), 0)
      assert.strictEqual(m.find('one', 100), -1)
      assert.strictEqual(m.find('one', -4), 8)
      assert.strictEqual(m.find(''), 0)
      assert.strictEqual(m.rfind(''), 12)
      assert.strictEqual(m.find('', 12), 12)
      assert.strictEqual(m.find('', 13), -1)
      assert.strictEqual(m.rfind('', 13), -1)
      assert.strictEqual(m.find('', 5, 3), -1)
      assert.strictEqual(m.count(''), 13)
      assert.strictEqual(m.count('', 13), 0)
      assert.strictEqual(m.count('one'), 2)
      assert.strictEqual(m.find('one two ones!'), -1)
      // The needle is UTF-8: 'é' is two bytes.
      const u = res.mapOf(Buffer.from('caf\xc3\xa9 caf\xe9', 'latin1'))
      assert.strictEqual(u.find('é'), 3)
      assert.strictEqual(u.rfind('é'), 3)
      assert.strictEqual(u.find(Buffer.from([0xe9])), 9)
    })

    it('searches a length-0 map', function () {
      const m = res.mapOf(Buffer.alloc(0))
      assert.strictEqual(m.length, 0)
      assert.strictEqual(m.find(''), 0)
      assert.strictEqual(m.rfind(''), 0)
      assert.strictEqual(m.count(''), 1)
      assert.strictEqual(m.find('', 1), -1)
      assert.strictEqual(m.rfind('', 1), -1)
      assert.strictEqual(m.count('', 1), 0)
      assert.strictEqual(m.find('a'), -1)
      assert.strictEqual(m.rfind('a'), -1)
      assert.strictEqual(m.count('a'), 0)
    })

    it('searches read-only maps', function () {
      const m = res.mapOf(Buffer.from('xxabcxxabc'), { access: ACCESS_READ })
      assert.strictEqual(m.find('abc'), 2)
      assert.strictEqual(m.rfind('abc'), 7)
      assert.strictEqual(m.count('abc'), 2)
    })
  })

  describe(`find, rfind and count at every needle position (${name} kernel)`, function () {
    before(() => assert.strictEqual(binding.searchKernel(level), level))
    after(() => binding.searchKernel(0))
    afterEach(cleanup)

    it('finds needles of 1..40 bytes at every offset of a 100-byte map', function () {
      const m = anonymous(100)
      const view = m.subarray()
      const bad = []
      for (let k = 1; k <= 40; k++) {
        const needle = Buffer.alloc(k)
        for (let j = 0; j < k; j++) needle[j] = 1 + ((j * 37 + k) % 250)
        for (let at = 0; at + k <= 100; at++) {
          view.fill(0)
          needle.copy(view, at)
          const got = [m.find(needle, 0), m.rfind(needle, 0), m.count(needle, 0),
            m.find(needle, at), m.find(needle, at + 1), m.rfind(needle, at), m.rfind(needle, 0, at + k),
            m.find(needle, 0, at + k), m.find(needle, 0, at + k - 1), m.rfind(needle, 0, at + k - 1),
            m.find(needle, at, at + k), m.count(needle, at, at + k), m.count(needle, at + 1), m.count(needle, 0, at + k - 1)]
          const want = [at, at, 1, at, -1, at, at, at, -1, -1, at, 1, 0, 0]
          if (got.join() !== want.join()) bad.push(`length ${k} at ${at}: got ${got} want ${want}`)
        }
      }
      assert.deepStrictEqual(bad.slice(0, 20), [])
    })

    it('finds needles of 1..40 bytes at every offset among partial copies of themselves', function () {
      const m = anonymous(100)
      const view = m.subarray()
      const hay = Buffer.alloc(100)
      const bad = []
      for (let k = 1; k <= 40; k++) {
        // A periodic needle whose prefixes (all but the last byte) fill the map.
        const needle = Buffer.alloc(k)
        for (let j = 0; j < k; j++) needle[j] = 0x61 + (j % 3)
        needle[k - 1] = 0x7a
        const prefix = k > 1 ? needle.subarray(0, k - 1) : Buffer.from('q')
        for (let at = 0; at + k <= 100; at++) {
          for (let i = 0; i < 100; i++) hay[i] = prefix[i % prefix.length]
          needle.copy(hay, at)
          hay.copy(view)
          for (const [s, e] of [[0n, 100n], [BigInt(at), 100n], [BigInt(at + 1), 100n], [0n, BigInt(at + k - 1)], [0n, BigInt(at + k)]]) {
            const want = [refFind(hay, needle, s, e), refRfind(hay, needle, s, e), refCount(hay, needle, s, e)]
            const got = [m.find(needle, s, e), m.rfind(needle, s, e), m.count(needle, s, e)]
            if (got.join() !== want.join()) bad.push(`length ${k} at ${at} (${s}, ${e}): got ${got} want ${want}`)
            const sub = prefix.subarray(0, Math.max(1, prefix.length - 1))
            const want2 = [refFind(hay, sub, s, e), refRfind(hay, sub, s, e), refCount(hay, sub, s, e)]
            const got2 = [m.find(sub, s, e), m.rfind(sub, s, e), m.count(sub, s, e)]
            if (got2.join() !== want2.join()) bad.push(`prefix of length ${k} at ${at} (${s}, ${e}): got ${got2} want ${want2}`)
          }
        }
      }
      assert.deepStrictEqual(bad.slice(0, 20), [])
    })

    it('counts a byte over ranges longer than 255 vector blocks, at every alignment', function () {
      const m = anonymous(40000)
      const view = m.subarray()
      view.fill(0x61)
      for (let i = 0; i < 40000; i += 97) view[i] = 0x62
      const bad = []
      for (const n of [4079, 4080, 4081, 8159, 8160, 8161, 8191, 8192, 16319, 16320, 16321, 32768, 39990]) {
        for (let s = 0; s < 4; s++) {
          const e = s + n
          let a = 0
          for (let i = s; i < e; i++) a += view[i] === 0x61
          const got = [m.count('a', s, e), m.count('b', s, e)]
          if (got[0] !== a || got[1] !== n - a) bad.push(`[${s}, ${e}): got ${got} want ${[a, n - a]}`)
        }
      }
      assert.deepStrictEqual(bad, [])
      assert.strictEqual(m.count('a') + m.count('b'), 40000)
    })
  })
}

describe('find, rfind and count past 2 GiB and 4 GiB', function () {
  afterEach(cleanup)
  this.timeout(helpers.slow(120000))

  const SIZE = 6 * GiB
  const NEEDLE = Buffer.from('needle!')
  const AT = [2 ** 31 - 3, 2 ** 31 + 5, 2 ** 32 - 1, 2 ** 32 + 7]

  it('finds needles just below and past 2 GiB and 4 GiB of a 6 GiB sparse file exactly', function () {
    helpers.needs64Bit(this, 'maps a 6 GiB file whole')
    const file = helpers.sparseFile(SIZE)
    if (file === null) skip(this, 'the filesystem here does not make cheap 6 GiB sparse files')
    const fd = fs.openSync(file, 'r+')
    let m
    try {
      for (const at of AT) fs.writeSync(fd, NEEDLE, 0, NEEDLE.length, at)
      fs.writeSync(fd, Buffer.from('Z'), 0, 1, SIZE - 1)
      m = new Mmap(fd, 0)
    } finally {
      fs.closeSync(fd)
    }
    track(m)
    files.push(file)
    assert.strictEqual(m.length, SIZE)
    const [a, b, c, d] = AT
    // Around 2 GiB.
    assert.strictEqual(m.find(NEEDLE, a - 100, a + 100), a)
    assert.strictEqual(m.find(NEEDLE, a + 1, a + 100), b)
    assert.strictEqual(m.find(NEEDLE, a, a + 7), a)
    assert.strictEqual(m.find(NEEDLE, a, a + 6), -1)
    assert.strictEqual(m.find(NEEDLE, a + 1, b + 6), -1)
    assert.strictEqual(m.find(NEEDLE, a + 1, b + 7), b)
    assert.strictEqual(m.rfind(NEEDLE, a - 100, a + 100), b)
    assert.strictEqual(m.rfind(NEEDLE, a - 100, b + 6), a)
    assert.strictEqual(m.rfind(NEEDLE, a + 1, b + 6), -1)
    assert.strictEqual(m.count(NEEDLE, a - 100, a + 100), 2)
    assert.strictEqual(m.count(NEEDLE, a, b + 6), 1)
    assert.strictEqual(m.count('e', a - 100, a + 100), 6)
    assert.strictEqual(m.find('!', a, a + 100), a + 6)
    assert.strictEqual(m.rfind('!', a, a + 100), b + 6)
    // Straddling and past 4 GiB.
    assert.strictEqual(m.find(NEEDLE, c - 1000, c + 1000), c)
    assert.strictEqual(m.find(NEEDLE, c + 1, c + 1000), d)
    assert.strictEqual(m.find(NEEDLE, c, c + 6), -1)
    assert.strictEqual(m.find(NEEDLE, c, c + 7), c)
    assert.strictEqual(m.rfind(NEEDLE, c - 1000, c + 1000), d)
    assert.strictEqual(m.rfind(NEEDLE, c - 1000, d + 6), c)
    assert.strictEqual(m.count(NEEDLE, c - 1000, c + 1000), 2)
    assert.strictEqual(m.count(NEEDLE, c + 1, d + 7), 1)
    assert.strictEqual(m.find('n', c - 10, c + 10), c)
    assert.strictEqual(m.find('!', c, c + 100), c + 6)
    assert.strictEqual(m.rfind('n', c - 10, c + 100), d)
    assert.strictEqual(m.find('', c + 3, c + 5), c + 3)
    assert.strictEqual(m.rfind('', c + 3, c + 5), c + 5)
    assert.strictEqual(m.count('', c + 3, c + 5), 3)
    // bigints and bounds counted from the end.
    assert.strictEqual(m.find(NEEDLE, BigInt(c) - 10n, BigInt(c) + 10n), c)
    assert.strictEqual(m.rfind(NEEDLE, BigInt(d - SIZE) - 10n, BigInt(d - SIZE) + 10n), d)
    assert.strictEqual(m.find(NEEDLE, d - SIZE - 5, d - SIZE + 10), d)
    assert.strictEqual(m.rfind(NEEDLE, a - SIZE - 10, b - SIZE + 7), b)
    assert.strictEqual(m.find('Z', -1), SIZE - 1)
    assert.strictEqual(m.rfind('', 2n ** 63n - 1n), -1)
    assert.strictEqual(m.rfind(''), SIZE)
    assert.strictEqual(m.find('', SIZE), SIZE)
    assert.strictEqual(m.find('', SIZE + 1), -1)
    // Starting at the current position past 4 GiB.
    m.seek(c + 1)
    assert.strictEqual(m.find(NEEDLE, undefined, d + 100), d)
    assert.strictEqual(m.rfind(NEEDLE, null, d + 100), d)
    assert.strictEqual(m.rfind(NEEDLE, null, d + 6), -1)
    m.seek(0)
    // One long scan: the default start (position 0) over the 2 GiB of holes.
    assert.strictEqual(m.find(NEEDLE), a)
  })
})

describe('find, rfind and count argument errors', function () {
  afterEach(cleanup)

  for (const method of ['find', 'rfind', 'count']) {
    it(`${method} rejects a needle that is not bytes-like or a string`, function () {
      const m = res.mapOf(Buffer.from('abcabc'))
      for (const sub of [97, null, undefined, {}, [97], true, 97n, Symbol('a')]) {
        const err = helpers.captureThrow(() => m[method](sub))
        assert.ok(err instanceof TypeError, String(err))
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE')
      }
    })

    it(`${method} rejects non-integer and non-numeric bounds`, function () {
      const m = res.mapOf(Buffer.from('abcabc'))
      for (const args of [['a', 1.5], ['a', 0, 1.5], ['a', NaN], ['a', 0, Infinity], ['a', -Infinity]]) {
        const err = helpers.captureThrow(() => m[method](...args))
        assert.ok(err instanceof RangeError, String(err))
        assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      }
      for (const args of [['a', '1'], ['a', 0, '3'], ['a', true], ['a', {}], ['a', 0, [1]]]) {
        const err = helpers.captureThrow(() => m[method](...args))
        assert.ok(err instanceof TypeError, String(err))
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE')
      }
    })

    it(`${method} on a closed map throws ERR_MMAP_CLOSED after the argument checks`, function () {
      const m = res.mapOf(Buffer.from('abcabc'))
      m.close()
      for (const args of [['a'], ['a', 0, 3], [Buffer.from('a')], ['']]) {
        const err = helpers.captureThrow(() => m[method](...args))
        assert.ok(err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError), String(err))
        assert.strictEqual(err.code, 'ERR_MMAP_CLOSED')
      }
      assert.strictEqual(helpers.captureThrow(() => m[method](1)).code, 'ERR_INVALID_ARG_TYPE')
      assert.strictEqual(helpers.captureThrow(() => m[method]('a', 1.5)).code, 'ERR_OUT_OF_RANGE')
    })

    it(`${method} rejects a needle whose buffer was detached`, function () {
      const m = res.mapOf(Buffer.from('abcabc'))
      const other = res.mapOf(Buffer.from('abc'))
      const view = other.subarray(0, 2)
      other.close()
      assert.strictEqual(view.byteLength, 0)
      const err = helpers.captureThrow(() => m[method](view))
      assert.ok(err instanceof TypeError, String(err))
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE')
    })
  }
})

describe('find, rfind and count never read outside [start, end)', function () {
  afterEach(cleanup)

  // Prints, for every search kernel the CPU has, the answers for needles that
  // match only if the search reads at or past P (the map's first P bytes are
  // 'x' and end in 'abc'), then for needles that do match before P.
  const CHILD = `
    const fs = require('fs')
    const { Mmap, PAGESIZE: P } = require(MMAP)
    const binding = require(MMAP + '/lib/binding')
    const fd = fs.openSync(process.env.FIND_FILE, 'r+')
    const m = new Mmap(fd, Number(process.env.FIND_LENGTH))
    if (process.env.FIND_TRUNCATE) fs.ftruncateSync(fd, P)
    fs.closeSync(fd)
    const needles = ['abcd', 'bcd', 'cd', 'abcdefgh', 'xabcd', 'xxxxxxxabcd', 'c\\0', 'abc\\0\\0\\0\\0']
    for (let k = 5; k <= 70; k++) needles.push('x'.repeat(k - 4) + 'abcd', 'abc' + 'x'.repeat(k - 3))
    for (const level of [1, 2, 3, 4]) {
      try {
        binding.searchKernel(level)
      } catch {
        continue // not on this CPU
      }
      let misses = 0
      for (const sub of needles) {
        const got = [m.find(sub, 0, P), m.find(sub, P - 4, P), m.find(sub, P - 3, P), m.find(sub, P - 1, P),
          m.find(sub, P - 100, P), m.rfind(sub, 0, P), m.rfind(sub, P - 8, P), m.rfind(sub, P - 100, P),
          m.count(sub, 0, P), m.count(sub, P - 3, P), m.count(sub, P - 100, P)]
        if (got.join() !== '-1,-1,-1,-1,-1,-1,-1,-1,0,0,0') console.log('level', level, JSON.stringify(sub), got.join())
        else misses++
      }
      const hits = [m.find('abc', 0, P), m.rfind('abc', 0, P), m.count('abc', 0, P), m.find('c', P - 1, P),
        m.rfind('xxabc', 0, P), m.find('x'.repeat(40) + 'abc', 0, P), m.rfind('x'.repeat(40) + 'abc', P - 100, P)]
      console.log(level, misses, hits.join())
    }
  `

  function pageFile (pages) {
    const data = Buffer.alloc(pages * PAGESIZE, 'x')
    data.write('abc', PAGESIZE - 3, 'latin1')
    if (pages > 1) data.write('defgh', PAGESIZE, 'latin1')
    return res.file(data)
  }

  // One line per kernel: its level, the needle count, then the hits.
  const expected = KERNELS.map(([level]) => `${level} ${8 + 2 * 66} ` +
    [PAGESIZE - 3, PAGESIZE - 3, 1, PAGESIZE - 1, PAGESIZE - 5, PAGESIZE - 43, PAGESIZE - 43].join()).join('\n')

  it('returns -1 for needles that match only past the end of a one-page map (gh-105235)', function () {
    const r = helpers.runChild(CHILD, { env: { FIND_FILE: pageFile(1), FIND_LENGTH: String(PAGESIZE) } })
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.signal, null)
    assert.strictEqual(r.status, 0)
    assert.strictEqual(r.stdout.trim(), expected)
  })

  it('returns -1 without touching the page after end when that page would fault (SIGBUS)', function () {
    if (process.platform === 'win32') skip(this, 'Windows refuses to truncate a mapped file (windows.test.js)')
    // Two pages mapped, then the file loses its second page: any read of it
    // raises SIGBUS. The partial matches continue there ('defgh').
    const r = helpers.runChild(CHILD, {
      env: { FIND_FILE: pageFile(2), FIND_LENGTH: String(2 * PAGESIZE), FIND_TRUNCATE: '1' }
    })
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.signal, null)
    assert.strictEqual(r.status, 0)
    assert.strictEqual(r.stdout.trim(), expected)
  })
})
