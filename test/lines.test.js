'use strict'
// lines.test.js: lines(), lineOffsets() and readline() against a plain reference (Python's
// readline over [start, end)), on every search kernel, in windows, past 4 GiB, and on bad input.
const assert = require('assert')
const fs = require('fs')
const fc = require('fast-check')
const binding = require('../lib/binding')
const lines = require('../lib/lines')
const helpers = require('./helpers')

const BEST_KERNEL = binding.searchKernel(0)
const KERNELS = [[1, 'scalar'], [2, 'SSE2'], [3, 'AVX2']].filter(([level]) => level <= BEST_KERNEL)

const { skip, assertCode } = helpers
const res = helpers.resources()

// The reference: the lines of bytes[start:end] as Python's readline yields
// them, with the options applied, and their start offsets.
function reference (bytes, start, end, { keepEnds = false, crlf = false } = {}) {
  const out = []
  const starts = []
  let s = start
  while (s < end) {
    let e = s
    while (e < end && bytes[e] !== 10) e++
    const next = e < end ? e + 1 : end
    let stop = keepEnds ? next : e
    if (!keepEnds && crlf && e < end && stop > s && bytes[stop - 1] === 13) stop--
    out.push(Buffer.from(bytes.subarray(s, stop)))
    starts.push(s)
    s = next
  }
  return { lines: out, starts }
}

function collect (iterable) {
  return [...iterable].map((b) => Buffer.from(b))
}

