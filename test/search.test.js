'use strict'
// search.test.js: search() and matchAll(): regular expressions over the map's bytes read as latin1.
const assert = require('assert')
const { ACCESS_READ } = require('..')
const { WINDOW, CONTEXT } = require('../lib/regex')
const helpers = require('./helpers')

const MiB = 1024 * 1024

const res = helpers.resources()
const { cleanup, anonymous } = res

// A map of a temp file holding `contents` (a latin1 string or a Buffer).
// A match as plain data: what the tests compare.
function plain (match) {
  if (match === null) return null
  const pairs = (list) => list.map((pair) => (pair === undefined ? undefined : [pair[0], pair[1]]))
  const out = { index: match.index, values: [...match] }
  if (match.groups !== undefined) out.groups = { ...match.groups }
  if (match.indices !== undefined) {
    out.indices = pairs([...match.indices])
    if (match.indices.groups !== undefined) {
      out.indexGroups = {}
      for (const [name, pair] of Object.entries(match.indices.groups)) out.indexGroups[name] = pairs([pair])[0]
    }
  }
  return out
}

// Python's re pos/endpos: clamped to [0, length], never counted from the end.
function clampBound (value, fallback, length) {
  if (value === undefined || value === null) return fallback
  const n = BigInt(value)
  return n < 0n ? 0 : n > BigInt(length) ? length : Number(n)
}

// The reference: String.prototype.matchAll over the whole latin1 string cut
// at end, starting at start (matchAll copies lastIndex).
function reference (text, re, start, end) {
  const s = clampBound(start, 0, text.length)
  const e = clampBound(end, text.length, text.length)
  if (e < s) return []
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g')
  g.lastIndex = s
  return [...text.slice(0, e).matchAll(g)].map(plain)
}

const TEXT = 'foo bar\nbaz Foo\r\nxx\xff\x80\xe9\xc9 QUX_1 foofoo\0end\nfoo'

const REGEXPS = [
  /foo/, /foo/g, /FOO/i, /FOO/gi, /^\w+/, /^\w+/m, /^\w+/gm, /\w+$/gm, /\w+$/, /bar.baz/s, /bar.baz/,
  /o+/y, /o/gy, /(?<f>f)(o+)(x)?/d, /(?<f>f)(o+)(?<x>x)?/gd, /\xff/, /[\x80-\xff]+/g, /\bfoo\b/g, /\b/g, /\B/g,
  /(?<=o)o/g, /o(?=o)/g, /(?<!f)o/g, /(?<=\n)\w/g, /\w(?=\r?\n)/g, /x*/g, /(?:)/g, /$/g, /^/g, /$/gm, /\0/,
  /é/gi, /\u0100/, /[^]{3}/g, /\p{L}+/gu, /./gs, /(o)\1/g
]

