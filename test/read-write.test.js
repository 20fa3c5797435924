'use strict'
// read-write.test.js: read, readByte, readline, write, writeByte, seek, tell, get/set, flush, flushAsync, madvise, size.
const assert = require('assert')
const fs = require('fs')
const util = require('util')
const mmap = require('..')
const { captureThrow, assertCode, skip, resources } = require('./helpers')

const { Mmap, PAGESIZE } = mmap

async function assertRejects (promise, Ctor, code) {
  assert.ok(promise instanceof Promise, 'expected a Promise')
  await assert.rejects(promise, (err) => {
    assert.strictEqual(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
    assert.strictEqual(err.constructor, Ctor, `expected a ${Ctor.name}, got ${err.constructor.name}`)
    return true
  })
}

// An ArrayBuffer that has been detached (transferred away).
function detached (makeView = (ab) => ab) {
  const ab = new ArrayBuffer(16)
  const view = makeView(ab)
  structuredClone(ab, { transfer: [ab] })
  return view
}

const TYPED_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array
]
if (typeof Float16Array === 'function') TYPED_ARRAYS.push(Float16Array) // eslint-disable-line no-undef

// Bad integer arguments and the error each must raise.
const BAD_INTEGERS = [
  [1.5, RangeError, 'ERR_OUT_OF_RANGE'],
  [NaN, RangeError, 'ERR_OUT_OF_RANGE'],
  [Infinity, RangeError, 'ERR_OUT_OF_RANGE'],
  [-Infinity, RangeError, 'ERR_OUT_OF_RANGE'],
  ['1', TypeError, 'ERR_INVALID_ARG_TYPE'],
  [true, TypeError, 'ERR_INVALID_ARG_TYPE'],
  [null, TypeError, 'ERR_INVALID_ARG_TYPE'],
  [{}, TypeError, 'ERR_INVALID_ARG_TYPE'],
  [[1], TypeError, 'ERR_INVALID_ARG_TYPE'],
  [Symbol('x'), TypeError, 'ERR_INVALID_ARG_TYPE']
]