describe('lines() and lineOffsets()', function () {
  afterEach(() => {
    res.cleanup()
    binding.searchKernel(0)
  })

  it('yields lines without their newline, a last line without one, and nothing for an empty range', function () {
    const m = res.mapOf('ab\ncd\n\nlast')
    assert.deepStrictEqual(collect(m.lines()).map(String), ['ab', 'cd', '', 'last'])
    assert.deepStrictEqual([...m.lines(3, 3)], [])
    assert.deepStrictEqual([...m.lines(100)], [])
    assert.deepStrictEqual(collect(m.lines(1, 4)).map(String), ['b', 'c'])
    assert.deepStrictEqual(collect(m.lines(-4)).map(String), ['last'])
  })

  it('keeps the newline with keepEnds and strips a \\r before \\n with crlf', function () {
    const m = res.mapOf('a\r\nb\rc\r\n\r\nd\r')
    assert.deepStrictEqual(collect(m.lines(0, undefined, { keepEnds: true })).map(String), ['a\r\n', 'b\rc\r\n', '\r\n', 'd\r'])
    assert.deepStrictEqual(collect(m.lines(0, undefined, { crlf: true })).map(String), ['a', 'b\rc', '', 'd\r'])
    assert.deepStrictEqual(collect(m.lines(0, undefined, { crlf: true, keepEnds: true })).map(String), ['a\r\n', 'b\rc\r\n', '\r\n', 'd\r'])
  })

  it('yields zero-copy Buffers over the map', function () {
    const m = res.mapOf('hello\nworld\n')
    const [first] = m.lines()
    assert.ok(Buffer.isBuffer(first))
    assert.strictEqual(first.toString('latin1'), 'hello')
    m.buffer // eslint-disable-line no-unused-expressions
    const w = new Uint8Array(m.buffer)
    w[0] = 0x48
    assert.strictEqual(first.toString('latin1'), 'Hello')
  })

  it('returns line starts as a Float64Array, a trailing newline starting no line', function () {
    const m = res.mapOf('ab\ncd\n')
    const offsets = m.lineOffsets()
    assert.ok(offsets instanceof Float64Array)
    assert.deepStrictEqual([...offsets], [0, 3])
    assert.deepStrictEqual([...m.lineOffsets(1)], [1, 3])
    assert.deepStrictEqual([...m.lineOffsets(2, 4)], [2, 3])
    assert.deepStrictEqual([...m.lineOffsets(6)], [])
    assert.deepStrictEqual([...res.mapOf('x').lineOffsets()], [0])
  })

  for (const [level, name] of KERNELS) {
    it(`matches the reference on random text with the ${name} kernel`, function () {
      this.timeout(60000)
      binding.searchKernel(level)
      fc.assert(fc.property(
        fc.array(fc.constantFrom(10, 10, 13, 97, 98, 0, 255), { maxLength: 700 }),
        fc.nat(800), fc.nat(800), fc.boolean(), fc.boolean(),
        (arr, a, b, keepEnds, crlf) => {
          const bytes = Buffer.from(arr.length ? arr : [65])
          const m = res.mapOf(bytes)
          try {
            const start = Math.min(a, bytes.length)
            const end = Math.max(start, Math.min(b, bytes.length))
            const want = reference(bytes, start, end, { keepEnds, crlf })
            assert.deepStrictEqual(collect(m.lines(start, end, { keepEnds, crlf })), want.lines)
            assert.deepStrictEqual([...m.lineOffsets(start, end)], want.starts)
          } finally {
            m.close()
          }
        }), { numRuns: 150 })
    })
  }

  it('matches the reference over many batches of lines and long lines', function () {
    this.timeout(30000)
    const rnd = helpers.random(7)
    const parts = []
    for (let i = 0; i < 3 * lines.BATCH + 17; i++) {
      const len = rnd() < 0.01 ? Math.floor(rnd() * 9000) : Math.floor(rnd() * 60)
      parts.push('x'.repeat(len))
    }
    const bytes = Buffer.from(parts.join('\n'))
    const m = res.mapOf(bytes)
    for (const opts of [{}, { keepEnds: true }]) {
      const want = reference(bytes, 0, bytes.length, opts)
      assert.deepStrictEqual(collect(m.lines(0, undefined, opts)), want.lines)
      assert.deepStrictEqual([...m.lineOffsets()], want.starts)
    }
    // readline() over the same text, through the slab and past it.
    const got = []
    for (let line = m.readline(); line.length > 0; line = m.readline()) got.push(Buffer.from(line))
    assert.deepStrictEqual(got, reference(bytes, 0, bytes.length, { keepEnds: true }).lines)
  })

  it('matches the reference when the offsets fill an array of its own (huge pages or made in one call), on every kernel', function () {
    this.timeout(60000)
    // Over lines.BIG_ARRAY bytes of offsets: 1.1 M lines of 0 to 9 bytes,
    // with runs of empty lines and of long ones.
    const rnd = helpers.random(15)
    const count = Math.ceil(lines.BIG_ARRAY / 8) + 100000
    const parts = []
    for (let i = 0; i < count; i++) {
      const r = rnd()
      parts.push(r < 0.1 ? '' : r < 0.101 ? 'y'.repeat(300) : 'x'.repeat(Math.floor(rnd() * 10)))
    }
    const bytes = Buffer.from(parts.join('\n') + '\n')
    const want = []
    for (let s = 0; s < bytes.length; s = bytes.indexOf(10, s) + 1) want.push(s)
    const m = res.mapOf(bytes)
    for (const [level] of KERNELS) {
      binding.searchKernel(level)
      // Several calls: the process tries both kinds of pages (see mm__big_alloc).
      for (let r = 0; r < 3; r++) {
        const got = m.lineOffsets()
        assert.ok(got instanceof Float64Array)
        assert.strictEqual(got.length, want.length)
        for (let i = 0; i < want.length; i++) {
          if (got[i] !== want[i]) assert.fail(`offset ${i}: ${got[i]} !== ${want[i]} (kernel ${level})`)
        }
      }
      const part = m.lineOffsets(12345, bytes.length - 999)
      const from = want.findIndex((x) => x >= 12345)
      const to = want.findIndex((x) => x >= bytes.length - 999)
      assert.deepStrictEqual([...part], [12345, ...want.slice(want[from] === 12345 ? from + 1 : from, to)])
    }
  })

  it('bigArrayBuffer() gives zero-filled memory or null, and refuses lengths it cannot give', function () {
    const ab = binding.bigArrayBuffer(lines.BIG_ARRAY)
    if (ab !== null) {
      assert.ok(ab instanceof ArrayBuffer)
      assert.strictEqual(ab.byteLength, lines.BIG_ARRAY)
      const f = new Float64Array(ab)
      assert.ok(f.every((x) => x === 0))
      f.fill(7)
      assert.strictEqual(f[f.length - 1], 7)
    }
    assertCode(() => binding.bigArrayBuffer(0), RangeError, 'ERR_OUT_OF_RANGE')
    assertCode(() => binding.bigArrayBuffer(2 ** 60), RangeError, 'ERR_OUT_OF_RANGE')
    assertCode(() => binding.bigArrayBuffer(-1), RangeError, 'ERR_OUT_OF_RANGE')
    assertCode(() => binding.bigArrayBuffer('x'), TypeError, 'ERR_INVALID_ARG_TYPE')
  })

  it('views a map longer than one ArrayBuffer may be in windows that start at a line', function () {
    const saved = { ...lines.config }
    try {
      lines.config.maxView = 64
      lines.config.window = 40
      const bytes = Buffer.from(Array.from({ length: 30 }, (_, i) => 'l'.repeat(i % 13) + i).join('\n'))
      const m = res.mapOf(bytes)
      const want = reference(bytes, 0, bytes.length)
      assert.deepStrictEqual(collect(m.lines()), want.lines)
      assert.deepStrictEqual(collect(m.lines(5, bytes.length - 3)), reference(bytes, 5, bytes.length - 3).lines)
      // A line longer than a window gets a window of its own.
      const long = res.mapOf(Buffer.from('a'.repeat(50) + '\nb\n' + 'c'.repeat(45)))
      assert.deepStrictEqual(collect(long.lines()).map(String), ['a'.repeat(50), 'b', 'c'.repeat(45)])
    } finally {
      Object.assign(lines.config, saved)
    }
  })

  it('keeps offsets exact past 4 GiB', function () {
    this.timeout(60000)
    const size = 2 ** 32 + 4096
    const file = helpers.sparseFile(size)
    if (file === null) return skip(this, 'no sparse files here')
    res.files.push(file)
    const fd = fs.openSync(file, 'r+')
    fs.writeSync(fd, Buffer.from('one\ntwo\nthree'), 0, 13, 2 ** 32 - 6)
    fs.closeSync(fd)
    const m = res.track(require('..').open(file))
    const start = 2 ** 32 - 100
    const end = 2 ** 32 + 20
    const offsets = [...m.lineOffsets(start, end)]
    assert.deepStrictEqual(offsets, [start, 2 ** 32 - 2, 2 ** 32 + 2])
    const got = collect(m.lines(2 ** 32 - 6, end)).map(String)
    assert.deepStrictEqual(got, ['one', 'two', 'three' + '\0'.repeat(13)])
  })

  it('checks its arguments like the other methods', function () {
    const m = res.mapOf('a\nb\n')
    for (const bad of ['1', 1.5, NaN, {}, Symbol('x')]) {
      assertCode(() => m.lines(bad), bad === 1.5 || Number.isNaN(bad) ? RangeError : TypeError,
        bad === 1.5 || Number.isNaN(bad) ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.lineOffsets(0, bad), bad === 1.5 || Number.isNaN(bad) ? RangeError : TypeError,
        bad === 1.5 || Number.isNaN(bad) ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE')
    }
    assertCode(() => m.lines(0, 4, 'x'), TypeError, 'ERR_INVALID_ARG_TYPE')
    assertCode(() => m.lines(0, 4, { keepEnds: 1 }), TypeError, 'ERR_INVALID_ARG_TYPE')
    assertCode(() => m.lines(0, 4, { crlf: 'yes' }), TypeError, 'ERR_INVALID_ARG_TYPE')
    // BigInt bounds work, as in count().
    assert.deepStrictEqual(collect(m.lines(2n, 4n)).map(String), ['b'])
    // Huge bounds are clamped to the map, as count() does.
    assert.deepStrictEqual(collect(m.lines(-(2 ** 60), 2 ** 60)).map(String), ['a', 'b'])
    assert.deepStrictEqual([...m.lineOffsets(2 ** 53, 2 ** 60)], [])
    m.close()
    assertCode(() => m.lines(), Error, 'ERR_MMAP_CLOSED')
    assertCode(() => m.lineOffsets(), Error, 'ERR_MMAP_CLOSED')
  })

  it('fails with a coded error when the map is closed or resized during iteration', function () {
    const text = 'line\n'.repeat(3 * lines.BATCH)
    const closing = res.mapOf(text)
    const it = closing.lines()
    assert.strictEqual(String(it.next().value), 'line')
    closing.close()
    assertCode(() => it.next(), Error, 'ERR_MMAP_CLOSED')

    const resizing = res.mapOf(text)
    const it2 = resizing.lines()
    it2.next()
    resizing.resize(10)
    assertCode(() => it2.next(), Error, 'ERR_MMAP_CHANGED')
    assert.deepStrictEqual(it2.next(), { value: undefined, done: true })
    // A new iteration sees the new length.
    assert.deepStrictEqual(collect(resizing.lines()).map(String), ['line', 'line'])
  })

  it('stops when the loop breaks (return())', function () {
    const m = res.mapOf('a\nb\nc\n')
    const it = m.lines()
    // eslint-disable-next-line no-unreachable-loop -- break is what calls return()
    for (const line of it) {
      assert.strictEqual(String(line), 'a')
      break
    }
    assert.deepStrictEqual(it.next(), { value: undefined, done: true })
  })
})

describe('readline() fast path', function () {
  afterEach(() => res.cleanup())

  it('returns copies that later writes to the map do not change', function () {
    const m = res.mapOf('first\nsecond\n')
    const line = m.readline()
    m.seek(0)
    m.write(Buffer.from('FIRST'))
    assert.strictEqual(String(line), 'first\n')
    m.seek(0)
    assert.strictEqual(String(m.readline()), 'FIRST\n')
  })

  it('sees bytes written through a view, and lines longer than a slab', function () {
    const big = 'z'.repeat(70000)
    const m = res.mapOf(`ab\n${big}\nc`)
    new Uint8Array(m.buffer)[1] = 10
    assert.deepStrictEqual([m.readline(), m.readline(), m.readline(), m.readline(), m.readline(), m.readline()].map(String),
      ['a\n', '\n', big + '\n', 'c', '', ''])
  })

  it('fails with ERR_MMAP_CLOSED after close(), also for a map whose number was reused', function () {
    const a = res.mapOf('a\n')
    a.readline()
    a.close()
    assertCode(() => a.readline(), Error, 'ERR_MMAP_CLOSED')
    const b = res.mapOf('b\n')
    assert.strictEqual(String(b.readline()), 'b\n')
    assertCode(() => binding.readlineFast(1e9, 0, 0), Error, 'ERR_MMAP_CLOSED')
    assertCode(() => binding.readlineFast('x', 0, 0), TypeError, 'ERR_INVALID_ARG_TYPE')
  })

  it('matches a plain reference on random text from random positions, each line a Buffer of its own', function () {
    this.timeout(60000)
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.constant(10), fc.integer({ min: 0, max: 255 })), { maxLength: 300 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.nat(5000),
      (bytes, seeks, longAt) => {
        // Now and then one line longer than readline()'s slab line (4096 bytes).
        const text = Buffer.from(bytes)
        const big = longAt % 3 === 0 ? Buffer.alloc(4000 + longAt, 120) : Buffer.alloc(0)
        const data = Buffer.concat([text.subarray(0, text.length >> 1), big, text.subarray(text.length >> 1)])
        if (data.length === 0) return
        const m = res.mapOf(data)
        for (const at of [0, ...seeks.map((x) => x % (data.length + 1))]) {
          m.seek(at)
          const got = []
          for (let line = m.readline(); line.length > 0; line = m.readline()) {
            assert.ok(Buffer.isBuffer(line))
            got.push(line)
          }
          assert.strictEqual(m.tell(), data.length)
          const want = reference(data, at, data.length, { keepEnds: true }).lines
          assert.deepStrictEqual(got.map((b) => b.toString('latin1')), want.map((b) => b.toString('latin1')))
          // Copies: writing to one changes neither the map nor another line.
          if (got.length > 1) {
            got[0].fill(0)
            assert.strictEqual(got[1].toString('latin1'), want[1].toString('latin1'))
            assert.strictEqual(m.subarray(at, at + want[0].length).toString('latin1'), want[0].toString('latin1'))
          }
        }
        m.close()
      }), { numRuns: 150 })
  })

  it('readlineNext() refuses a call block with a closed map, a bad slot or a bad position', function () {
    const { newSlab } = require('../lib/mmap')
    const m = res.mapOf('one\ntwo\n')
    m.readline() // gives the map its slot number
    const io = new Float64Array(4)
    const slab = new Uint8Array(64)
    try {
      binding.setSlab(slab, io)
      const call = (slot, pos, at) => {
        io.set([slot, pos, at, 123])
        binding.readlineNext()
        return io[3]
      }
      let slot = 0
      for (let i = 1; i < 1000 && slot === 0; i++) {
        try {
          if (call(i, 4, 0) === 4 && Buffer.from(slab.subarray(0, 4)).toString() === 'two\n') slot = i
        } catch {}
      }
      assert.ok(slot > 0, 'the map answers under some slot number')
      assert.strictEqual(call(slot, 0, 61), -4, 'a line that does not fit is not copied')
      assert.strictEqual(call(slot, 8, 0), 0, 'the end of the map')
      assert.strictEqual(call(slot, 1e9, 0), 0, 'past the end of the map')
      for (const bad of [0, -1, 0.5, NaN, Infinity, 2 ** 32 + 1, 1e300]) {
        assertCode(() => call(bad, 0, 0), Error, 'ERR_MMAP_CLOSED')
      }
      for (const [pos, at] of [[-1, 0], [0.5, 0], [NaN, 0], [2 ** 64, 0], [0, -1], [0, 1.5], [0, NaN], [0, Infinity]]) {
        assertCode(() => call(slot, pos, at), RangeError, 'ERR_OUT_OF_RANGE')
      }
      assert.strictEqual(io[3], 0, 'a refused call leaves no length behind')
      m.close()
      assertCode(() => call(slot, 0, 0), Error, 'ERR_MMAP_CLOSED')
      assertCode(() => binding.setSlab(slab, new Float64Array(3)), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => binding.setSlab(slab, new Uint8Array(32)), TypeError, 'ERR_INVALID_ARG_TYPE')
    } finally {
      newSlab()
    }
    const again = res.mapOf('x\ny')
    assert.deepStrictEqual([again.readline(), again.readline(), again.readline()].map(String), ['x\n', 'y', ''])
  })

  it('keeps working across many maps opened and collected', function () {
    this.timeout(30000)
    for (let i = 0; i < 200; i++) {
      const m = res.mapOf(`x${i}\ny\n`)
      assert.strictEqual(String(m.readline()), `x${i}\n`)
      if (i % 3) m.close()
    }
  })
})

describe('read() of large ranges with huge pages asked for or refused', function () {
  afterEach(() => res.cleanup())

  for (const huge of ['1', '0']) {
    it(`copies every byte with MMAP_NATIVE_HUGEPAGES=${huge}`, function () {
      this.timeout(60000)
      const data = helpers.pattern(9 * 1024 * 1024 + 123)
      const file = res.file(data)
      const r = helpers.runChildJson(`
        const crypto = require('crypto')
        const m = require(MMAP).open(${JSON.stringify(file)})
        m.seek(5)
        const out = m.read()
        console.log(JSON.stringify({ length: out.length, hash: crypto.createHash('sha1').update(out).digest('hex') }))
      `, { env: { MMAP_NATIVE_HUGEPAGES: huge } })
      const want = require('crypto').createHash('sha1').update(data.subarray(5)).digest('hex')
      assert.deepStrictEqual(r, { length: data.length - 5, hash: want })
    })
  }
})
