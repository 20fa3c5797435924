'use strict'
// check-order.test.js: which error a bad call throws, in Python's order (README, "Errors"):
// the receiver, then every argument converted (type, non-integer, outside the signed 64-bit
// range, C int and unsigned char bounds), then closed, then read-only, then ranges and values;
// the subscript forms (get, set, slice, setSlice) closed, read-only, index or slice, value or data.
const assert = require('assert')
const fs = require('fs')
const util = require('util')
const mmap = require('..')
const { tempFile, captureThrow, posixOnly, skip } = require('./helpers')

const { Mmap, ACCESS_READ, ACCESS_WRITE } = mmap
const isWindows = process.platform === 'win32'
const SIZE = 16

const TYPE = 'ERR_INVALID_ARG_TYPE'
const VALUE = 'ERR_INVALID_ARG_VALUE'
const RANGE = 'ERR_OUT_OF_RANGE'
const CLOSED = 'ERR_MMAP_CLOSED'
const READONLY = 'ERR_MMAP_READONLY'

const maps = []
function fileMap (access = ACCESS_WRITE, contents = Buffer.alloc(SIZE, 0x61)) {
  const m = mmap.open(tempFile(contents), { access })
  maps.push(m)
  return m
}
const writable = () => fileMap(ACCESS_WRITE)
const readOnly = () => fileMap(ACCESS_READ)
function closed () {
  const m = writable()
  m.close()
  return m
}

// The code a call throws (or rejects with, for the methods that return a promise), or 'ok'.
async function outcome (fn) {
  try {
    const result = fn()
    if (result instanceof Promise) await result
    return 'ok'
  } catch (err) {
    return err.code ?? `${err.name} without a code`
  }
}

// Every method with arguments, except the subscript forms: arguments that fail their
// conversion (`convert`, with the code), and arguments that convert but are out of range or a
// bad value (`range`). `write` marks the methods a read-only map refuses.
const MADV = mmap.MADV_NORMAL ?? 0
const METHODS = {
  subarray: { convert: [[[2n ** 64n], RANGE], [['1'], TYPE], [[1.5], RANGE]] },
  find: { convert: [[['a', 2n ** 63n], RANGE], [['a', 0, -(10n ** 20n)], RANGE], [[1], TYPE], [['a', NaN], RANGE]] },
  rfind: { convert: [[['a', -(10n ** 20n)], RANGE], [['a', 0, 10n ** 20n], RANGE], [[null], TYPE]] },
  count: { convert: [[['a', 2 ** 63], RANGE], [['a', '0'], TYPE]] },
  lines: { convert: [[[2n ** 63n], RANGE], [['0'], TYPE], [[0, 1, { keepEnds: 1 }], TYPE], [[0, 1, 'x'], TYPE]] },
  lineOffsets: { convert: [[[0, 2n ** 63n], RANGE], [[{}], TYPE]] },
  read: { convert: [[[2n ** 63n], RANGE], [[2n ** 64n], RANGE], [['1'], TYPE], [[Infinity], RANGE]] },
  write: { convert: [[['s'], TYPE], [[1], TYPE]], range: [[Buffer.alloc(SIZE + 1)], RANGE], write: true },
  writeByte: { convert: [[[256], RANGE], [[-1], RANGE], [['a'], TYPE], [[2n ** 64n], RANGE]], write: true },
  seek: {
    convert: [[[2n ** 63n], RANGE], [[0, 2 ** 31], RANGE], [['0'], TYPE], [[0, null], TYPE]],
    range: [[-1], RANGE],
    value: [[0, 3], VALUE]
  },
  move: {
    convert: [[[81, -(10n ** 20n), 92], RANGE], [['0', 0, 0], TYPE], [[0, 0, 1.5], RANGE]],
    range: [[0, 0, SIZE + 1], RANGE],
    write: true
  },
  flush: {
    convert: [[[2n ** 64n], RANGE], [[0, 1, { flags: 2 ** 31 }], RANGE], [[0, 1, { flags: '1' }], TYPE], [[0, 1, 5], TYPE]],
    range: [[0, SIZE + 1], RANGE]
  },
  flushAsync: {
    convert: [[[2n ** 64n], RANGE], [[0, 1, { flags: 2 ** 31 }], RANGE], [[0, 1, { flags: '1' }], TYPE]],
    range: [[0, SIZE + 1], RANGE]
  },
  resize: { convert: [[[2n ** 64n], RANGE], [['1'], TYPE]], range: [[-1], RANGE], write: true },
  madvise: {
    convert: [[[2 ** 31], RANGE], [[MADV, 2n ** 64n], RANGE], [[MADV, 0, 2n ** 63n], RANGE], [['0'], TYPE]],
    range: [[MADV, SIZE], RANGE]
  },
  ...Object.fromEntries(['findAsync', 'rfindAsync', 'countAsync'].map((name) => [name, {
    convert: [[['a', 2n ** 63n], RANGE], [[1], TYPE], [['a', 0, 1, 5], TYPE], [['a', 0, 1, { signal: 1 }], TYPE],
      [['a', 0, 1, { threads: '2' }], TYPE], [['a', 0, 1, { threads: 1.5 }], RANGE]],
    value: [['a', 0, 1, { threads: 0 }], RANGE]
  }])),
  prefetch: { convert: [[[2n ** 64n], RANGE], [['0'], TYPE], [[0, 1, { signal: 1 }], TYPE]], range: [[SIZE + 1], RANGE] },
  ...Object.fromEntries(['residency', 'lock', 'unlock'].map((name) => [name, {
    convert: [[[2n ** 64n], RANGE], [[0, 2n ** 64n], RANGE], [['0'], TYPE]],
    range: [[SIZE + 1], RANGE]
  }])),
  setName: { convert: [[[1], TYPE]], value: [['a\0'], VALUE] },
  search: { convert: [[['x'], TYPE], [[/x/, 2n ** 64n], RANGE]] },
  matchAll: { convert: [[['x'], TYPE], [[/x/g, 0, 2n ** 64n], RANGE]] }
}
const SUBSCRIPTS = ['get', 'set', 'slice', 'setSlice']
const show = (args) => args.map((a) => util.inspect(a)).join(', ')

