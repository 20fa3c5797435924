'use strict'
// move.test.js: move(dest, src, count), Python's mmap.move (memmove inside the map).
const assert = require('assert')
const fs = require('fs')
const { Mmap, ACCESS_READ, ACCESS_COPY, PROT_READ } = require('..')
const helpers = require('./helpers')

const GiB = 2 ** 30
const ORIGINAL = Buffer.from('abcdefghijklmnop')

const { skip } = helpers
const res = helpers.resources()
const { files, track, cleanup } = res

// A map of a temp file holding `contents`: { m, file }.
// The reference: Python's bounds check, then Buffer.copyWithin (memmove).
function refMove (bytes, dest, src, count) {
  const size = bytes.length
  if (dest < 0 || src < 0 || count < 0 || size - dest < count || size - src < count) return null
  return Buffer.from(bytes).copyWithin(dest, src, src + count)
}

describe('move', function () {
  afterEach(cleanup)

  it('matches memmove for every dest, src, count in -1..17 on a 16-byte map, and rejects the rest', function () {
    const { m, file } = res.mapFile(ORIGINAL)
    const view = m.subarray()
    m.seek(7)
    const bad = []
    let moved = 0
    for (let dest = -1; dest <= 17; dest++) {
      for (let src = -1; src <= 17; src++) {
        for (let count = -1; count <= 17; count++) {
          const want = refMove(ORIGINAL, dest, src, count)
          let err = null
          try {
            m.move(dest, src, count)
          } catch (caught) {
            err = caught
          }
          if (want === null) {
            if (!(err instanceof RangeError) || err.code !== 'ERR_OUT_OF_RANGE' || !view.equals(ORIGINAL)) {
              bad.push(`move(${dest}, ${src}, ${count}): expected ERR_OUT_OF_RANGE and no change, got ${err && err.code}, map ${view}`)
            }
          } else {
            moved++
            if (err !== null || !view.equals(want)) {
              bad.push(`move(${dest}, ${src}, ${count}): ${err && err.code} map ${view} want ${want}`)
            }
          }
          ORIGINAL.copy(view)
        }
      }
    }
    assert.deepStrictEqual(bad.slice(0, 20), [])
    // 16 + 15 + ... + 1 + 0 placements for count 0..16, for each of dest and src.
    let expected = 0
    for (let count = 0; count <= 16; count++) expected += (17 - count) ** 2
    assert.strictEqual(moved, expected)
    assert.strictEqual(m.tell(), 7, 'move does not change the position')
    // A shared map's move reaches the file.
    m.move(0, 8, 8)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'ijklmnopijklmnop')
  })

  it('pins Python\'s 1-byte map cases', function () {
    const { m } = res.mapFile(Buffer.from('x'))
    for (const args of [[0, 0, 2], [1, 0, 1], [0, 1, 1], [2, 0, 0], [0, 2, 0]]) {
      assert.strictEqual(helpers.captureThrow(() => m.move(...args)).code, 'ERR_OUT_OF_RANGE')
    }
    m.move(0, 0, 1)
    m.move(0, 0, 0)
    m.move(1, 1, 0)
    m.move(1, 0, 0)
    assert.strictEqual(m.get(0), 0x78)
  })

  it('moves within a length-0 map only nothing', function () {
    const { m } = res.mapFile(Buffer.alloc(0))
    m.move(0, 0, 0)
    for (const args of [[0, 0, 1], [1, 0, 0], [0, 1, 0]]) {
      assert.strictEqual(helpers.captureThrow(() => m.move(...args)).code, 'ERR_OUT_OF_RANGE')
    }
  })

  it('accepts bigints and rejects huge values with ERR_OUT_OF_RANGE', function () {
    const { m } = res.mapFile(ORIGINAL)
    m.move(0n, 12n, 4n)
    assert.strictEqual(m.slice().toString('latin1'), 'mnopefghijklmnop')
    for (const args of [[2n ** 64n, 0n, 0n], [0n, 2n ** 64n, 0n], [0n, 0n, 2n ** 64n], [-(2n ** 64n), 0, 1],
      [0, 0, 2 ** 53], [2 ** 60, 0, 0], [0, 0, -(2n ** 63n)], [Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER]]) {
      const err = helpers.captureThrow(() => m.move(...args))
      assert.ok(err instanceof RangeError, String(err))
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    }
    assert.strictEqual(m.slice().toString('latin1'), 'mnopefghijklmnop')
  })

  it('rejects arguments of the wrong type (all three are required)', function () {
    const { m } = res.mapFile(ORIGINAL)
    for (const args of [[], [0], [0, 0], ['0', 0, 1], [0, '0', 1], [0, 0, '1'], [null, 0, 1], [0, null, 1],
      [0, 0, null], [undefined, 0, 1], [0, 0, undefined], [true, 0, 1], [{}, 0, 1], [[0], 0, 1]]) {
      const err = helpers.captureThrow(() => m.move(...args))
      assert.ok(err instanceof TypeError, `${args}: ${err}`)
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE', String(args))
    }
    for (const args of [[0.5, 0, 1], [0, 1.5, 1], [0, 0, 1.5], [NaN, 0, 1], [0, Infinity, 1], [0, 0, -Infinity]]) {
      const err = helpers.captureThrow(() => m.move(...args))
      assert.ok(err instanceof RangeError, `${args}: ${err}`)
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE', String(args))
    }
    assert.deepStrictEqual(m.subarray(), ORIGINAL)
  })

  it('throws ERR_MMAP_READONLY on read-only maps, before the range check', function () {
    // Windows has no prot: ACCESS_READ alone.
    const readOnly = process.platform === 'win32' ? [{ access: ACCESS_READ }] : [{ access: ACCESS_READ }, { prot: PROT_READ }]
    for (const options of readOnly) {
      const { m, file } = res.mapFile(ORIGINAL, 0, options)
      for (const args of [[0, 1, 4], [0, 1, 100], [-1, 0, 0], [0, 0, 0]]) {
        const err = helpers.captureThrow(() => m.move(...args))
        assert.ok(err instanceof TypeError, String(err))
        assert.strictEqual(err.code, 'ERR_MMAP_READONLY')
      }
      // Types come first.
      assert.strictEqual(helpers.captureThrow(() => m.move('0', 1, 4)).code, 'ERR_INVALID_ARG_TYPE')
      assert.strictEqual(helpers.captureThrow(() => m.move(0, 1, 0.5)).code, 'ERR_OUT_OF_RANGE')
      assert.deepStrictEqual(m.slice(), ORIGINAL)
      assert.strictEqual(fs.readFileSync(file, 'latin1'), ORIGINAL.toString('latin1'))
    }
  })

  it('moves in ACCESS_COPY maps without reaching the file', function () {
    const { m, file } = res.mapFile(ORIGINAL, 0, { access: ACCESS_COPY })
    m.move(1, 0, 15)
    assert.strictEqual(m.slice().toString('latin1'), 'aabcdefghijklmno')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), ORIGINAL.toString('latin1'))
  })

  it('throws ERR_MMAP_CLOSED on a closed map, after the type checks', function () {
    const { m } = res.mapFile(ORIGINAL)
    m.close()
    for (const args of [[0, 1, 4], [0, 0, 0], [100, 0, 1]]) {
      const err = helpers.captureThrow(() => m.move(...args))
      assert.ok(!(err instanceof TypeError) && !(err instanceof RangeError), String(err))
      assert.strictEqual(err.code, 'ERR_MMAP_CLOSED')
    }
    assert.strictEqual(helpers.captureThrow(() => m.move(null, 0, 0)).code, 'ERR_INVALID_ARG_TYPE')
    assert.strictEqual(helpers.captureThrow(() => m.move(0, 0, 1.5)).code, 'ERR_OUT_OF_RANGE')
  })
})