describe('read and write', function () {
  // The maps and files a test made, released in afterEach; mapFile(contents, length, options,
  // flags) maps a new file holding contents.
  const { maps, file, mapFile, cleanup } = resources()

  afterEach(cleanup)

  function anon (contents) {
    const data = Buffer.from(contents)
    const m = new Mmap(-1, Math.max(data.length, 1))
    maps.push(m)
    m.setSlice(0, data.length, data)
    return m
  }

  function readOnly (contents = 'abcdefghij') {
    return mapFile(contents, 0, { access: mmap.ACCESS_READ }, 'r').m
  }

  describe('read(n)', function () {
    it('reads to the end when n is omitted, undefined, null or negative', function () {
      for (const n of [[], [undefined], [null], [-1], [-2], [-1000], [-1n], [-(2n ** 63n)]]) {
        const m = anon('0123456789')
        m.seek(3)
        assert.deepStrictEqual(m.read(...n), Buffer.from('3456789'), `read(${n.map(String)})`)
        assert.strictEqual(m.tell(), 10)
        assert.deepStrictEqual(m.read(...n), Buffer.alloc(0))
        assert.strictEqual(m.tell(), 10)
      }
    })

    it('reads n bytes and advances the position', function () {
      const m = anon('0123456789')
      assert.deepStrictEqual(m.read(3), Buffer.from('012'))
      assert.strictEqual(m.tell(), 3)
      assert.deepStrictEqual(m.read(0), Buffer.alloc(0))
      assert.strictEqual(m.tell(), 3)
      assert.deepStrictEqual(m.read(4n), Buffer.from('3456'))
      assert.strictEqual(m.tell(), 7)
    })

    it('clamps n to the bytes left', function () {
      const m = anon('0123456789')
      m.seek(7)
      assert.deepStrictEqual(m.read(100), Buffer.from('789'))
      assert.strictEqual(m.tell(), 10)
      m.seek(8)
      assert.deepStrictEqual(m.read(2n ** 63n - 1n), Buffer.from('89'))
      // Outside the signed 64-bit range: Python's OverflowError, and the position stays.
      assert.throws(() => m.read(2n ** 63n), { code: 'ERR_OUT_OF_RANGE' })
      assert.throws(() => m.read(2n ** 64n), { code: 'ERR_OUT_OF_RANGE' })
      assert.strictEqual(m.tell(), 10)
      m.seek(9)
      assert.deepStrictEqual(m.read(Number.MAX_SAFE_INTEGER), Buffer.from('9'))
    })

    it('returns a copy, not a view of the map', function () {
      const m = anon('0123456789')
      const b = m.read(4)
      assert.ok(Buffer.isBuffer(b))
      b[0] = 0x7a
      assert.strictEqual(m.get(0), 0x30)
      m.set(1, 0x79)
      assert.strictEqual(b[1], 0x31)
      m.close()
      assert.deepStrictEqual(b, Buffer.from('z123'))
    })

    it('returns an empty Buffer when the position is past the end after a shrink', function () {
      const m = anon('0123456789'.repeat(1000))
      m.seek(9000)
      m.resize(100)
      assert.deepStrictEqual(m.read(), Buffer.alloc(0))
      assert.deepStrictEqual(m.read(5), Buffer.alloc(0))
      assert.strictEqual(m.tell(), 9000)
    })

    it('rejects a count that is not an integer', function () {
      const m = anon('0123456789')
      for (const [n, Ctor, code] of BAD_INTEGERS.filter(([v]) => v !== null)) {
        assertCode(() => m.read(n), Ctor, code)
      }
      assert.strictEqual(m.tell(), 0)
    })
  })

  describe('readByte()', function () {
    it('returns each byte as a number and advances', function () {
      const m = anon(Buffer.from([0, 127, 128, 255]))
      assert.strictEqual(m.readByte(), 0)
      assert.strictEqual(m.readByte(), 127)
      assert.strictEqual(m.readByte(), 128)
      assert.strictEqual(m.readByte(), 255)
      assert.strictEqual(m.tell(), 4)
    })

    it('throws ERR_OUT_OF_RANGE at the end and leaves the position', function () {
      const m = anon('ab')
      m.seek(2)
      assertCode(() => m.readByte(), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), 2)
    })

    it('throws ERR_OUT_OF_RANGE when the position is past the end after a shrink', function () {
      const m = anon('x'.repeat(8192))
      m.seek(5000)
      m.resize(4096)
      assertCode(() => m.readByte(), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), 5000)
    })
  })

  describe('readline()', function () {
    it('returns each line with its newline, then the rest, then empty Buffers', function () {
      const m = anon('ab\ncd\n\nefghi')
      const lines = []
      for (let i = 0; i < 6; i++) lines.push([m.readline().toString('latin1'), m.tell()])
      assert.deepStrictEqual(lines, [['ab\n', 3], ['cd\n', 6], ['\n', 7], ['efghi', 12], ['', 12], ['', 12]])
    })

    it('returns the rest of the map when there is no newline at the end', function () {
      const m = anon('no newline')
      assert.deepStrictEqual(m.readline(), Buffer.from('no newline'))
      assert.deepStrictEqual(m.readline(), Buffer.alloc(0))
    })

    it('starts at the current position', function () {
      const m = anon('ab\ncd\n')
      m.seek(1)
      assert.deepStrictEqual(m.readline(), Buffer.from('b\n'))
      assert.deepStrictEqual(m.readline(), Buffer.from('cd\n'))
    })

    it('returns a copy', function () {
      const m = anon('ab\ncd\n')
      const line = m.readline()
      line[0] = 0x7a
      assert.strictEqual(m.get(0), 0x61)
    })

    it('returns an empty Buffer when the position is past the end after a shrink', function () {
      const m = anon('line\n'.repeat(2000))
      m.seek(9000)
      m.resize(4096)
      assert.deepStrictEqual(m.readline(), Buffer.alloc(0))
      assert.strictEqual(m.tell(), 9000)
    })

    it('reads lines from a file map', function () {
      const { m } = mapFile('first\nsecond\r\nthird')
      assert.deepStrictEqual(m.readline(), Buffer.from('first\n'))
      assert.deepStrictEqual(m.readline(), Buffer.from('second\r\n'))
      assert.deepStrictEqual(m.readline(), Buffer.from('third'))
    })
  })

  describe('write(data)', function () {
    it('writes at the position, advances and returns the byte count', function () {
      const m = anon('..........')
      m.seek(2)
      assert.strictEqual(m.write(Buffer.from('abc')), 3)
      assert.strictEqual(m.tell(), 5)
      assert.strictEqual(m.slice().toString(), '..abc.....')
      assert.strictEqual(m.write(Buffer.alloc(0)), 0)
      assert.strictEqual(m.tell(), 5)
    })

    it('writes exactly up to the end', function () {
      const m = anon('..........')
      m.seek(7)
      assert.strictEqual(m.write(Buffer.from('xyz')), 3)
      assert.strictEqual(m.tell(), 10)
      assert.strictEqual(m.write(Buffer.alloc(0)), 0)
      assert.strictEqual(m.slice().toString(), '.......xyz')
    })

    it('writes nothing and keeps the position when the data does not fit', function () {
      const m = anon('..........')
      m.seek(8)
      const err = assertCode(() => m.write(Buffer.from('xyz')), RangeError, 'ERR_OUT_OF_RANGE')
      assert.match(err.message, /out of range/)
      assert.strictEqual(m.tell(), 8)
      assert.strictEqual(m.slice().toString(), '..........')
      m.seek(0)
      assertCode(() => m.write(Buffer.alloc(11, 0x41)), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.slice().toString(), '..........')
      assert.strictEqual(m.tell(), 0)
    })

    it('rejects strings and other non-bytes values with ERR_INVALID_ARG_TYPE', function () {
      const m = anon('..........')
      for (const bad of ['abc', '', 1, null, undefined, [1, 2], { length: 1, 0: 1 }, true, 1n]) {
        assertCode(() => m.write(bad), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
      assert.strictEqual(m.tell(), 0)
      assert.strictEqual(m.slice().toString(), '..........')
    })

    for (const Ctor of TYPED_ARRAYS) {
      it(`writes the bytes of a ${Ctor.name} view, honouring its byteOffset`, function () {
        const ab = new ArrayBuffer(32)
        const all = new Uint8Array(ab)
        for (let i = 0; i < 32; i++) all[i] = i + 1
        const view = new Ctor(ab, 8, 16 / Ctor.BYTES_PER_ELEMENT)
        const m = anon(Buffer.alloc(20))
        m.seek(2)
        assert.strictEqual(m.write(view), 16)
        assert.strictEqual(m.tell(), 18)
        const expected = Buffer.alloc(20)
        Buffer.from(ab, 8, 16).copy(expected, 2)
        assert.deepStrictEqual(m.slice(), expected)
      })
    }

    it('writes the bytes of a DataView window', function () {
      const ab = new ArrayBuffer(16)
      new Uint8Array(ab).forEach((_, i, a) => { a[i] = 0x41 + i })
      const m = anon(Buffer.alloc(8))
      assert.strictEqual(m.write(new DataView(ab, 4, 6)), 6)
      assert.strictEqual(m.slice(0, 6).toString(), 'EFGHIJ')
    })

    it('writes the bytes of an ArrayBuffer and a SharedArrayBuffer', function () {
      const m = anon(Buffer.alloc(8))
      const ab = new ArrayBuffer(3)
      new Uint8Array(ab).set([1, 2, 3])
      assert.strictEqual(m.write(ab), 3)
      const sab = new SharedArrayBuffer(2)
      new Uint8Array(sab).set([4, 5])
      assert.strictEqual(m.write(sab), 2)
      assert.deepStrictEqual(m.slice(0, 6), Buffer.from([1, 2, 3, 4, 5, 0]))
    })

    it('writes a Buffer that is a window of a larger pool', function () {
      const m = anon(Buffer.alloc(4))
      const big = Buffer.from('0123456789')
      assert.strictEqual(m.write(big.subarray(3, 7)), 4)
      assert.strictEqual(m.slice().toString(), '3456')
    })

    it('rejects detached buffers and views of them with ERR_INVALID_ARG_VALUE', function () {
      const m = anon('..........')
      const cases = {
        ArrayBuffer: detached(),
        Uint8Array: detached((ab) => new Uint8Array(ab)),
        'Uint16Array window': detached((ab) => new Uint16Array(ab, 2, 3)),
        Float64Array: detached((ab) => new Float64Array(ab)),
        Buffer: detached((ab) => Buffer.from(ab, 4, 4)),
        DataView: detached((ab) => new DataView(ab))
      }
      for (const [name, data] of Object.entries(cases)) {
        const err = captureThrow(() => m.write(data))
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE', `${name}: ${err.code} ${err.message}`)
        assert.strictEqual(err.constructor, TypeError, name)
      }
      assert.strictEqual(m.tell(), 0)
    })

    it('rejects a view of a closed map with ERR_INVALID_ARG_VALUE', function () {
      const other = new Mmap(-1, 16)
      const view = other.subarray(0, 8)
      other.close()
      const m = anon('..........')
      assertCode(() => m.write(view), TypeError, 'ERR_INVALID_ARG_VALUE')
    })

    it('copies correctly from an overlapping view of the same map (forward)', function () {
      const m = anon('0123456789abcdefghij')
      m.seek(5)
      assert.strictEqual(m.write(m.subarray(0, 10)), 10)
      assert.strictEqual(m.slice().toString(), '012340123456789fghij')
      assert.strictEqual(m.tell(), 15)
    })

    it('copies correctly from an overlapping view of the same map (backward)', function () {
      const m = anon('0123456789abcdefghij')
      assert.strictEqual(m.write(m.subarray(5, 15)), 10)
      assert.strictEqual(m.slice().toString(), '56789abcdeabcdefghij')
    })

    it('copies correctly from a view of m.buffer over the same bytes', function () {
      const m = anon('0123456789abcdefghij')
      m.seek(1)
      assert.strictEqual(m.write(new Uint8Array(m.buffer, 0, 19)), 19)
      assert.strictEqual(m.slice().toString(), '00123456789abcdefghi')
    })

    it('copies correctly from an overlapping view with setSlice', function () {
      const m = anon('0123456789abcdefghij')
      m.setSlice(2, 12, m.subarray(0, 10))
      assert.strictEqual(m.slice().toString(), '010123456789cdefghij')
    })
  })

  describe('writeByte(byte)', function () {
    it('writes one byte, advances, and returns undefined', function () {
      const m = anon('...')
      assert.strictEqual(m.writeByte(0x41), undefined)
      assert.strictEqual(m.writeByte(255n), undefined)
      assert.strictEqual(m.writeByte(0), undefined)
      assert.deepStrictEqual(m.slice(), Buffer.from([0x41, 255, 0]))
      assert.strictEqual(m.tell(), 3)
    })

    it('rejects values outside 0..255 and non-integers with RangeError', function () {
      const m = anon('...')
      for (const bad of [256, -1, 1.5, NaN, Infinity, 256n, -1n, 2n ** 64n]) {
        assertCode(() => m.writeByte(bad), RangeError, 'ERR_OUT_OF_RANGE')
      }
      assert.strictEqual(m.tell(), 0)
      assert.strictEqual(m.slice().toString(), '...')
    })

    it('rejects values of other types with TypeError', function () {
      const m = anon('...')
      for (const bad of ['1', 'a', true, null, undefined, Buffer.from('a'), {}]) {
        assertCode(() => m.writeByte(bad), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
      assert.strictEqual(m.tell(), 0)
    })

    it('throws ERR_OUT_OF_RANGE at the end and leaves the position', function () {
      const m = anon('...')
      m.seek(3)
      assertCode(() => m.writeByte(1), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), 3)
      assert.strictEqual(m.slice().toString(), '...')
    })
  })

  describe('seek(pos, whence) and tell()', function () {
    it('seeks from the start, the current position and the end, returning the new position', function () {
      const m = anon('0123456789')
      assert.strictEqual(m.tell(), 0)
      assert.strictEqual(m.seek(4), 4)
      assert.strictEqual(m.seek(2, mmap.SEEK_SET), 2)
      assert.strictEqual(m.seek(3, mmap.SEEK_CUR), 5)
      assert.strictEqual(m.seek(-1, 1), 4)
      assert.strictEqual(m.seek(-3, mmap.SEEK_END), 7)
      assert.strictEqual(m.tell(), 7)
      assert.strictEqual(m.seek(0, 2), 10)
      assert.strictEqual(m.seek(10), 10)
      assert.strictEqual(m.seek(0, undefined), 0)
      assert.strictEqual(mmap.SEEK_SET, 0)
      assert.strictEqual(mmap.SEEK_CUR, 1)
      assert.strictEqual(mmap.SEEK_END, 2)
    })

    it('accepts bigint positions and whence', function () {
      const m = anon('0123456789')
      assert.strictEqual(m.seek(4n), 4)
      assert.strictEqual(m.seek(2n, 1n), 6)
      assert.strictEqual(m.seek(-1n, 2n), 9)
      assert.strictEqual(typeof m.tell(), 'number')
    })

    it('rejects positions outside [0, length] and leaves the position', function () {
      const m = anon('0123456789')
      m.seek(5)
      for (const args of [[-1], [11], [6, 1], [-6, 1], [1, 2], [-11, 2], [2n ** 64n], [-(2n ** 64n), 2], [2n ** 64n, 1]]) {
        assertCode(() => m.seek(...args), RangeError, 'ERR_OUT_OF_RANGE')
        assert.strictEqual(m.tell(), 5)
      }
    })

    it('rejects an unknown whence with ERR_INVALID_ARG_VALUE', function () {
      const m = anon('0123456789')
      for (const whence of [3, -1, 100, 3n]) {
        assertCode(() => m.seek(0, whence), TypeError, 'ERR_INVALID_ARG_VALUE')
      }
      assert.strictEqual(m.tell(), 0)
    })

    it('rejects bad position and whence types', function () {
      const m = anon('0123456789')
      for (const [value, Ctor, code] of BAD_INTEGERS) {
        assertCode(() => m.seek(value), Ctor, code)
        assertCode(() => m.seek(0, value), Ctor, code)
      }
      assertCode(() => m.seek(), TypeError, 'ERR_INVALID_ARG_TYPE')
    })

    it('refuses a relative seek while the position is past the end after a shrink', function () {
      const m = anon('x'.repeat(8192))
      m.seek(5000)
      m.resize(4096)
      assert.strictEqual(m.tell(), 5000)
      assertCode(() => m.seek(0, 1), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.seek(-1000, 1), 4000)
    })

    it('tells the position after reads and writes', function () {
      const m = anon('ab\ncdefgh')
      m.read(1)
      assert.strictEqual(m.tell(), 1)
      m.readline()
      assert.strictEqual(m.tell(), 3)
      m.readByte()
      assert.strictEqual(m.tell(), 4)
      m.write(Buffer.from('XY'))
      assert.strictEqual(m.tell(), 6)
      m.writeByte(1)
      assert.strictEqual(m.tell(), 7)
      m.get(0)
      m.slice(0, 5)
      m.find('h', 0)
      assert.strictEqual(m.tell(), 7)
    })
  })

  describe('get(index) and set(index, value)', function () {
    it('counts negative indexes from the end', function () {
      const m = anon('0123456789')
      assert.strictEqual(m.get(0), 0x30)
      assert.strictEqual(m.get(-1), 0x39)
      assert.strictEqual(m.get(-10), 0x30)
      assert.strictEqual(m.get(9n), 0x39)
      assert.strictEqual(m.get(-2n), 0x38)
      m.set(-1, 0x41)
      m.set(-10n, 0x42)
      assert.strictEqual(m.slice().toString(), 'B12345678A')
    })

    it('rejects indexes outside the map', function () {
      const m = anon('0123456789')
      for (const index of [10, -11, 100, 2n ** 64n, -(2n ** 64n), Number.MAX_SAFE_INTEGER]) {
        assertCode(() => m.get(index), RangeError, 'ERR_OUT_OF_RANGE')
        assertCode(() => m.set(index, 0), RangeError, 'ERR_OUT_OF_RANGE')
      }
      assert.strictEqual(m.slice().toString(), '0123456789')
    })

    it('rejects bad index values', function () {
      const m = anon('0123456789')
      for (const [index, Ctor, code] of [...BAD_INTEGERS, [undefined, TypeError, 'ERR_INVALID_ARG_TYPE']]) {
        assertCode(() => m.get(index), Ctor, code)
        assertCode(() => m.set(index, 0), Ctor, code)
      }
      assertCode(() => m.get(), TypeError, 'ERR_INVALID_ARG_TYPE')
    })

    it('accepts values 0..255 as numbers and bigints', function () {
      const m = anon('..')
      m.set(0, 255)
      m.set(1, 0n)
      assert.deepStrictEqual(m.slice(), Buffer.from([255, 0]))
    })

    it('rejects bad values and writes nothing', function () {
      const m = anon('..')
      const bad = [
        [256, RangeError, 'ERR_OUT_OF_RANGE'],
        [-1, RangeError, 'ERR_OUT_OF_RANGE'],
        [256n, RangeError, 'ERR_OUT_OF_RANGE'],
        [2n ** 64n, RangeError, 'ERR_OUT_OF_RANGE'],
        ...BAD_INTEGERS,
        [undefined, TypeError, 'ERR_INVALID_ARG_TYPE'],
        [Buffer.from('a'), TypeError, 'ERR_INVALID_ARG_TYPE']
      ]
      for (const [value, Ctor, code] of bad) assertCode(() => m.set(0, value), Ctor, code)
      assert.strictEqual(m.slice().toString(), '..')
    })

    it('checks the index type before the value type', function () {
      const m = anon('..')
      assertCode(() => m.set('0', 1.5), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.set(0.5, '1'), RangeError, 'ERR_OUT_OF_RANGE')
    })
  })

  describe('flush(offset, size)', function () {
    it('flushes the whole map by default, and the data reaches the file', function () {
      const { m, file: f } = mapFile(Buffer.alloc(3 * PAGESIZE))
      m.write(Buffer.from('hello'))
      m.set(3 * PAGESIZE - 1, 0x21)
      assert.strictEqual(m.flush(), undefined)
      const onDisk = fs.readFileSync(f)
      assert.strictEqual(onDisk.toString('latin1', 0, 5), 'hello')
      assert.strictEqual(onDisk[3 * PAGESIZE - 1], 0x21)
    })

    it('flushes from any unaligned offset', function () {
      const { m, file: f } = mapFile(Buffer.alloc(3 * PAGESIZE))
      m.setSlice(PAGESIZE + 1, PAGESIZE + 4, Buffer.from('abc'))
      for (const [offset, size] of [[1, 6], [PAGESIZE + 1, 3], [PAGESIZE - 1, 2], [7], [2 * PAGESIZE + 5, undefined], [13n, 2n]]) {
        assert.strictEqual(m.flush(offset, size), undefined, `flush(${offset}, ${size})`)
      }
      assert.strictEqual(fs.readFileSync(f).toString('latin1', PAGESIZE + 1, PAGESIZE + 4), 'abc')
    })

    it('takes size -1 (and undefined) as "to the end"', function () {
      const m = anon(Buffer.alloc(2 * PAGESIZE))
      assert.strictEqual(m.flush(0, -1), undefined)
      assert.strictEqual(m.flush(PAGESIZE, -1), undefined)
      assert.strictEqual(m.flush(PAGESIZE + 3, undefined), undefined)
      assert.strictEqual(m.flush(2 * PAGESIZE), undefined)
      assert.strictEqual(m.flush(2 * PAGESIZE, 0), undefined)
      assert.strictEqual(m.flush(0, 0), undefined)
    })

    it('rejects ranges outside the map with ERR_OUT_OF_RANGE', function () {
      const m = anon(Buffer.alloc(2 * PAGESIZE))
      const bad = [[-1], [2 * PAGESIZE + 1], [0, 2 * PAGESIZE + 1], [PAGESIZE, PAGESIZE + 1], [1, 2 * PAGESIZE],
        [0, -2], [0, -100], [-1, -1], [2n ** 64n], [0, 2n ** 64n]]
      for (const args of bad) {
        assertCode(() => m.flush(...args), RangeError, 'ERR_OUT_OF_RANGE')
      }
    })

    it('rejects bad argument types', function () {
      const m = anon(Buffer.alloc(PAGESIZE))
      for (const [value, Ctor, code] of BAD_INTEGERS) {
        assertCode(() => m.flush(value), Ctor, code)
        assertCode(() => m.flush(0, value), Ctor, code)
      }
    })

    it('checks the range of read-only and copy maps but does not sync them', function () {
      const ro = readOnly('x'.repeat(PAGESIZE))
      assert.strictEqual(ro.flush(), undefined)
      assertCode(() => ro.flush(0, 5 * PAGESIZE), RangeError, 'ERR_OUT_OF_RANGE')
      const { m: copy, file: f } = mapFile('y'.repeat(PAGESIZE), 0, { access: mmap.ACCESS_COPY })
      copy.set(0, 0x5a)
      assert.strictEqual(copy.flush(), undefined)
      assertCode(() => copy.flush(-1), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(fs.readFileSync(f, 'latin1')[0], 'y')
    })
  })

  describe('flushAsync(offset, size)', function () {
    it('resolves to undefined after the data reaches the file', async function () {
      const { m, file: f } = mapFile(Buffer.alloc(2 * PAGESIZE))
      m.seek(PAGESIZE + 3)
      m.write(Buffer.from('async'))
      const p = m.flushAsync()
      assert.ok(p instanceof Promise)
      assert.strictEqual(await p, undefined)
      assert.strictEqual(fs.readFileSync(f).toString('latin1', PAGESIZE + 3, PAGESIZE + 8), 'async')
      assert.strictEqual(await m.flushAsync(1, 10), undefined)
      assert.strictEqual(await m.flushAsync(PAGESIZE + 1), undefined)
      assert.strictEqual(await m.flushAsync(0, -1), undefined)
    })

    it('rejects bad arguments with coded errors instead of throwing', async function () {
      const m = anon(Buffer.alloc(PAGESIZE))
      await assertRejects(m.flushAsync(-1), RangeError, 'ERR_OUT_OF_RANGE')
      await assertRejects(m.flushAsync(0, PAGESIZE + 1), RangeError, 'ERR_OUT_OF_RANGE')
      await assertRejects(m.flushAsync(0, -2), RangeError, 'ERR_OUT_OF_RANGE')
      await assertRejects(m.flushAsync(1.5), RangeError, 'ERR_OUT_OF_RANGE')
      await assertRejects(m.flushAsync('0'), TypeError, 'ERR_INVALID_ARG_TYPE')
      await assertRejects(m.flushAsync(0, null), TypeError, 'ERR_INVALID_ARG_TYPE')
    })

    it('rejects with ERR_MMAP_CLOSED on a closed map', async function () {
      const m = anon(Buffer.alloc(PAGESIZE))
      m.close()
      await assertRejects(m.flushAsync(), Error, 'ERR_MMAP_CLOSED')
    })

    it('resolves for read-only and copy maps', async function () {
      const ro = readOnly('x'.repeat(PAGESIZE))
      assert.strictEqual(await ro.flushAsync(), undefined)
      await assertRejects(ro.flushAsync(0, 2 * PAGESIZE), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('makes resize() throw ERR_MMAP_BUSY while pending', async function () {
      const { m, file: f } = mapFile(Buffer.alloc(PAGESIZE))
      const p = m.flushAsync()
      assertCode(() => m.resize(2 * PAGESIZE), Error, 'ERR_MMAP_BUSY')
      await p
      assert.strictEqual(fs.statSync(f).size, PAGESIZE)
      m.resize(2 * PAGESIZE)
      assert.strictEqual(m.length, 2 * PAGESIZE)
    })
  })

  describe('madvise(option, start, length)', function () {
    const size = 2 * PAGESIZE

    beforeEach(function () {
      if (mmap.MADV_NORMAL === undefined) {
        // Windows: python.test.js checks the ENOTSUP refusal.
        skip(this, 'this platform has no madvise')
      }
    })

    it("follows Python's examples for a 2-page map", function () {
      const m = anon(Buffer.alloc(size))
      assertCode(() => m.madvise(mmap.MADV_NORMAL, size), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.madvise(mmap.MADV_NORMAL, -1), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.madvise(mmap.MADV_NORMAL, 0, -1), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 0, 2n ** 63n - 1n), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE, size), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 0, 2), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 0, 0), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 0, null), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, undefined, undefined), undefined)
    })

    it('accepts the common advice values', function () {
      const { m } = mapFile(Buffer.alloc(size))
      for (const name of ['MADV_NORMAL', 'MADV_RANDOM', 'MADV_SEQUENTIAL', 'MADV_WILLNEED', 'MADV_DONTNEED']) {
        assert.strictEqual(m.madvise(mmap[name]), undefined, name)
      }
    })

    it('accepts an unaligned start', function () {
      const m = anon(Buffer.alloc(size))
      assert.strictEqual(m.madvise(mmap.MADV_WILLNEED, 1), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE + 17, 5), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, size - 1), undefined)
    })

    it('works on a file map at an unaligned offset', function () {
      const { m } = mapFile(Buffer.alloc(3 * PAGESIZE), 0, { offset: 100 })
      assert.strictEqual(m.madvise(mmap.MADV_SEQUENTIAL), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 1, PAGESIZE), undefined)
    })

    it('works on read-only maps', function () {
      const ro = readOnly('x'.repeat(size))
      assert.strictEqual(ro.madvise(mmap.MADV_RANDOM), undefined)
    })

    it('reports an option the kernel refuses as EINVAL from madvise', function () {
      const m = anon(Buffer.alloc(size))
      const err = assertCode(() => m.madvise(9999), Error, 'EINVAL')
      assert.strictEqual(err.syscall, 'madvise')
      assert.strictEqual(util.getSystemErrorName(err.errno), 'EINVAL')
      assert.strictEqual(err.message, 'EINVAL: invalid argument, madvise')
    })

    it('rejects bad argument types', function () {
      const m = anon(Buffer.alloc(size))
      for (const [value, Ctor, code] of BAD_INTEGERS) {
        assertCode(() => m.madvise(value), Ctor, code)
        assertCode(() => m.madvise(mmap.MADV_NORMAL, value), Ctor, code)
        if (value !== null) assertCode(() => m.madvise(mmap.MADV_NORMAL, 0, value), Ctor, code)
      }
      assertCode(() => m.madvise(), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.madvise(2 ** 31), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('has no valid start on a length-0 map', function () {
      const { m } = mapFile('', 0)
      assertCode(() => m.madvise(mmap.MADV_NORMAL), RangeError, 'ERR_OUT_OF_RANGE')
    })
  })

  describe('size()', function () {
    it("returns the file's size, not the map's length", function () {
      const f = file(Buffer.alloc(3 * PAGESIZE))
      const fd = fs.openSync(f, 'r+')
      try {
        const m = new Mmap(fd, PAGESIZE, { offset: PAGESIZE })
        maps.push(m)
        assert.strictEqual(m.length, PAGESIZE)
        assert.strictEqual(m.size(), 3 * PAGESIZE)
      } finally {
        fs.closeSync(fd)
      }
    })

    it('reflects a change made to the file by another descriptor', function () {
      const { m, file: f } = mapFile(Buffer.alloc(100))
      const fd = fs.openSync(f, 'r+')
      try {
        fs.ftruncateSync(fd, 5000)
        assert.strictEqual(m.size(), 5000)
        assert.strictEqual(m.length, 100)
        // Windows (and Wine) refuse to shrink a mapped file: growing is the change there.
        if (process.platform !== 'win32') {
          fs.ftruncateSync(fd, 100)
          assert.strictEqual(m.size(), 100)
        }
      } finally {
        fs.closeSync(fd)
      }
    })

    it('follows resize()', function () {
      const { m } = mapFile(Buffer.alloc(100))
      m.resize(300)
      assert.strictEqual(m.size(), 300)
    })

    it('returns the length of an anonymous map', function () {
      const m = anon(Buffer.alloc(12345))
      assert.strictEqual(m.size(), 12345)
    })
  })

  describe('read-only maps', function () {
    it('throw ERR_MMAP_READONLY from every mutator', function () {
      // Windows has no prot: ACCESS_READ alone.
      const maps = process.platform === 'win32' ? [readOnly()] : [readOnly(), mapFile('abcdefghij', 0, { prot: mmap.PROT_READ }, 'r').m]
      for (const ro of maps) {
        assertCode(() => ro.set(0, 1), TypeError, 'ERR_MMAP_READONLY')
        assertCode(() => ro.setSlice(0, 1, Buffer.from('x')), TypeError, 'ERR_MMAP_READONLY')
        assertCode(() => ro.write(Buffer.from('x')), TypeError, 'ERR_MMAP_READONLY')
        assertCode(() => ro.writeByte(1), TypeError, 'ERR_MMAP_READONLY')
        assertCode(() => ro.move(0, 1, 1), TypeError, 'ERR_MMAP_READONLY')
        assertCode(() => ro.resize(20), TypeError, 'ERR_MMAP_READONLY')
        assert.strictEqual(ro.slice().toString(), 'abcdefghij')
        assert.strictEqual(ro.tell(), 0)
      }
    })

    it('throw ERR_MMAP_READONLY before range checks', function () {
      const ro = readOnly()
      assertCode(() => ro.write(Buffer.alloc(1000)), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.move(0, 1, 100), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.move(-1, 0, 0), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.set(100, 1), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.set(-100, 1), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.set(0, 300), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.setSlice(0, 100, Buffer.alloc(3)), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.resize(-1), TypeError, 'ERR_MMAP_READONLY')
      ro.seek(10)
      assertCode(() => ro.writeByte(1), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.write(Buffer.alloc(1)), TypeError, 'ERR_MMAP_READONLY')
    })

    it('check argument types before the read-only state', function () {
      const ro = readOnly()
      assertCode(() => ro.write('s'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => ro.write(1), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => ro.write(detached()), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => ro.writeByte('a'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => ro.writeByte(true), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => ro.writeByte(1.5), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => ro.writeByte(256), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => ro.move('0', 0, 0), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => ro.move(81, -(10n ** 20n), 92), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => ro.resize('1'), TypeError, 'ERR_INVALID_ARG_TYPE')
    })

    it('check read-only before the index, the slice and the value in set and setSlice, as mmap_ass_subscript', function () {
      const ro = readOnly()
      assertCode(() => ro.set('x', 1), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.set(0, '1'), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.set(-1617, NaN), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.set(-8, 'a'), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.setSlice(0, 1, 'a'), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.setSlice(0, 1, Buffer.alloc(1), 0), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.setSlice('1', 900, Buffer.alloc(1), 3), TypeError, 'ERR_MMAP_READONLY')
    })

    it('still read, seek, find, flush and madvise', function () {
      const ro = readOnly('ab\ncd')
      assert.deepStrictEqual(ro.readline(), Buffer.from('ab\n'))
      assert.strictEqual(ro.readByte(), 0x63)
      assert.deepStrictEqual(ro.read(), Buffer.from('d'))
      assert.strictEqual(ro.seek(0), 0)
      assert.strictEqual(ro.find('cd'), 3)
      assert.strictEqual(ro.get(-1), 0x64)
      assert.strictEqual(ro.flush(), undefined)
    })
  })
})