describe('search and matchAll against String.prototype.matchAll', function () {
  afterEach(cleanup)

  it('match the latin1-string reference for every regexp and every start and end', function () {
    const m = res.mapOf(TEXT)
    const len = TEXT.length
    const bounds = [undefined, null, -3n, 2n ** 63n - 1n, -(2n ** 63n)]
    for (let i = -2; i <= len + 2; i++) bounds.push(i)
    const bad = []
    for (const re of REGEXPS) {
      for (const s of bounds) {
        for (const e of bounds) {
          const want = reference(TEXT, re, s, e)
          const all = [...m.matchAll(re, s, e)].map(plain)
          const first = plain(m.search(re, s, e))
          try {
            assert.deepStrictEqual(all, want)
            assert.deepStrictEqual(first, want.length > 0 ? want[0] : null)
          } catch (err) {
            bad.push(`${re} (${s}, ${e}): ${err.message.split('\n').slice(0, 12).join('\n')}`)
          }
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 5), [])
  })

  it('equals String.prototype.matchAll for /x*/g: empty matches advance by one', function () {
    const m = res.mapOf('axxbxc\xff')
    const got = [...m.matchAll(/x*/g)].map((r) => [r.index, r[0]])
    const want = [...'axxbxc\xff'.matchAll(/x*/g)].map((r) => [r.index, r[0]])
    assert.deepStrictEqual(got, want)
    assert.deepStrictEqual(got, [[0, ''], [1, 'xx'], [3, ''], [4, 'x'], [5, ''], [6, ''], [7, '']])
    assert.deepStrictEqual([...m.matchAll(/(?:)/g, 2, 5)].map((r) => r.index), [2, 3, 4, 5])
    assert.deepStrictEqual([...m.matchAll(/$/g)].map((r) => r.index), [7])
  })

  it('reads bytes >= 0x80 as latin1, one character per byte', function () {
    const m = res.mapOf(Buffer.from([0x41, 0xff, 0x80, 0xe9, 0xc9, 0x00, 0x7f]))
    assert.strictEqual(m.search(/\xff/).index, 1)
    assert.strictEqual(m.search(/[\x80-\xff]{4}/)[0], '\xff\x80\xe9\xc9')
    assert.strictEqual(m.search(/é/).index, 3)
    assert.deepStrictEqual([...m.matchAll(/é/gi)].map((r) => r.index), [3, 4])
    assert.strictEqual(m.search(/\0\x7f$/).index, 5)
    assert.strictEqual(m.search(/\u0100|\uffff|\ud800/), null)
    assert.strictEqual(m.search(/[^]*/)[0].length, 7)
  })

  it('gives absolute indexes: match.index and the d flag\'s indices', function () {
    const m = res.mapOf('..foo..foo..')
    const r = m.search(/(?<f>f)(o+)/d, 3)
    assert.strictEqual(r.index, 7)
    assert.deepStrictEqual(plain(r).indices, [[7, 10], [7, 8], [8, 10]])
    assert.deepStrictEqual(plain(r).indexGroups, { f: [7, 8] })
    assert.deepStrictEqual([...m.matchAll(/o/g, 5)].map((x) => x.index), [8, 9])
  })

  it('gives absolute d-flag indices, named groups included, when the window starts far into the map', function () {
    const m = anonymous(3 * MiB)
    const at = 2.5 * MiB + 3
    m.subarray().write('QabcQ', at, 'latin1')
    const check = (r) => {
      assert.strictEqual(r.index, at)
      assert.deepStrictEqual(plain(r).indices, [[at, at + 5], [at, at + 5], [at + 1, at + 4]])
      assert.deepStrictEqual(plain(r).indexGroups, { word: [at, at + 5], inner: [at + 1, at + 4] })
    }
    check(m.search(/(?<word>Q(?<inner>[a-z]+)Q)/d, 2 * MiB))
    check(m.search(/(?<word>Q(?<inner>[a-z]+)Q)/d, 2 * MiB, 3 * MiB))
    const all = [...m.matchAll(/(?<word>Q(?<inner>[a-z]+)Q)/gd, 1.5 * MiB)]
    assert.strictEqual(all.length, 1)
    check(all[0])
  })

  it('clamps start and end to [0, length]: negatives are 0, not counted from the end', function () {
    const m = res.mapOf('foo bar foo')
    assert.strictEqual(m.search(/foo/, -3).index, 0)
    assert.strictEqual(m.search(/foo/, -(2n ** 63n)).index, 0)
    assert.throws(() => m.search(/foo/, -(2n ** 64n)), { code: 'ERR_OUT_OF_RANGE' })
    assert.strictEqual(m.search(/foo/, 0, -1), null)
    assert.deepStrictEqual([...m.matchAll(/(?:)/g, 0, -5)].map((r) => r.index), [0])
    assert.deepStrictEqual([...m.matchAll(/foo/g, 1, 1000)].map((r) => r.index), [8])
    assert.deepStrictEqual([...m.matchAll(/foo/g, 1n, 2n ** 63n - 1n)].map((r) => r.index), [8])
    assert.deepStrictEqual([...m.matchAll(/(?:)/g, 1000)].map((r) => r.index), [11])
    assert.strictEqual(m.search(/foo/, 5, 3), null)
    assert.deepStrictEqual([...m.matchAll(/(?:)/g, 5, 3)], [])
    assert.strictEqual(m.search(/foo/, null, null).index, 0)
    assert.strictEqual(m.search(/foo/, 8, 10), null)
    assert.strictEqual(m.search(/foo/, 8, 11).index, 8)
  })

  it('treats start and end like Python\'s pos and endpos for ^, $, \\b and lookarounds', function () {
    const m = res.mapOf('xab abc\nabc')
    // ^ matches only at the real start (or after \n with m), not at start.
    assert.strictEqual(m.search(/^abc/, 4), null)
    assert.strictEqual(m.search(/^abc/m, 4).index, 8)
    assert.strictEqual(m.search(/^x/, 0).index, 0)
    // $ matches at end, as if the map ended there.
    assert.strictEqual(m.search(/ab$/, 0, 3).index, 1)
    assert.strictEqual(m.search(/abc$/, 0, 7).index, 4)
    assert.strictEqual(m.search(/ab$/, 0, 4), null)
    // \b looks at the byte before start, and sees the end as the end.
    assert.strictEqual(m.search(/\bab/, 1, 3), null)
    assert.strictEqual(m.search(/\bab/, 2).index, 4)
    assert.strictEqual(m.search(/ab\b/, 4, 6).index, 4)
    assert.strictEqual(m.search(/\Bb/, 2).index, 2)
    // Lookbehind sees bytes before start; lookahead never sees past end.
    assert.strictEqual(m.search(/(?<=x)a/, 1).index, 1)
    assert.strictEqual(m.search(/(?<= )abc/, 4).index, 4)
    assert.strictEqual(m.search(/a(?=b)/, 0, 2), null)
    assert.strictEqual(m.search(/a(?=b)/, 0, 3).index, 1)
    assert.strictEqual(m.search(/c(?!\n)/, 6, 7).index, 6)
  })

  it('honours the sticky flag at start and between matches', function () {
    const m = res.mapOf('foofoo foo')
    assert.strictEqual(m.search(/foo/y, 1), null)
    assert.strictEqual(m.search(/foo/y, 3).index, 3)
    assert.strictEqual(m.search(/foo/y).index, 0)
    assert.deepStrictEqual([...m.matchAll(/foo/gy)].map((r) => r.index), [0, 3])
    assert.deepStrictEqual([...m.matchAll(/foo/y, 7)].map((r) => r.index), [7])
    assert.deepStrictEqual([...m.matchAll(/o/gy, 1)].map((r) => r.index), [1, 2])
    assert.deepStrictEqual([...m.matchAll(/foo/gy, 0, 5)].map((r) => r.index), [0])
  })

  it('neither reads nor changes the regexp\'s lastIndex', function () {
    const m = res.mapOf('foo foo')
    const re = /foo/g
    re.lastIndex = 4
    assert.strictEqual(m.search(re).index, 0)
    assert.deepStrictEqual([...m.matchAll(re)].map((r) => r.index), [0, 4])
    assert.strictEqual(re.lastIndex, 4)
    const sticky = /foo/y
    sticky.lastIndex = 4
    assert.strictEqual(m.search(sticky).index, 0)
    assert.strictEqual(sticky.lastIndex, 4)
  })

  it('searches a length-0 map and read-only maps', function () {
    const empty = res.mapOf(Buffer.alloc(0))
    assert.strictEqual(empty.search(/a/), null)
    assert.deepStrictEqual([...empty.matchAll(/(?:)/g)].map((r) => r.index), [0])
    assert.strictEqual(empty.search(/^$/).index, 0)
    const ro = res.mapOf('read only', { access: ACCESS_READ })
    assert.strictEqual(ro.search(/only/).index, 5)
  })
})

describe('search and matchAll argument errors', function () {
  afterEach(cleanup)

  for (const method of ['search', 'matchAll']) {
    it(`${method} rejects a regexp that is not a RegExp with ERR_INVALID_ARG_TYPE`, function () {
      const m = res.mapOf('abc')
      for (const value of ['a', '/a/', null, undefined, 1, {}, { source: 'a', flags: '', exec () { return null } }, Symbol.match]) {
        const err = helpers.captureThrow(() => m[method](value))
        assert.ok(err instanceof TypeError, String(err))
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE')
      }
    })

    it(`${method} rejects bounds of the wrong type and non-integers`, function () {
      const m = res.mapOf('abc')
      for (const args of [['1'], [0, '2'], [true], [0, {}]]) {
        const err = helpers.captureThrow(() => m[method](/a/, ...args))
        assert.ok(err instanceof TypeError, String(err))
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE')
      }
      for (const args of [[1.5], [0, 2.5], [NaN], [0, Infinity], [-Infinity]]) {
        const err = helpers.captureThrow(() => m[method](/a/, ...args))
        assert.ok(err instanceof RangeError, String(err))
        assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      }
    })

    it(`${method} on a closed map throws ERR_MMAP_CLOSED after the argument checks`, function () {
      const m = res.mapOf('abc')
      m.close()
      for (const args of [[/a/], [/a/g, 0, 3], [/(?:)/g]]) {
        const err = helpers.captureThrow(() => m[method](...args))
        assert.ok(!(err instanceof TypeError) && !(err instanceof RangeError), String(err))
        assert.strictEqual(err.code, 'ERR_MMAP_CLOSED')
      }
      assert.strictEqual(helpers.captureThrow(() => m[method]('a')).code, 'ERR_INVALID_ARG_TYPE')
      assert.strictEqual(helpers.captureThrow(() => m[method](/a/, 0.5)).code, 'ERR_OUT_OF_RANGE')
    })
  }

  it('throws ERR_MMAP_CLOSED from a matchAll iterator that needs the map after close()', function () {
    const m = anonymous(WINDOW + 4 * MiB)
    const view = m.subarray()
    view.write('Q', 10, 'latin1')
    view.write('Q', WINDOW + MiB, 'latin1')
    const it = m.matchAll(/Q/g)
    assert.strictEqual(it.next().value.index, 10)
    m.close()
    const err = helpers.captureThrow(() => it.next())
    assert.strictEqual(err.code, 'ERR_MMAP_CLOSED')
  })
})

describe('search and matchAll across 64 MiB windows', function () {
  afterEach(cleanup)
  this.timeout(require('./helpers').slow(120000))

  const W = WINDOW
  const C = CONTEXT
  const SIZE = 140 * MiB

  it('uses 64 MiB windows with 1 MiB of context (the sizes these tests are built around)', function () {
    assert.strictEqual(W, 64 * MiB)
    assert.strictEqual(C, MiB)
  })

  // Writes each [offset, latin1 text] into a new anonymous map and returns
  // the map and the regions (with a margin of zeros) that hold them.
  function place (pieces) {
    const m = anonymous(SIZE)
    const view = m.subarray()
    const regions = []
    for (const [at, text] of pieces) {
      view.write(text, at, 'latin1')
      regions.push([Math.max(0, at - 16), Math.min(SIZE, at + text.length + 16)])
    }
    regions.sort((a, b) => a[0] - b[0])
    const merged = []
    for (const r of regions) {
      const last = merged[merged.length - 1]
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1])
      else merged.push(r)
    }
    return { m, view, regions: merged }
  }

  // The reference for patterns that never match NUL bytes: every match lies
  // inside one region, so the regions can be searched one by one as latin1
  // strings cut to [start, end).
  function regionMatches (view, regions, re, start = 0, end = SIZE) {
    const out = []
    for (const [a, b] of regions) {
      const s = Math.max(a, start)
      const e = Math.min(b, end)
      if (s >= e) continue
      const text = view.subarray(s, e).toString('latin1')
      for (const match of text.matchAll(new RegExp(re.source, re.flags))) out.push(summary(match, s))
    }
    return out
  }

  function summary (match, base = 0) {
    const text = match[0]
    return `${match.index + base}+${text.length}:${text.slice(0, 6)}..${text.slice(-6)}`
  }

  it('finds short matches straddling and beside the window cuts at 63, 64, 127 and 128 MiB', function () {
    const pieces = [
      [W - C - 2, 'QjklQ'], [W - 20, 'QdefQ'], [W - 3, 'QabcQ'], [W + 3, 'QghiQ'], [W - C - 10, 'QxQ'],
      [2 * W - C - 2, 'QpqrQ'], [2 * W - 10, 'QvwxQ'], [2 * W - 2, 'QmnoQ'], [2 * W + 3, 'QstuQ'],
      [5, 'QfirstQ'], [SIZE - 7, 'QlastQ'], [C - 1, 'QcQ'], [W - 5 * MiB - 3, 'QzQ']
    ]
    const { m, view, regions } = place(pieces)
    const re = /Q[a-z]+Q/g
    for (const [start, end] of [[undefined, undefined], [1, undefined], [C + 5, undefined], [W - 2, undefined],
      [W - C - 1, 2 * W + 4], [2 * MiB, 2 * W - 1], [W - 19, W + 3]]) {
      const got = [...m.matchAll(re, start, end)].map((r) => summary(r))
      const want = regionMatches(view, regions, re, start, end)
      assert.deepStrictEqual(got, want, `matchAll(${re}, ${start}, ${end})`)
    }
    assert.strictEqual(regionMatches(view, regions, re).length, pieces.length)
    assert.strictEqual(m.search(re, W - 19).index, W - 3)
    assert.strictEqual(m.search(re, 2 * W - 9).index, 2 * W - 2)
    assert.strictEqual(m.search(/Q[a-z]+Q$/, 0, 2 * W + 3).index, 2 * W - 2)
  })

  it('finds matches of up to 1 MiB (CONTEXT) across the window cuts exactly', function () {
    const long = (n, fill = 'y') => 'L' + fill.repeat(n - 2) + 'L'
    const pieces = [
      [W - C / 2, long(C)], // straddles 64 MiB
      [2 * W - C - 100, long(C)], // straddles 127 MiB
      [2 * W - 50, long(C - 7)], // straddles 128 MiB
      [W - C - C / 4 - 20, long(C / 4)], // straddles 63 MiB, just before the first
      [W + C / 2 + 10, long(C, 'z')], // just after the first
      [2 * W + C, 'M'.repeat(C)], // a run for the greedy pattern
      [W + 2 * C, 'M'.repeat(C)],
      [2 * W - 2 * C - 200, 'M'.repeat(C)],
      [3 * C, long(C)]
    ]
    const { m, view, regions } = place(pieces)
    for (const re of [/L[a-z]*L/g, /M+/g, /L[a-z]*L|M+/g, /(?<=\0)[LM][a-zM]*/g]) {
      for (const [start, end] of [[undefined, undefined], [C / 2, undefined], [W - C / 2 + 1, 2 * W]]) {
        const got = [...m.matchAll(re, start, end)].map((r) => summary(r))
        const want = regionMatches(view, regions, re, start, end)
        assert.deepStrictEqual(got, want, `matchAll(${re}, ${start}, ${end})`)
      }
    }
    assert.deepStrictEqual(summary(m.search(/L[a-z]*L/, W - C)), summary({ index: W - C / 2, 0: long(C) }))
  })

  it('finds a match straddling a cut even when a shorter match of another branch follows it', function () {
    // /A[^Z\0]*Z|B/: at a window cut the first branch cannot finish, so the
    // window alone finds the 'B' inside the run; the real leftmost match is
    // the whole A..Z run (201 and 101 bytes, far below CONTEXT).
    const pieces = [
      [W - 100, 'A' + 'x'.repeat(49) + 'B' + 'x'.repeat(149) + 'Z'], // across 64 MiB
      [2 * W - C - 60, 'A' + 'x'.repeat(49) + 'B' + 'x'.repeat(49) + 'Z'] // across 127 MiB
    ]
    const { m, view, regions } = place(pieces)
    const re = /A[^Z\0]*Z|B/g
    const want = regionMatches(view, regions, re)
    assert.deepStrictEqual(want, [`${W - 100}+201:Axxxxx..xxxxxZ`, `${2 * W - C - 60}+101:Axxxxx..xxxxxZ`])
    const got = [...m.matchAll(re)].map((r) => summary(r))
    assert.deepStrictEqual(got, want)
    assert.strictEqual(m.search(/A[^Z\0]*Z|B/, W - 200).index, W - 100)
  })
})