describe('move past 4 GiB', function () {
  afterEach(cleanup)
  this.timeout(helpers.slow(120000))

  const SIZE = 6 * GiB

  it('moves bytes across and beyond 4 GiB in a 6 GiB sparse file', function () {
    helpers.needs64Bit(this, 'maps 6 GiB whole')
    const file = helpers.sparseFile(SIZE)
    if (file === null) skip(this, 'the filesystem here does not make cheap 6 GiB sparse files')
    const fd = fs.openSync(file, 'r+')
    let m
    const patterns = [
      [2 ** 32 - 3, '0123456789'], // straddles 4 GiB
      [2 ** 31 - 2, 'ABCDEFGH'], // straddles 2 GiB
      [SIZE - 6, 'tail!!'],
      [5, 'head']
    ]
    try {
      for (const [at, text] of patterns) fs.writeSync(fd, Buffer.from(text), 0, text.length, at)
      m = new Mmap(fd, 0)
    } finally {
      fs.closeSync(fd)
    }
    track(m)
    files.push(file)
    const read = (at, n) => {
      const buf = Buffer.alloc(n)
      const rfd = fs.openSync(file, 'r')
      try {
        fs.readSync(rfd, buf, 0, n, at)
      } finally {
        fs.closeSync(rfd)
      }
      return buf.toString('latin1')
    }
    const z = (n) => '\0'.repeat(n)
    const G4 = 2 ** 32

    // Far from the source, past 4 GiB; and from past 4 GiB down to the start.
    m.move(G4 + 100, G4 - 3, 10)
    assert.strictEqual(read(G4 + 98, 14), z(2) + '0123456789' + z(2))
    m.move(100, G4 + 100, 10)
    assert.strictEqual(read(98, 14), z(2) + '0123456789' + z(2))
    // Overlapping, forwards and backwards, across the 4 GiB line.
    m.move(G4 - 1, G4 - 3, 10)
    assert.strictEqual(read(G4 - 4, 14), z(1) + '01012345678' + '9' + z(1))
    m.move(G4 - 5, G4 - 1, 10)
    assert.strictEqual(read(G4 - 6, 16), z(1) + '0123456789' + '6789' + z(1))
    // Across 2 GiB, to the very end of the map, and from the very end.
    m.move(2 ** 31 - 4, 2 ** 31 - 2, 8)
    assert.strictEqual(read(2 ** 31 - 5, 11), z(1) + 'ABCDEFGH' + 'GH')
    m.move(SIZE - 4, 2 ** 31 - 4, 4)
    assert.strictEqual(read(SIZE - 6, 6), 'taABCD')
    m.move(BigInt(G4) + 200n, BigInt(SIZE) - 6n, 6n)
    assert.strictEqual(read(G4 + 200, 6), 'taABCD')
    m.move(SIZE, SIZE, 0)
    // Bounds checks at these sizes.
    for (const args of [[SIZE - 3, 0, 4], [0, SIZE - 3, 4], [SIZE + 1, 0, 0], [G4, G4, SIZE - G4 + 1]]) {
      const err = helpers.captureThrow(() => m.move(...args))
      assert.ok(err instanceof RangeError, String(err))
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    }
    assert.strictEqual(read(SIZE - 6, 6), 'taABCD')
    assert.strictEqual(read(5, 4), 'head')
    // The map sees what the file sees.
    assert.strictEqual(m.slice(G4 - 6, G4 + 10).toString('latin1'), z(1) + '0123456789' + '6789' + z(1))
  })
})