describe('check order', function () {
  afterEach(function () {
    for (const m of maps.splice(0)) m.close()
  })

  it('has a row for every method of Mmap.prototype that takes arguments', function () {
    const proto = Mmap.prototype
    const withArgs = Reflect.ownKeys(proto).filter((key) => {
      const desc = Object.getOwnPropertyDescriptor(proto, key)
      return key !== 'constructor' && typeof desc.value === 'function' && desc.value.length > 0
    })
    assert.deepStrictEqual(withArgs.map(String).sort(), [...Object.keys(METHODS), ...SUBSCRIPTS].sort())
  })

  describe('methods: arguments, then closed, then read-only, then ranges and values', function () {
    for (const [name, row] of Object.entries(METHODS)) {
      it(`${name}: conversion errors first, on open, closed and read-only maps alike`, async function () {
        for (const [args, code] of row.convert) {
          for (const [state, make] of [['open', writable], ['closed', closed], ['read-only', readOnly]]) {
            assert.strictEqual(await outcome(() => make()[name](...args)), code, `${name}(${show(args)}) on a ${state} map`)
          }
        }
      })

      it(`${name}: ERR_MMAP_CLOSED before read-only and before ranges and values`, async function () {
        for (const [args] of [row.range, row.value].filter(Boolean)) {
          assert.strictEqual(await outcome(() => closed()[name](...args)), CLOSED, `${name}(${show(args)})`)
        }
      })

      if (row.write) {
        it(`${name}: ERR_MMAP_READONLY before ranges on a read-only map`, async function () {
          const [args, code] = row.range ?? [[0], null]
          assert.strictEqual(await outcome(() => readOnly()[name](...args)), READONLY, `${name}(${show(args)})`)
          if (code !== null) assert.strictEqual(await outcome(() => writable()[name](...args)), code)
        })
      }

      if (row.range || row.value) {
        it(`${name}: ranges and values last, on an open map`, async function () {
          if (name === 'setName') posixOnly(this, 'an anonymous map to name')
          for (const [args, code] of [row.range, row.value].filter(Boolean)) {
            const m = name === 'setName' ? new Mmap(-1, SIZE) : writable()
            maps.push(m)
            assert.strictEqual(await outcome(() => m[name](...args)), code, `${name}(${show(args)})`)
          }
        })
      }
    }
  })

  describe('subscript forms: closed, read-only, the index or slice, then the value or data', function () {
    it('are ERR_MMAP_CLOSED first on a closed map, whatever the arguments', function () {
      const m = closed()
      for (const [name, args] of [['get', ['x']], ['get', [2n ** 64n]], ['set', ['x', NaN]], ['set', [2n ** 64n, 1]],
        ['slice', [28, 4096, 0]], ['slice', ['a']], ['slice', [0, 2n ** 64n]], ['setSlice', ['1', 900, 'data', 0]]]) {
        assert.strictEqual(captureThrow(() => m[name](...args)).code, CLOSED, `${name}(${show(args)})`)
      }
    })

    it('are ERR_MMAP_READONLY before the index, the slice, the value and the data (set, setSlice)', function () {
      const m = readOnly()
      for (const [name, args] of [['set', [-1617, NaN]], ['set', [-8, 'a']], ['set', ['x', 1]], ['set', [2n ** 64n, 1]],
        ['setSlice', ['1', 900, Buffer.alloc(3), 3]], ['setSlice', [0, 1, 'a']], ['setSlice', [0, 1, Buffer.alloc(1), 0]],
        ['setSlice', [0, 2n ** 64n, Buffer.alloc(1)]]]) {
        assert.strictEqual(captureThrow(() => m[name](...args)).code, READONLY, `${name}(${show(args)})`)
      }
      // Reading works on a read-only map.
      assert.strictEqual(m.get(0), 0x61)
      assert.strictEqual(m.slice(0, 2).toString(), 'aa')
    })

    it('check the index (type, then range) before the value (type, then range)', function () {
      const m = writable()
      for (const [name, args, code] of [
        ['get', ['x'], TYPE], ['get', [1.5], RANGE], ['get', [SIZE], RANGE], ['get', [2n ** 64n], RANGE],
        ['set', ['x', 'a'], TYPE], ['set', [-61, 'a'], RANGE], ['set', [SIZE, 256], RANGE], ['set', [2n ** 63n, 'a'], RANGE],
        ['set', [0, 'a'], TYPE], ['set', [0, null], TYPE], ['set', [0, 256], RANGE], ['set', [0, 1.5], RANGE],
        ['set', [0, 2n ** 64n], RANGE]
      ]) {
        assert.strictEqual(captureThrow(() => m[name](...args)).code, code, `${name}(${show(args)})`)
      }
      assert.deepStrictEqual(m.slice(), Buffer.alloc(SIZE, 0x61))
    })

    it('check the slice (step first, a zero step, then start and end) before the data (type, then length)', function () {
      const m = writable()
      for (const [name, args, code] of [
        ['slice', ['a', 5, 0], VALUE], ['slice', ['a', 5, '1'], TYPE], ['slice', ['a'], TYPE], ['slice', [0, 'b'], TYPE],
        ['slice', [0, 5, 2n ** 63n], RANGE], ['slice', [-(2n ** 63n) - 1n], RANGE],
        ['setSlice', ['x', 2, 'ab', 0], VALUE], ['setSlice', ['x', 2, 'ab'], TYPE], ['setSlice', [0, 2n ** 64n, 'ab'], RANGE],
        ['setSlice', [0, 2, 'ab'], TYPE], ['setSlice', [0, 2, Buffer.alloc(3)], RANGE], ['setSlice', [0, 2, null, 1.5], RANGE]
      ]) {
        assert.strictEqual(captureThrow(() => m[name](...args)).code, code, `${name}(${show(args)})`)
      }
      assert.deepStrictEqual(m.slice(), Buffer.alloc(SIZE, 0x61))
    })
  })

  describe('the signed 64-bit range', function () {
    it('refuses integers outside it in every integer argument; inside it Python clamps', function () {
      const m = writable()
      m.seek(4)
      assert.strictEqual(m.read(2n ** 63n - 1n).length, SIZE - 4)
      m.seek(0)
      assert.strictEqual(m.find('a', -(2n ** 63n)), 0)
      assert.strictEqual(m.rfind('a', 0, 2n ** 63n - 1n), SIZE - 1)
      assert.strictEqual(m.count('a', -(2n ** 63n), 2n ** 63n - 1n), SIZE)
      assert.strictEqual(m.slice(-(2n ** 63n), 2n ** 63n - 1n, 2n ** 63n - 1n).length, 1)
      assert.strictEqual(m.subarray(-(2n ** 63n), 2n ** 63n - 1n).length, SIZE)
      for (const big of [2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, 2 ** 63, -(2 ** 64)]) {
        for (const [name, args] of [['read', [big]], ['find', ['a', big]], ['rfind', ['a', 0, big]], ['count', ['a', big]],
          ['slice', [big]], ['subarray', [0, big]], ['seek', [big]], ['move', [0, 0, big]], ['flush', [0, big]],
          ['resize', [big]], ['get', [big]], ['set', [0, big]], ['writeByte', [big]], ['search', [/a/, big]]]) {
          assert.strictEqual(captureThrow(() => m[name](...args)).code, RANGE, `${name}(${show(args)})`)
        }
      }
      assert.strictEqual(m.tell(), 0)
      assert.strictEqual(m.length, SIZE)
    })

    it('madvise: start + length past 2^63 - 1 is ERR_OUT_OF_RANGE, exactly; below it the length is clamped', function () {
      posixOnly(this, 'madvise() is ENOTSUP on Windows')
      const m = writable()
      m.madvise(mmap.MADV_NORMAL, 0, 2n ** 63n - 1n)
      m.madvise(mmap.MADV_NORMAL, 1, 2n ** 63n - 2n)
      assert.strictEqual(captureThrow(() => m.madvise(mmap.MADV_NORMAL, 1, 2n ** 63n - 1n)).code, RANGE)
      assert.strictEqual(captureThrow(() => m.madvise(mmap.MADV_NORMAL, 15, 2n ** 63n - 15n)).code, RANGE)
      m.madvise(mmap.MADV_NORMAL, 15, 2n ** 63n - 16n)
    })

    it('resize and move on a read-only map: the overflow comes before ERR_MMAP_READONLY', function () {
      const m = readOnly()
      assert.strictEqual(captureThrow(() => m.resize(2n ** 64n)).code, RANGE)
      assert.strictEqual(captureThrow(() => m.move(81, -(10n ** 20n), 92)).code, RANGE)
      assert.strictEqual(captureThrow(() => m.resize(2n ** 63n - 1n)).code, READONLY)
    })
  })

  describe('flush flags', function () {
    it('exports MS_SYNC, MS_ASYNC and MS_INVALIDATE where the platform has them (POSIX), none on Windows', function () {
      for (const name of ['MS_SYNC', 'MS_ASYNC', 'MS_INVALIDATE']) {
        if (isWindows) {
          assert.strictEqual(mmap[name], undefined)
          assert.ok(!(name in mmap.constants))
        } else {
          assert.strictEqual(typeof mmap[name], 'number', name)
          assert.strictEqual(mmap.constants[name], mmap[name])
        }
      }
    })

    it('writes the data back with each flag, synchronously or asynchronously', async function () {
      posixOnly(this, 'Windows has no msync() flags')
      const file = tempFile(Buffer.alloc(8192))
      const m = mmap.open(file, { access: ACCESS_WRITE })
      maps.push(m)
      const flags = [mmap.MS_SYNC, mmap.MS_ASYNC, mmap.MS_SYNC | mmap.MS_INVALIDATE, mmap.MS_ASYNC | mmap.MS_INVALIDATE]
      for (const [i, f] of flags.entries()) {
        m.set(i, 0x41 + i)
        m.flush(0, undefined, { flags: f })
        m.set(4096 + i, 0x61 + i)
        await m.flushAsync(4096, 100, { flags: f })
      }
      m.flush(0, 8192, {})
      m.flush(0, 8192, null)
      const bytes = fs.readFileSync(file)
      assert.strictEqual(bytes.subarray(0, 4).toString(), 'ABCD')
      assert.strictEqual(bytes.subarray(4096, 4100).toString(), 'abcd')
    })

    it('passes the flags to msync(), which refuses a bad combination with EINVAL (read-only maps sync nothing)', async function () {
      posixOnly(this, 'Windows has no msync() flags')
      const m = writable()
      const bad = mmap.MS_SYNC | mmap.MS_ASYNC
      const err = captureThrow(() => m.flush(0, SIZE, { flags: bad }))
      assert.strictEqual(err.code, 'EINVAL')
      assert.strictEqual(err.syscall, 'msync')
      await assert.rejects(m.flushAsync(0, SIZE, { flags: bad }), { code: 'EINVAL', syscall: 'msync' })
      // Python: a read-only or copy-on-write map returns before msync().
      assert.strictEqual(readOnly().flush(0, SIZE, { flags: bad }), undefined)
    })

    it('refuses flags on Windows (Python has none there) after checking their type', async function () {
      if (!isWindows) skip(this, 'Windows only: POSIX takes flags')
      const m = writable()
      assert.strictEqual(captureThrow(() => m.flush(0, SIZE, { flags: 4 })).code, VALUE)
      assert.strictEqual(captureThrow(() => m.flush(0, SIZE, { flags: 'x' })).code, TYPE)
      await assert.rejects(m.flushAsync(0, SIZE, { flags: 4 }), { code: VALUE })
    })
  })

  describe('a receiver that is not a map', function () {
    const proto = Mmap.prototype
    const members = Reflect.ownKeys(proto).filter((key) => key !== 'constructor')
    const foreign = [{}, Object.create(proto), [], new Uint8Array(4), () => {}]
    const primitives = [undefined, null, 1, 'm', Symbol('m')]

    function check (what, fn) {
      const err = captureThrow(fn)
      assert.strictEqual(err.constructor, TypeError, `${what}: ${err}`)
      assert.strictEqual(err.code, 'ERR_INVALID_THIS', `${what}: ${err.message}`)
      assert.strictEqual(err.message, 'Value of "this" must be of type Mmap', what)
    }

    it('throws ERR_INVALID_THIS from every method and getter of Mmap.prototype (but inspect)', async function () {
      assert.ok(members.length >= 30, `only ${members.length} members`)
      for (const key of members) {
        const desc = Object.getOwnPropertyDescriptor(proto, key)
        for (const [i, receiver] of [...foreign, ...primitives].entries()) {
          const what = `${String(key)} on receiver ${i}`
          if (key === util.inspect.custom) {
            assert.strictEqual(desc.value.call(receiver), 'Mmap <not a map>', what)
          } else if (desc.get) {
            check(`get ${what}`, () => desc.get.call(receiver))
          } else if (['flushAsync', 'findAsync', 'rfindAsync', 'countAsync', 'prefetch'].includes(key)) {
            await assert.rejects(desc.value.call(receiver), { code: 'ERR_INVALID_THIS' }, what)
          } else {
            // Before the arguments are looked at: these are all wrong.
            check(what, () => desc.value.call(receiver, Symbol('x'), Symbol('y')))
            check(what, () => desc.value.call(receiver))
          }
        }
      }
    })

    it('throws ERR_INVALID_THIS from a method taken off a map (const { find } = m)', function () {
      const m = writable()
      const { find, read, close } = m
      check('find', () => find('x'))
      check('read', () => read())
      check('close', () => close())
      assert.strictEqual(m.closed, false)
      check('Mmap.prototype.find.call({})', () => Mmap.prototype.find.call({}, 'x'))
      check('length', () => Object.getOwnPropertyDescriptor(proto, 'length').get.call({}))
      check('closed', () => Object.getOwnPropertyDescriptor(proto, 'closed').get.call({}))
    })

    it('lets util.inspect() show Mmap.prototype and objects made from it', function () {
      assert.strictEqual(typeof util.inspect(proto), 'string')
      assert.strictEqual(util.inspect(Object.create(proto)), 'Mmap <not a map>')
    })

    it('works on instances of a subclass', function () {
      class Sub extends Mmap {}
      const m = new Sub(-1, SIZE)
      maps.push(m)
      assert.strictEqual(m.length, SIZE)
      assert.strictEqual(m.find('\0'), 0)
    })
  })
})