describe('regex literal prefilter', function () {
  const fc = require('fast-check')
  const search = require('../lib/regex')
  const { plan } = require('../lib/prefilter')
  afterEach(cleanup)

  const lits = (re) => {
    const p = plan(re)
    return p === null ? null : p.map((b) => b.toString('latin1')).sort()
  }

  it('finds the literal every match must contain: prefix, required literal, alternation', function () {
    assert.deepStrictEqual(lits(/the needle zqxj7/), ['the needle zqxj7'])
    assert.deepStrictEqual(lits(/\bfoo_bar\(/g), ['foo_bar('])
    assert.deepStrictEqual(lits(/\w+@example\.com/), ['@example.com'])
    assert.deepStrictEqual(lits(/(?:GET|POST) \/api/), [' /api'])
    assert.deepStrictEqual(lits(/error|warning|fatal/), ['error', 'fatal', 'warning'])
    assert.deepStrictEqual(lits(/(?<word>ab)+c/m), ['ab'])
    assert.deepStrictEqual(lits(/x\x41\u0042\t/du), ['xAB\t'])
  })

  it('gives up where no literal is certain or a match could cross a newline', function () {
    for (const re of [/a*/, /a?b?/, /ab|c*/, /[ab]+/, /\d+/, /ab/i, /ab/y, new RegExp('ab', 'v'), // eslint-disable-line prefer-regex-literals -- the v flag is newer than the linter
      /a\sb/, /a[^x]b/,
      /a.b/s, /a\nb/, /(a)\1/, /(?<x>ab)\k<x>/, /a{2/, /a\p{L}/u, /(?=a[^]b)ab/, /ab(?<!\s)/, /é{0}/]) {
      assert.strictEqual(plan(re), null, String(re))
    }
    // Safe forms around a literal keep it.
    assert.deepStrictEqual(lits(/a[^\n]b/), ['a', 'b'].slice(0, 1))
    assert.deepStrictEqual(lits(/(?<=x)ab(?!\n?)/), null)
  })

  // Random regexes from a small grammar over the text's alphabet.
  const alphabet = ['a', 'b', '_', '(', ' ', '\n', '\r', 'é']
  const atom = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('a', 'b', '_', '\\(', ' ', 'ab', 'ba', 'a_b', 'é', '\\x62', '\\u{61}') },
    { weight: 1, arbitrary: fc.constantFrom('.', '\\w', '\\W', '\\s', '\\S', '\\d', '[ab]', '[^a]', '[^\\n]', '[^\\s]', '\\n', '\\r') },
    { weight: 1, arbitrary: fc.constantFrom('^', '$', '\\b', '\\B', '(?=a)', '(?!b)', '(?<=a)', '(?<!b)', '(?<= )', '(?<!\\w)') }
  )
  const quant = fc.constantFrom('', '', '', '*', '+', '?', '{2}', '{1,2}', '+?')
  const regexSource = fc.letrec((tie) => ({
    term: fc.oneof(
      { weight: 5, arbitrary: fc.tuple(atom, quant).map(([a, q]) => /^[\^$]|^\\[bB]$|^\(\?/.test(a) ? a : a + q) },
      { weight: 1, arbitrary: fc.tuple(tie('alt'), quant).map(([a, q]) => `(${a})${q}`) },
      { weight: 1, arbitrary: tie('alt').map((a) => `(?<g>${a})`) }
    ),
    seq: fc.array(tie('term'), { minLength: 1, maxLength: 5 }).map((ts) => ts.join('')),
    alt: fc.array(tie('seq'), { minLength: 1, maxLength: 3 }).map((ss) => ss.join('|'))
  })).alt
  const flags = fc.constantFrom('', 'g', 'm', 's', 'd', 'u', 'gm', 'dm', 'i', 'y')

  it('gives the plain path\'s matches for random regexes on random texts', function () {
    this.timeout(120000)
    let used = 0
    let runs = 0
    fc.assert(fc.property(regexSource, flags, fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 300 }),
      fc.nat(320), fc.nat(320), (source, flag, chars, a, b) => {
        let re
        try {
          re = new RegExp(source.replace(/\(\?<g>/g, () => `(?<g${runs++}x>`), flag)
        } catch {
          return // not a valid pattern (duplicate names, u-mode rules)
        }
        const bytes = Buffer.from(chars.join(''), 'latin1')
        const m = res.mapOf(bytes)
        try {
          const start = Math.min(a, bytes.length)
          const end = Math.min(b, bytes.length)
          if (plan(re) !== null) used++
          const latin1 = (s, e) => bytes.toString('latin1', s, e)
          const want = end < start ? [] : [...search.matches(latin1, re, start, end)].map(plain)
          assert.deepStrictEqual([...m.matchAll(re, start, end)].map(plain), want, `${re} over ${JSON.stringify(bytes.toString('latin1'))} [${start}, ${end})`)
          assert.deepStrictEqual(plain(m.search(re, start, end)), want.length ? want[0] : null)
        } finally {
          m.close()
        }
      }), { numRuns: 4000 })
    // The prefilter must have been exercised, not only the fallback.
    assert.ok(used > 300, `the prefilter served only ${used} of the regexes`)
  })

  it('falls back to the plain path for lines longer than its context', function () {
    const line = 'x'.repeat(CONTEXT + 10)
    const m = res.mapOf(`${line}foo_bar(${line}\nfoo_bar(`)
    assert.deepStrictEqual([...m.matchAll(/\bfoo_bar\(/g)].map((x) => x.index), [2 * line.length + 9])
    assert.deepStrictEqual([...m.matchAll(/foo_bar\(/g)].map((x) => x.index), [line.length, 2 * line.length + 9])
  })
})
