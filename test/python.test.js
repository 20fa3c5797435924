'use strict'
// python.test.js: a port of what CPython's Lib/test/test_mmap.py checks, to this module's API.
const assert = require('assert')
const fs = require('fs')
const util = require('util')
const mmap = require('..')
const { runChild, captureThrow, assertCode, assertOsError, skip, posixOnly, windowsOnly, resources } = require('./helpers')

const { Mmap, PAGESIZE, ALLOCATIONGRANULARITY } = mmap
const isLinux = process.platform === 'linux'
const isWindows = process.platform === 'win32'

// Maps, descriptors and files made by a test, released in afterEach.
const { track, file, openFd, closeFd, mapFile, anonymous: anon, cleanup } = resources()

// Python's bytes.find / bytes.rfind (3.15: a start past the end finds nothing), done the slow way.
function pyFind (data, sub, start, end, reverse = false) {
  const n = data.length
  if (start === undefined || start === null) start = 0
  if (start > n) return -1
  if (start < 0) start = Math.max(start + n, 0)
  if (end === undefined || end === null) end = n
  else if (end < 0) end = Math.max(end + n, 0)
  else end = Math.min(end, n)
  if (end - start < sub.length) return -1
  const matchesAt = (i) => {
    for (let j = 0; j < sub.length; j++) if (data[i + j] !== sub[j]) return false
    return true
  }
  if (reverse) {
    for (let i = end - sub.length; i >= start; i--) if (matchesAt(i)) return i
  } else {
    for (let i = start; i + sub.length <= end; i++) if (matchesAt(i)) return i
  }
  return -1
}

// The indices Python's seq[start:stop:step] selects, written out from the language reference.
function pySliceIndices (n, start, stop, step) {
  const out = []
  if (step === null) step = 1
  if (step > 0) {
    let lo = start === null ? 0 : start < 0 ? start + n : start
    let hi = stop === null ? n : stop < 0 ? stop + n : stop
    lo = Math.min(Math.max(lo, 0), n)
    hi = Math.min(Math.max(hi, 0), n)
    for (let i = lo; i < hi; i += step) out.push(i)
  } else {
    let hi = start === null ? n - 1 : start < 0 ? start + n : start
    let lo = stop === null ? -1 : stop < 0 ? stop + n : stop
    hi = Math.min(Math.max(hi, -1), n - 1)
    lo = Math.min(Math.max(lo, -1), n - 1)
    for (let i = hi; i > lo; i += step) out.push(i)
  }
  return out
}

function pySlice (data, start, stop, step) {
  return Buffer.from(pySliceIndices(data.length, start, stop, step).map((i) => data[i]))
}

// The 2-page file of test_basic: zeros with 'foo' at PAGESIZE.
function fooFile () {
  const data = Buffer.alloc(2 * PAGESIZE)
  data.write('foo', PAGESIZE, 'latin1')
  return data
}

describe('python: a port of CPython test_mmap.py', function () {
  afterEach(cleanup)

  describe('basic (test_basic)', function () {
    it('finds foo at PAGESIZE and reads single bytes and slices', function () {
      const { m } = mapFile(fooFile(), 2 * PAGESIZE)
      assert.strictEqual(m.find('foo'), PAGESIZE)
      assert.strictEqual(m.length, 2 * PAGESIZE)
      assert.strictEqual(m.get(0), 0)
      assert.deepStrictEqual(m.slice(0, 3), Buffer.alloc(3))
    })

    it('rejects get and set at the length (issue #5292: no crash on the boundary)', function () {
      const { m } = mapFile(fooFile(), 2 * PAGESIZE)
      assertCode(() => m.get(m.length), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.set(m.length, 0), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('writes a byte and the bar slice, and the file sees them after flush', function () {
      const { m, file: f } = mapFile(fooFile(), 2 * PAGESIZE)
      m.set(0, 0x33)
      m.setSlice(PAGESIZE + 3, PAGESIZE + 6, Buffer.from('bar'))
      assert.strictEqual(m.get(0), 0x33)
      assert.deepStrictEqual(m.slice(0, 3), Buffer.from('3\0\0', 'latin1'))
      assert.deepStrictEqual(m.slice(PAGESIZE - 1, PAGESIZE + 7), Buffer.from('\0foobar\0', 'latin1'))
      assert.strictEqual(m.flush(), undefined)
      const onDisk = fs.readFileSync(f)
      assert.deepStrictEqual(onDisk.subarray(PAGESIZE - 1, PAGESIZE + 7), Buffer.from('\0foobar\0', 'latin1'))
      assert.strictEqual(onDisk[0], 0x33)
    })

    it('matches a regular expression at the absolute offset (re.search on the map)', function () {
      const { m } = mapFile(fooFile(), 2 * PAGESIZE)
      m.setSlice(PAGESIZE + 3, PAGESIZE + 6, Buffer.from('bar'))
      const match = m.search(/[A-Za-z]+/)
      assert.notStrictEqual(match, null)
      assert.strictEqual(match.index, PAGESIZE)
      assert.strictEqual(match[0], 'foobar')
      assert.strictEqual(match.index + match[0].length, PAGESIZE + 6)
    })

    it('seeks around and refuses to seek outside [0, length]', function () {
      const { m } = mapFile(fooFile(), 2 * PAGESIZE)
      assert.strictEqual(m.seek(0, 0), 0)
      assert.strictEqual(m.tell(), 0)
      assert.strictEqual(m.seek(42, 1), 42)
      assert.strictEqual(m.tell(), 42)
      assert.strictEqual(m.seek(0, 2), m.length)
      assert.strictEqual(m.tell(), m.length)
      assertCode(() => m.seek(-1), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.seek(1, 2), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.seek(-m.length - 1, 2), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), m.length)
    })

    it('reads and writes at the position', function () {
      const { m } = mapFile(fooFile(), 2 * PAGESIZE)
      m.seek(PAGESIZE)
      assert.deepStrictEqual(m.read(3), Buffer.from('foo'))
      assert.strictEqual(m.write(Buffer.from('bar')), 3)
      assert.strictEqual(m.tell(), PAGESIZE + 6)
      assert.deepStrictEqual(m.slice(PAGESIZE, PAGESIZE + 6), Buffer.from('foobar'))
    })

    it('resizes to 512 bytes and truncates the file (bug #728515)', function () {
      const { m, file: f } = mapFile(fooFile(), 2 * PAGESIZE)
      m.resize(512)
      assert.strictEqual(m.length, 512)
      assertCode(() => m.seek(513, 0), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(fs.statSync(f).size, 512)
      assert.strictEqual(m.size(), 512)
      m.close()
      assert.strictEqual(m.closed, true)
    })
  })

  describe('access parameter (test_access_parameter)', function () {
    const mapsize = 10

    it('ACCESS_READ maps read the data and refuse every write; the file is unchanged', function () {
      const f = file('a'.repeat(mapsize))
      const fd = openFd(f, 'r')
      const m = track(new Mmap(fd, mapsize, { access: mmap.ACCESS_READ }))
      assert.deepStrictEqual(m.slice(), Buffer.from('a'.repeat(mapsize)))
      assertCode(() => m.setSlice(null, null, Buffer.from('b'.repeat(mapsize))), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => m.set(0, 0x62), TypeError, 'ERR_MMAP_READONLY')
      m.seek(0, 0)
      assertCode(() => m.write(Buffer.from('abc')), TypeError, 'ERR_MMAP_READONLY')
      m.seek(0, 0)
      assertCode(() => m.writeByte(0x64), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => m.resize(2 * mapsize), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => m.move(0, 1, 1), TypeError, 'ERR_MMAP_READONLY')
      m.close()
      assert.strictEqual(fs.readFileSync(f, 'latin1'), 'a'.repeat(mapsize))
    })

    it('refuses a length past the end of the file on POSIX (Windows extends the file)', function () {
      const f = file('a'.repeat(mapsize))
      const fd = openFd(f)
      if (process.platform === 'win32') {
        track(new Mmap(fd, mapsize + 1))
        assert.strictEqual(fs.statSync(f).size, mapsize + 1)
      } else {
        assertCode(() => new Mmap(fd, mapsize + 1), RangeError, 'ERR_OUT_OF_RANGE')
        assert.strictEqual(fs.statSync(f).size, mapsize)
      }
    })

    it('ACCESS_WRITE maps write through to the file', function () {
      const f = file('a'.repeat(mapsize))
      const fd = openFd(f)
      const m = track(new Mmap(fd, mapsize, { access: mmap.ACCESS_WRITE }))
      m.setSlice(null, null, Buffer.from('c'.repeat(mapsize)))
      assert.deepStrictEqual(m.slice(), Buffer.from('c'.repeat(mapsize)))
      m.flush()
      m.close()
      closeFd(fd)
      assert.strictEqual(fs.readFileSync(f, 'latin1'), 'c'.repeat(mapsize))
    })

    it('ACCESS_COPY maps change only their own copy and cannot be resized', function () {
      const f = file('c'.repeat(mapsize))
      const fd = openFd(f)
      const m = track(new Mmap(fd, mapsize, { access: mmap.ACCESS_COPY }))
      m.setSlice(null, null, Buffer.from('d'.repeat(mapsize)))
      assert.deepStrictEqual(m.slice(), Buffer.from('d'.repeat(mapsize)))
      assert.strictEqual(m.flush(), undefined)
      assert.strictEqual(fs.readFileSync(f, 'latin1'), 'c'.repeat(mapsize))
      assertCode(() => m.resize(2 * mapsize), TypeError, 'ERR_MMAP_READONLY')
      assert.strictEqual(fs.statSync(f).size, mapsize)
    })

    it('rejects an invalid access value', function () {
      const fd = openFd(file('a'.repeat(mapsize)))
      for (const access of [4, -1, 99]) {
        assertCode(() => new Mmap(fd, mapsize, { access }), TypeError, 'ERR_INVALID_ARG_VALUE')
      }
    })

    it('rejects access together with flags and prot', function () {
      const fd = openFd(file('a'.repeat(mapsize)))
      if (isWindows) {
        // Python on Windows has no flags or prot at all: any is refused (2 and 1 are MAP_PRIVATE and PROT_READ on POSIX).
        for (const options of [{ flags: 2, prot: 1, access: mmap.ACCESS_WRITE }, { flags: 2 }, { prot: 1, access: mmap.ACCESS_COPY }]) {
          assertCode(() => new Mmap(fd, mapsize, options), TypeError, 'ERR_INVALID_ARG_VALUE')
        }
        return
      }
      assertCode(() => new Mmap(fd, mapsize, { flags: mmap.MAP_PRIVATE, prot: mmap.PROT_READ, access: mmap.ACCESS_WRITE }),
        TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => new Mmap(fd, mapsize, { flags: mmap.MAP_PRIVATE, access: mmap.ACCESS_READ }),
        TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => new Mmap(fd, mapsize, { prot: mmap.PROT_READ, access: mmap.ACCESS_COPY }),
        TypeError, 'ERR_INVALID_ARG_VALUE')
    })

    it('accepts access with flags and prot equal to their defaults', function () {
      posixOnly(this, 'Windows refuses flags and prot even at their defaults')
      const f = file('a'.repeat(mapsize))
      const fd = openFd(f)
      const copy = track(new Mmap(fd, mapsize, { flags: mmap.MAP_SHARED, access: mmap.ACCESS_COPY }))
      copy.set(0, 0x7a)
      assert.strictEqual(fs.readFileSync(f, 'latin1'), 'a'.repeat(mapsize))
      const ro = track(new Mmap(fd, mapsize, { prot: mmap.PROT_READ | mmap.PROT_WRITE, access: mmap.ACCESS_READ }))
      assertCode(() => ro.set(0, 1), TypeError, 'ERR_MMAP_READONLY')
    })

    it('makes a read-only map from prot PROT_READ | PROT_EXEC', function () {
      posixOnly(this, 'Windows has no prot')
      const fd = openFd(file('a'.repeat(mapsize)))
      let m
      try {
        m = track(new Mmap(fd, mapsize, { prot: mmap.PROT_READ | mmap.PROT_EXEC }))
      } catch (err) {
        // Some systems (macOS 14, noexec mounts) refuse executable file maps, as Python's test allows.
        if (err.code === 'EPERM' || err.code === 'EACCES') skip(this, 'this system refuses PROT_EXEC file maps')
        throw err
      }
      assertCode(() => m.write(Buffer.from('abcdef')), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => m.writeByte(0), TypeError, 'ERR_MMAP_READONLY')
      assert.deepStrictEqual(m.slice(0, 3), Buffer.from('aaa'))
    })

    it('refuses a writable shared map of a read-only descriptor with EACCES', function () {
      const fd = openFd(file('a'.repeat(mapsize)), 'r')
      assertOsError(() => new Mmap(fd, mapsize), 'EACCES', 'mmap')
      assertOsError(() => new Mmap(fd, mapsize, { access: mmap.ACCESS_WRITE }), 'EACCES', 'mmap')
      // ACCESS_COPY and MAP_PRIVATE work on a read-only descriptor.
      track(new Mmap(fd, mapsize, { access: mmap.ACCESS_COPY })).set(0, 1)
      if (!isWindows) track(new Mmap(fd, mapsize, { flags: mmap.MAP_PRIVATE })).set(0, 1)
    })

    it('keeps flags MAP_PRIVATE with the default access writable, resizable and private', function () {
      posixOnly(this, 'Windows has no MAP_PRIVATE')
      const f = file('a'.repeat(mapsize))
      const fd = openFd(f)
      const m = track(new Mmap(fd, mapsize, { flags: mmap.MAP_PRIVATE }))
      m.set(0, 0x7a)
      assert.strictEqual(fs.readFileSync(f, 'latin1'), 'a'.repeat(mapsize))
      m.resize(2 * mapsize)
      assert.strictEqual(fs.statSync(f).size, 2 * mapsize)
      assert.strictEqual(m.get(0), 0x7a)
    })
  })

  describe('bad file descriptor (test_bad_file_desc)', function () {
    it('refuses fd -2 with EBADF from fstat', function () {
      assertOsError(() => new Mmap(-2, 4096), 'EBADF', 'fstat')
    })

    it('refuses a closed descriptor with EBADF', function () {
      const fd = fs.openSync(file(4096), 'r+')
      fs.closeSync(fd)
      assertOsError(() => new Mmap(fd, 4096), 'EBADF', 'fstat')
    })

    it('refuses a closed FileHandle (fd -1) with EBADF instead of making anonymous memory', async function () {
      const handle = await fs.promises.open(file(4096), 'r+')
      await handle.close()
      assert.strictEqual(handle.fd, -1)
      assertOsError(() => new Mmap(handle, 4096), 'EBADF', 'fstat')
    })
  })

  describe('find (test_tougher_find, test_find_end, test_rfind)', function () {
    const tough = Buffer.from('aabaac\x00deef\x00\x00aa\x00', 'latin1')

    it('finds every substring, with embedded NULs, from the start (SF bug 515943)', function () {
      const { m } = mapFile(tough, tough.length)
      const n = tough.length
      for (let start = 0; start <= n; start++) {
        for (let finish = start; finish <= n; finish++) {
          const sub = tough.subarray(start, finish)
          assert.strictEqual(m.find(sub), pyFind(tough, sub), `find of [${start}, ${finish})`)
          assert.strictEqual(m.find(Buffer.concat([sub, Buffer.from('x')])), -1)
        }
      }
    })

    it('finds every substring at every start and end like bytes.find and bytes.rfind', function () {
      const { m } = mapFile(tough, tough.length)
      const n = tough.length
      for (let a = 0; a <= n; a++) {
        for (let b = a; b <= n; b++) {
          const sub = tough.subarray(a, b)
          for (let start = -n - 1; start <= n + 1; start++) {
            for (let end = -n - 1; end <= n + 1; end++) {
              assert.strictEqual(m.find(sub, start, end), pyFind(tough, sub, start, end), `find [${a},${b}) ${start} ${end}`)
              assert.strictEqual(m.rfind(sub, start, end), pyFind(tough, sub, start, end, true), `rfind [${a},${b}) ${start} ${end}`)
            }
          }
        }
      }
    })

    it('honours the end argument of find', function () {
      const { m } = mapFile('one two ones', 12)
      assert.strictEqual(m.find('one'), 0)
      assert.strictEqual(m.find('ones'), 8)
      assert.strictEqual(m.find('one', 0, -1), 0)
      assert.strictEqual(m.find('one', 1), 8)
      assert.strictEqual(m.find('one', 1, -1), 8)
      assert.strictEqual(m.find('one', 1, -2), -1)
      assert.strictEqual(m.find(Buffer.from('one'), -100), 0)
      assert.strictEqual(m.find('one', -4), 8)
      assert.strictEqual(m.find('one two ones!'), -1)
    })

    it('finds the last occurrence with rfind', function () {
      const { m } = mapFile('one two ones', 12)
      assert.strictEqual(m.rfind('one'), 8)
      assert.strictEqual(m.rfind('one '), 0)
      assert.strictEqual(m.rfind('one', 0, -1), 8)
      assert.strictEqual(m.rfind('one', 0, -2), 0)
      assert.strictEqual(m.rfind('one', 1, -1), 8)
      assert.strictEqual(m.rfind('one', 1, -2), -1)
    })

    it('starts find and rfind at the current position by default', function () {
      const { m } = mapFile('one two ones', 12)
      m.seek(5)
      assert.strictEqual(m.find('one'), 8)
      assert.strictEqual(m.rfind('two'), -1)
      assert.strictEqual(m.rfind('ones'), 8)
      assert.strictEqual(m.tell(), 5)
    })

    it('treats null and undefined start and end as the defaults', function () {
      const { m } = mapFile('one two ones', 12)
      m.seek(1)
      assert.strictEqual(m.find('one', null), 8)
      assert.strictEqual(m.find('one', undefined, undefined), 8)
      assert.strictEqual(m.find('one', null, null), 8)
      assert.strictEqual(m.rfind('one', null, null), 8)
      assert.strictEqual(m.find('one', 0, null), 0)
      assert.strictEqual(m.rfind('one', 0, undefined), 8)
      assert.strictEqual(m.rfind('one', undefined, -2), -1)
    })

    it('honours end when start is null (differs from Python main, which ignores end then)', function () {
      const { m } = mapFile('one two ones', 12)
      assert.strictEqual(m.find('ones', null, 5), -1)
      assert.strictEqual(m.rfind('one', null, 5), 0)
    })

    it('returns -1 for a start past the end, even for an empty needle (gh-151021)', function () {
      const { m } = mapFile('one two ones', 12)
      assert.strictEqual(m.find(''), 0)
      assert.strictEqual(m.rfind(''), 12)
      assert.strictEqual(m.find('', 12), 12)
      assert.strictEqual(m.find('', 13), -1)
      assert.strictEqual(m.rfind('', 13), -1)
      assert.strictEqual(m.find('one', 100), -1)
      assert.strictEqual(m.find('', 5, 3), -1)
    })

    it('rejects needles that are not bytes or strings', function () {
      const { m } = mapFile('one two ones', 12)
      for (const bad of [1, null, undefined, {}, [1, 2], true]) {
        assertCode(() => m.find(bad), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.rfind(bad), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
    })
  })

  describe('close (test_double_close)', function () {
    it('closes twice without error', function () {
      const fd = openFd(file('a'.repeat(2 ** 16)), 'r')
      const m = track(new Mmap(fd, 2 ** 16, { access: mmap.ACCESS_READ }))
      m.close()
      m.close()
      assert.strictEqual(m.closed, true)
    })
  })

  describe('entire file, length 0 and offsets (test_entire_file, test_length_0_*)', function () {
    it('maps the whole file for length 0', function () {
      const { m } = mapFile('m'.repeat(2 ** 16), 0)
      assert.strictEqual(m.length, 2 ** 16)
      assert.deepStrictEqual(m.read(2 ** 16), Buffer.from('m'.repeat(2 ** 16)))
    })

    it('maps the rest of the file for length 0 with an offset (issue #10916)', function () {
      const { m } = mapFile('m'.repeat(65536 * 2), 0, { offset: 65536, access: mmap.ACCESS_READ }, 'r')
      assert.strictEqual(m.length, 65536)
      assertCode(() => m.get(80000), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.get(65535), 0x6d)
    })

    it('refuses a large offset past the end for length 0 (issue #10959)', function () {
      const fd = openFd(file('m'.repeat(115699)))
      const err = assertCode(() => new Mmap(fd, 0, { offset: 2147418112 }), RangeError, 'ERR_OUT_OF_RANGE')
      assert.match(err.message, /offset 2147418112 is past the end of the 115699-byte file/)
    })

    it('maps an empty map at offset == file size with length 0 (differs from Python: ValueError)', function () {
      const { m } = mapFile('m'.repeat(100), 0, { offset: 100 })
      assert.strictEqual(m.length, 0)
      assert.deepStrictEqual(m.read(), Buffer.alloc(0))
    })
  })

  describe('empty file (test_empty_file)', function () {
    it('maps an empty file to a length-0 map (differs from Python: ValueError)', function () {
      const { m } = mapFile('', 0, { access: mmap.ACCESS_READ }, 'r')
      assert.strictEqual(m.length, 0)
      assert.deepStrictEqual(m.slice(), Buffer.alloc(0))
      assert.strictEqual(m.find(''), 0)
      assertCode(() => m.readByte(), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('grows a length-0 map of an empty file with resize (differs from Python)', function () {
      const { m, file: f } = mapFile('', 0)
      assert.strictEqual(m.length, 0)
      m.resize(10)
      assert.strictEqual(m.length, 10)
      assert.strictEqual(fs.statSync(f).size, 10)
      m.write(Buffer.from('0123456789'))
      m.flush()
      assert.strictEqual(fs.readFileSync(f, 'latin1'), '0123456789')
    })
  })

  describe('move (test_move)', function () {
    it('duplicates the front half into the back half', function () {
      const { m } = mapFile('ABCDEabcde', 10)
      m.move(5, 0, 5)
      assert.deepStrictEqual(m.slice(), Buffer.from('ABCDEABCDE'))
    })

    it('moves every dest, src and count like memmove', function () {
      const data = '0123456789'
      const m = anon(data.length)
      for (let dest = 0; dest <= data.length; dest++) {
        for (let src = 0; src <= data.length; src++) {
          for (let count = 0; count <= data.length - Math.max(dest, src); count++) {
            const expected = data.slice(0, dest) + data.slice(src, src + count) + data.slice(dest + count)
            m.setSlice(null, null, Buffer.from(data))
            m.move(dest, src, count)
            assert.strictEqual(m.slice().toString('latin1'), expected, `move(${dest}, ${src}, ${count})`)
          }
        }
      }
    })

    it('rejects every out-of-range combination and accepts the rest (issue 5387)', function () {
      const m = anon(100)
      const offsets = [-100, -1, 0, 1, 100]
      for (const dest of offsets) {
        for (const src of offsets) {
          for (const count of offsets) {
            const ok = dest >= 0 && src >= 0 && count >= 0 && count <= 100 - dest && count <= 100 - src
            if (ok) m.move(dest, src, count)
            else assertCode(() => m.move(dest, src, count), RangeError, 'ERR_OUT_OF_RANGE')
          }
        }
      }
      for (const [dest, src, count] of [[-1, -1, -1], [-1, -1, 0], [-1, 0, -1], [0, -1, -1], [-1, 0, 0], [0, -1, 0], [0, 0, -1]]) {
        assertCode(() => m.move(dest, src, count), RangeError, 'ERR_OUT_OF_RANGE')
      }
    })

    it('checks the bounds of a single-byte map', function () {
      const m = anon(1)
      assertCode(() => m.move(0, 0, 2), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.move(1, 0, 1), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.move(0, 1, 1), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.move(2, 0, 0), RangeError, 'ERR_OUT_OF_RANGE')
      m.move(0, 0, 1)
      m.move(0, 0, 0)
      m.move(1, 1, 0)
    })
  })

  describe('anonymous maps (test_anonymous, test_non_ascii_byte)', function () {
    it('starts zeroed and keeps every byte written', function () {
      const m = anon(PAGESIZE)
      for (let x = 0; x < PAGESIZE; x++) assert.strictEqual(m.get(x), 0)
      for (let x = 0; x < PAGESIZE; x++) {
        m.set(x, x & 255)
        assert.strictEqual(m.get(x), x & 255)
      }
    })

    it('round-trips bytes above 127 through writeByte and readByte', function () {
      for (const b of [129, 200, 255]) {
        const m = anon(1)
        m.writeByte(b)
        assert.strictEqual(m.get(0), b)
        m.seek(0)
        assert.strictEqual(m.readByte(), b)
        m.close()
      }
    })

    it('refuses an anonymous map of length 0 with EINVAL', function () {
      assertOsError(() => new Mmap(-1, 0), 'EINVAL', 'mmap')
    })

    it('ignores any offset on anonymous maps (differs from Python: unaligned offsets are EINVAL)', function () {
      const m = anon(PAGESIZE, { offset: 1 })
      m.set(0, 5)
      assert.strictEqual(m.get(0), 5)
      assert.match(util.inspect(m), /offset=1\b/)
    })

    it('reports the length as size() (gh-87595)', function () {
      const m = anon(3 * PAGESIZE)
      assert.strictEqual(m.size(), 3 * PAGESIZE)
      m.resize(PAGESIZE)
      assert.strictEqual(m.size(), PAGESIZE)
    })
  })

  describe('extended slices (test_extended_getslice, test_extended_set_del_slice)', function () {
    const s = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i))
    const indices = [0, null, 1, 3, 19, 300, -1, -2, -31, -300]

    it('reads every start, stop and step like Python slicing', function () {
      const m = anon(s.length)
      m.setSlice(null, null, s)
      assert.deepStrictEqual(m.slice(), s)
      for (const start of indices) {
        for (const stop of indices) {
          for (const step of indices.slice(1)) {
            assert.deepStrictEqual(m.slice(start, stop, step), pySlice(s, start, stop, step), `[${start}:${stop}:${step}]`)
          }
        }
      }
    })

    it('agrees with known Python results', function () {
      const m = anon(10)
      m.setSlice(null, null, Buffer.from('0123456789'))
      const cases = [
        [[null, null, -1], '9876543210'],
        [[null, null, 3], '0369'],
        [[-3, null, null], '789'],
        [[8, 2, -2], '864'],
        [[-300, 300, 4], '048'],
        [[300, -300, -4], '951'],
        [[5, 5, 1], ''],
        [[-300, null, -1], ''],
        [[-11, -300, -2], ''],
        [[null, -300, -1], '9876543210']
      ]
      for (const [[a, b, c], want] of cases) assert.strictEqual(m.slice(a, b, c).toString(), want, `[${a}:${b}:${c}]`)
    })

    it('assigns every start, stop and step like Python slice assignment', function () {
      const m = anon(s.length)
      for (const start of indices) {
        for (const stop of indices) {
          for (const step of indices.slice(1)) {
            m.setSlice(null, null, s)
            assert.deepStrictEqual(m.slice(), s)
            const at = pySliceIndices(s.length, start, stop, step)
            const data = Buffer.from(at.map((i) => s[i]).reverse())
            const expected = Buffer.from(s)
            at.forEach((i, k) => { expected[i] = data[k] })
            m.setSlice(start, stop, data, step)
            assert.deepStrictEqual(m.slice(), expected, `[${start}:${stop}:${step}]`)
          }
        }
      }
    })

    it('rejects step 0 and data of the wrong size', function () {
      const m = anon(16)
      assertCode(() => m.slice(0, 4, 0), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => m.setSlice(0, 4, Buffer.alloc(4), 0), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => m.setSlice(0, 4, Buffer.alloc(3)), RangeError, 'ERR_OUT_OF_RANGE')
      m.setSlice(100, 200, Buffer.alloc(0))
    })
  })

  describe('offset (test_offset)', function () {
    const halfsize = ALLOCATIONGRANULARITY

    function offsetFile () {
      const data = Buffer.alloc(2 * halfsize)
      data.write('foo', halfsize, 'latin1')
      return file(data)
    }

    it('rejects negative and null offsets', function () {
      const fd = openFd(offsetFile())
      assertCode(() => new Mmap(fd, 2 * halfsize, { offset: -2 }), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => new Mmap(fd, 2 * halfsize, { offset: -1 }), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => new Mmap(fd, 2 * halfsize, { offset: null }), TypeError, 'ERR_INVALID_ARG_TYPE')
    })

    it('maps from a valid offset and resizes the file to offset + size', function () {
      const f = offsetFile()
      const fd = openFd(f)
      const m = track(new Mmap(fd, halfsize, { offset: halfsize }))
      assert.deepStrictEqual(m.slice(0, 3), Buffer.from('foo'))
      m.resize(512)
      assert.strictEqual(m.length, 512)
      assertCode(() => m.seek(513, 0), RangeError, 'ERR_OUT_OF_RANGE')
      assert.deepStrictEqual(m.slice(0, 3), Buffer.from('foo'))
      assert.strictEqual(fs.statSync(f).size, halfsize + 512)
      assert.strictEqual(m.size(), halfsize + 512)
    })

    it('maps from an unaligned offset (differs from Python: EINVAL)', function () {
      const fd = openFd(offsetFile())
      const m = track(new Mmap(fd, 0, { offset: halfsize + 1 }))
      assert.strictEqual(m.length, halfsize - 1)
      assert.deepStrictEqual(m.slice(0, 2), Buffer.from('oo'))
      m.set(0, 0x4f)
      m.flush()
      assert.strictEqual(m.find('Oo'), 0)
    })
  })

  describe('subclassing (test_subclass)', function () {
    it('works as the base of a JavaScript class', function () {
      class Sub extends Mmap {
        constructor (length) {
          super(-1, length)
          this.extra = 'x'
        }

        firstByte () { return this.get(0) }
      }
      const m = track(new Sub(16))
      assert.ok(m instanceof Sub)
      assert.ok(m instanceof Mmap)
      m.write(Buffer.from('hello'))
      assert.strictEqual(m.firstByte(), 0x68)
      assert.strictEqual(m.extra, 'x')
      assert.strictEqual(m.find('llo', 0), 2)
      m.close()
      assert.strictEqual(m.closed, true)
    })
  })

  describe('prot (test_prot_readonly)', function () {
    it('maps a read-only descriptor with prot PROT_READ as a read-only map', function () {
      posixOnly(this, 'Windows has no prot (ACCESS_READ: test_access_parameter above)')
      const f = file('a'.repeat(10))
      const fd = openFd(f, 'r')
      const m = track(new Mmap(fd, 10, { prot: mmap.PROT_READ }))
      assert.deepStrictEqual(m.read(), Buffer.from('a'.repeat(10)))
      m.seek(0)
      assertCode(() => m.write(Buffer.from('foo')), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => m.resize(20), TypeError, 'ERR_MMAP_READONLY')
      assert.match(util.inspect(m), /ACCESS_READ/)
    })
  })

  describe('OS errors (test_error: mmap.error is OSError)', function () {
    it('throws OS failures as Errors shaped like node:fs errors', function () {
      const fd = fs.openSync(file(16), 'r+')
      fs.closeSync(fd)
      const fsErr = captureThrow(() => fs.fstatSync(fd))
      const err = assertOsError(() => new Mmap(fd, 16), 'EBADF', 'fstat')
      assert.ok(err instanceof Error)
      assert.strictEqual(err.errno, fsErr.errno)
      assert.strictEqual(err.code, fsErr.code)
      assert.strictEqual(err.message, 'EBADF: bad file descriptor, fstat')
    })
  })

  describe('io methods (test_io_methods, test_write_returning_the_number_of_bytes_written)', function () {
    it('writes, reads and moves the position byte by byte and in blocks', function () {
      const data = Buffer.from('0123456789')
      const { m } = mapFile('x'.repeat(data.length), data.length)
      for (let i = 0; i < data.length; i++) {
        assert.strictEqual(m.tell(), i)
        assert.strictEqual(m.writeByte(data[i]), undefined)
        assert.strictEqual(m.tell(), i + 1)
      }
      assertCode(() => m.writeByte(0x78), RangeError, 'ERR_OUT_OF_RANGE')
      assert.deepStrictEqual(m.slice(), data)
      m.seek(0)
      for (let i = 0; i < data.length; i++) {
        assert.strictEqual(m.tell(), i)
        assert.strictEqual(m.readByte(), data[i])
        assert.strictEqual(m.tell(), i + 1)
      }
      assertCode(() => m.readByte(), RangeError, 'ERR_OUT_OF_RANGE')
      m.seek(3)
      assert.deepStrictEqual(m.read(3), Buffer.from('345'))
      assert.strictEqual(m.tell(), 6)
      m.seek(3)
      m.write(Buffer.from('bar'))
      assert.strictEqual(m.tell(), 6)
      assert.deepStrictEqual(m.slice(), Buffer.from('012bar6789'))
      m.write(new Uint8Array(Buffer.from('baz')))
      assert.strictEqual(m.tell(), 9)
      assert.deepStrictEqual(m.slice(), Buffer.from('012barbaz9'))
      assertCode(() => m.write(Buffer.from('ba')), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), 9)
      assert.deepStrictEqual(m.slice(), Buffer.from('012barbaz9'))
    })

    it('returns the number of bytes written', function () {
      const m = anon(16)
      assert.strictEqual(m.write(Buffer.alloc(0)), 0)
      assert.strictEqual(m.write(Buffer.from('x')), 1)
      assert.strictEqual(m.write(Buffer.from('yz')), 2)
      assert.strictEqual(m.write(Buffer.from('python')), 6)
      assert.strictEqual(m.tell(), 9)
    })
  })

  describe('read (test_read_all, test_read_invalid_arg)', function () {
    it('reads to the end with no argument, null or a negative count', function () {
      const m = anon(16)
      const all = Buffer.from(Array.from({ length: 16 }, (_, i) => i))
      m.write(all)
      m.seek(0)
      assert.deepStrictEqual(m.read(), all)
      m.seek(8)
      assert.deepStrictEqual(m.read(), all.subarray(8))
      m.seek(16)
      assert.deepStrictEqual(m.read(), Buffer.alloc(0))
      m.seek(3)
      assert.deepStrictEqual(m.read(null), all.subarray(3))
      m.seek(4)
      assert.deepStrictEqual(m.read(-1), all.subarray(4))
      m.seek(5)
      assert.deepStrictEqual(m.read(-2), all.subarray(5))
      m.seek(9)
      assert.deepStrictEqual(m.read(-42), all.subarray(9))
    })

    it('rejects counts that are not integers', function () {
      const m = anon(16)
      assertCode(() => m.read('foo'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.read(5.5), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.read([1, 2, 3]), TypeError, 'ERR_INVALID_ARG_TYPE')
      assert.strictEqual(m.tell(), 0)
    })
  })

  describe('read-only maps (write tests)', function () {
    it('checks argument types before read-only, and read-only before ranges', function () {
      const { m: ro } = mapFile('a'.repeat(10), 10, { access: mmap.ACCESS_READ }, 'r')
      assertCode(() => ro.write('s'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => ro.writeByte(256), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => ro.write(Buffer.alloc(100)), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.move(0, 1, 100), TypeError, 'ERR_MMAP_READONLY')
      assertCode(() => ro.set(100, 1), TypeError, 'ERR_MMAP_READONLY')
    })

    it('checks read-only before the index type, as Python: ro["x"] = 1 is the read-only TypeError', function () {
      const { m: ro } = mapFile('a'.repeat(10), 10, { access: mmap.ACCESS_READ }, 'r')
      assertCode(() => ro.set('x', 1), TypeError, 'ERR_MMAP_READONLY')
    })
  })

  describe('context manager (test_context_manager, test_context_manager_exception)', function () {
    it('closes through Symbol.dispose', function () {
      const m = anon(10)
      assert.strictEqual(typeof m[Symbol.dispose], 'function')
      assert.strictEqual(m.closed, false)
      m[Symbol.dispose]()
      assert.strictEqual(m.closed, true)
      m[Symbol.dispose]()
      assert.strictEqual(m.closed, true)
    })

    it('lets an exception from the body propagate while disposing', function () {
      const m = anon(10)
      assert.throws(() => {
        try {
          m.write(Buffer.alloc(11))
        } finally {
          m[Symbol.dispose]()
        }
      }, { code: 'ERR_OUT_OF_RANGE' })
      assert.strictEqual(m.closed, true)
    })

    // test_concat_repeat_exception does not apply: JavaScript has no operator overloading,
    // so `m + m` and `m * 2` cannot be made to throw; the Mmap object defines no such methods.
  })

  describe('weak references (test_weakref)', function () {
    it('lets an unreachable map be collected and finalized', function () {
      const r = runChild(`
        const { Mmap } = require(MMAP)
        let finalized = false
        const registry = new FinalizationRegistry(() => { finalized = true })
        let m = new Mmap(-1, 1 << 20)
        m.set(0, 1)
        const ref = new WeakRef(m)
        registry.register(m, 'map')
        m = null
        let tries = 0
        function check () {
          global.gc()
          if ((ref.deref() === undefined && finalized) || ++tries > 50) {
            console.log(JSON.stringify({ collected: ref.deref() === undefined, finalized }))
            return
          }
          setTimeout(check, 10)
        }
        setTimeout(check, 0)
      `)
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(JSON.parse(r.stdout), { collected: true, finalized: true })
    })
  })

  describe('flush (test_flush_return_value)', function () {
    it('returns undefined', function () {
      const m = anon(16)
      m.write(Buffer.from('python'))
      assert.strictEqual(m.flush(), undefined)
      assert.strictEqual(m.flush(0), undefined)
    })

    it('flushes from an unaligned offset (differs from Python: EINVAL on Linux)', function () {
      const { m, file: f } = mapFile(Buffer.alloc(2 * PAGESIZE), 2 * PAGESIZE)
      m.write(Buffer.from('python'))
      assert.strictEqual(m.flush(1, 6), undefined)
      assert.strictEqual(m.flush(PAGESIZE + 1), undefined)
      assert.strictEqual(fs.readFileSync(f, 'latin1').slice(0, 6), 'python')
    })

    it('flushes from an offset alone to the end (gh-138092)', function () {
      const m = anon(4 * PAGESIZE)
      assert.strictEqual(m.flush(PAGESIZE), undefined)
      assert.strictEqual(m.flush(0, -1), undefined)
      assert.strictEqual(m.flush(PAGESIZE, -1), undefined)
      assertCode(() => m.flush(0, -2), RangeError, 'ERR_OUT_OF_RANGE')
    })
  })

  describe('madvise (test_madvise)', function () {
    const size = 2 * PAGESIZE

    beforeEach(function () {
      if (mmap.MADV_NORMAL === undefined) {
        // Python has no madvise() where the platform has none (Windows); the test below checks this module's answer.
        skip(this, 'this platform has no madvise')
      }
    })

    it('checks start and length like Python', function () {
      const m = anon(size)
      assertCode(() => m.madvise(mmap.MADV_NORMAL, size), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.madvise(mmap.MADV_NORMAL, -1), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.madvise(mmap.MADV_NORMAL, 0, -1), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('accepts the examples Python accepts', function () {
      const m = anon(size)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 0, Number.MAX_SAFE_INTEGER), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 0, 2n ** 63n - 1n), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE, size), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 0, 2), undefined)
    })

    it('clamps a huge length from a non-zero start (differs from Python: OverflowError for sys.maxsize)', function () {
      const m = anon(size)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE, Number.MAX_SAFE_INTEGER), undefined)
    })

    it('accepts an unaligned start (differs from Python: EINVAL)', function () {
      const m = anon(size)
      assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 1, 10), undefined)
      assert.strictEqual(m.madvise(mmap.MADV_WILLNEED, PAGESIZE + 7), undefined)
    })
  })

  // Registered only on Windows: POSIX madvise is tested above.
  describe('madvise where the platform has none (Windows)', function () {
    before(function () {
      windowsOnly(this, 'madvise is missing only there')
    })
    it('checks its arguments as Python does, then fails with ENOTSUP from madvise', function () {
      const m = anon(2 * PAGESIZE)
      assertCode(() => m.madvise(0, 2 * PAGESIZE), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.madvise(0, 0, -1), RangeError, 'ERR_OUT_OF_RANGE')
      assertOsError(() => m.madvise(0), 'ENOTSUP', 'madvise')
    })
  })

  describe('resize (test_resize_past_pos, resize to 0, test_resize_up_anonymous_mapping)', function () {
    it('copes with a position past the end after shrinking', function () {
      const m = anon(8192)
      m.read(5000)
      m.resize(4096)
      assert.strictEqual(m.tell(), 5000)
      assert.deepStrictEqual(m.read(14), Buffer.alloc(0))
      assert.deepStrictEqual(m.readline(), Buffer.alloc(0))
      assertCode(() => m.readByte(), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.writeByte(42), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.write(Buffer.from('abc')), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.write(Buffer.alloc(0)), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.seek(0, 1), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), 5000)
    })

    it('resizes a file map to 0, emptying the file (differs from Python: EINVAL after truncating)', function () {
      const { m, file: f } = mapFile('abcdefgh'.repeat(1024), 0)
      m.resize(0)
      assert.strictEqual(m.length, 0)
      assert.strictEqual(fs.statSync(f).size, 0)
      assert.deepStrictEqual(m.read(), Buffer.alloc(0))
      m.resize(8)
      assert.deepStrictEqual(m.slice(), Buffer.alloc(8))
    })

    it('resizes an anonymous map to 0 (differs from Python: EINVAL)', function () {
      const m = anon(PAGESIZE)
      m.resize(0)
      assert.strictEqual(m.length, 0)
      assert.strictEqual(m.size(), 0)
    })

    it('grows a shared anonymous map keeping its bytes (differs from Python: ValueError on Linux)', function () {
      const m = anon(PAGESIZE)
      m.setSlice(0, 3, Buffer.from('abc'))
      m.resize(3 * PAGESIZE)
      assert.strictEqual(m.length, 3 * PAGESIZE)
      assert.deepStrictEqual(m.slice(0, 3), Buffer.from('abc'))
      assert.strictEqual(m.find('\x01', 3), -1)
      m.set(3 * PAGESIZE - 1, 7)
      assert.strictEqual(m.get(3 * PAGESIZE - 1), 7)
    })

    it('grows a private anonymous map keeping its bytes', function () {
      posixOnly(this, 'Windows has no MAP_PRIVATE')
      const m = anon(PAGESIZE, { flags: mmap.MAP_PRIVATE })
      m.setSlice(0, 3, Buffer.from('abc'))
      m.resize(2 * PAGESIZE)
      assert.deepStrictEqual(m.slice(0, 3), Buffer.from('abc'))
      assert.deepStrictEqual(m.slice(PAGESIZE), Buffer.alloc(PAGESIZE))
    })
  })

  describe('closed maps (test_mmap_closed_by_int_scenarios analogue)', function () {
    // CPython's crasher tests close the map from an argument's __index__ and check that the
    // method then raises instead of touching unmapped memory. That cannot happen here: integer
    // arguments must be numbers or bigints, so no user code (valueOf, Symbol.toPrimitive) runs
    // during conversion. Instead: objects with valueOf are refused without being called, and a
    // closed map rejects every method.
    it('refuses objects with valueOf or Symbol.toPrimitive without calling them', function () {
      const m = anon(32)
      let called = 0
      const evil = { valueOf () { called++; m.close(); return 1 } }
      const prim = { [Symbol.toPrimitive] () { called++; m.close(); return 1 } }
      for (const x of [evil, prim]) {
        assertCode(() => m.get(x), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.slice(x, 20), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.slice(20, x, -2), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.read(x), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.find('1', 1, x), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.setSlice(x, 20, Buffer.alloc(19)), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.move(1, 2, x), TypeError, 'ERR_INVALID_ARG_TYPE')
        assertCode(() => m.writeByte(x), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
      assert.strictEqual(called, 0)
      assert.strictEqual(m.closed, false)
    })

    it('cannot be made to write past the map by a TypedArray that lies about its length', function () {
      const r = runChild(`
        const { Mmap } = require(MMAP)
        const m = new Mmap(-1, 4096)
        class Liar extends Uint8Array {
          get length () { return 2 }
          get byteLength () { return 2 }
        }
        const big = new Liar(1 << 20).fill(7)
        const out = []
        try { m.setSlice(0, 2, big); out.push('setSlice wrote') } catch (e) { out.push(e.code) }
        m.seek(4090)
        try { m.write(big); out.push('write wrote') } catch (e) { out.push(e.code) }
        out.push(m.tell(), m.get(0), m.get(4095))
        console.log(JSON.stringify(out))
      `)
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(JSON.parse(r.stdout), ['ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 4090, 0, 0])
    })

    it('rejects every method with ERR_MMAP_CLOSED once closed', async function () {
      const m = anon(PAGESIZE)
      m.close()
      const calls = {
        length: () => m.length,
        buffer: () => m.buffer,
        subarray: () => m.subarray(0, 1),
        get: () => m.get(0),
        set: () => m.set(0, 1),
        slice: () => m.slice(0, 1),
        setSlice: () => m.setSlice(0, 1, Buffer.alloc(1)),
        find: () => m.find('a'),
        rfind: () => m.rfind('a'),
        count: () => m.count('a'),
        read: () => m.read(1),
        readByte: () => m.readByte(),
        readline: () => m.readline(),
        write: () => m.write(Buffer.from('a')),
        writeByte: () => m.writeByte(1),
        seek: () => m.seek(0),
        tell: () => m.tell(),
        move: () => m.move(0, 1, 1),
        flush: () => m.flush(),
        madvise: () => m.madvise(mmap.MADV_NORMAL ?? 0),
        resize: () => m.resize(2 * PAGESIZE),
        size: () => m.size(),
        setName: () => m.setName('x'),
        search: () => m.search(/a/),
        matchAll: () => m.matchAll(/a/g)
      }
      for (const [name, call] of Object.entries(calls)) {
        const err = captureThrow(call)
        assert.strictEqual(err.code, 'ERR_MMAP_CLOSED', `${name}: ${err.code} ${err.message}`)
        assert.strictEqual(err.constructor, Error, name)
      }
      await assert.rejects(m.flushAsync(), (err) => err.code === 'ERR_MMAP_CLOSED' && err.constructor === Error)
      assert.strictEqual(m.closed, true)
      assert.strictEqual(m.seekable(), true)
      m.close()
      m[Symbol.dispose]()
    })

    it('reports argument type errors before the closed check', function () {
      const m = anon(16)
      m.close()
      assertCode(() => m.write('s'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.writeByte(256), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.seek('a'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.find(1), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.resize('1'), TypeError, 'ERR_INVALID_ARG_TYPE')
    })
  })

  describe('repr (test_repr) as util.inspect', function () {
    it('shows access, length, pos and offset of an open map', function () {
      const cases = [
        [{ access: mmap.ACCESS_DEFAULT }, 'ACCESS_DEFAULT'],
        [{ access: mmap.ACCESS_READ }, 'ACCESS_READ'],
        [{ access: mmap.ACCESS_WRITE }, 'ACCESS_WRITE'],
        [{ access: mmap.ACCESS_COPY }, 'ACCESS_COPY'],
        [{ prot: mmap.PROT_READ }, 'ACCESS_READ']
      ].filter(([options]) => !isWindows || !('prot' in options)) // Windows has no prot
      const size = 3 * ALLOCATIONGRANULARITY
      const f = file(size)
      const fd = openFd(f)
      for (const [options, name] of cases) {
        for (const offset of [0, ALLOCATIONGRANULARITY]) {
          for (const pos of [0, 1, 2 * ALLOCATIONGRANULARITY - 1]) {
            const length = 2 * ALLOCATIONGRANULARITY
            const m = track(new Mmap(fd, length, { ...options, offset }))
            m.seek(pos)
            const shown = util.inspect(m)
            assert.match(shown, new RegExp(`access=${name}\\b`), shown)
            assert.match(shown, new RegExp(`length=${length}\\b`), shown)
            assert.match(shown, new RegExp(`pos=${pos}\\b`), shown)
            assert.match(shown, new RegExp(`offset=${offset}\\b`), shown)
            assert.doesNotMatch(shown, /closed/)
            m.close()
            assert.match(util.inspect(m), /closed/)
          }
        }
      }
    })
  })

  describe('seek and seekable (test_seek_return_value, test_seekable)', function () {
    it('returns the new position', function () {
      const m = anon(100)
      assert.strictEqual(m.seek(0, 0), 0)
      assert.strictEqual(m.seek(42, 1), 42)
      assert.strictEqual(m.seek(0, 2), 100)
      assert.strictEqual(m.seek(-10, 2), 90)
      assert.strictEqual(m.seek(-90, 1), 0)
    })

    it('is seekable, open or closed', function () {
      const m = anon(10)
      assert.strictEqual(m.seekable(), true)
      m.close()
      assert.strictEqual(m.seekable(), true)
    })
  })

  describe('trackfd (test_trackfd_parameter, test_trackfd_neg1)', function () {
    for (const closeOriginal of [true, false]) {
      it(`works without its own descriptor (caller's fd ${closeOriginal ? 'closed' : 'kept open'})`, function () {
        const size = 64
        const f = file('a'.repeat(size))
        const fd = fs.openSync(f, 'r+')
        const m = track(new Mmap(fd, size, { trackfd: false }))
        if (closeOriginal) fs.closeSync(fd)
        try {
          assert.strictEqual(m.length, size)
          assertOsError(() => m.size(), 'EBADF', 'fstat')
          assertCode(() => m.resize(size * 2), TypeError, 'ERR_INVALID_ARG_VALUE')
          assertCode(() => m.resize(size / 2), TypeError, 'ERR_INVALID_ARG_VALUE')
          assert.strictEqual(m.closed, false)
          m.writeByte(0x58)
          m.set(2, 0x59)
          m.flush()
          assert.strictEqual(fs.readFileSync(f, 'latin1').slice(0, 4), 'XaYa')
          assert.strictEqual(m.tell(), 1)
          m.seek(0)
          assert.strictEqual(m.tell(), 0)
          assert.strictEqual(m.readByte(), 0x58)
          m.close()
          assert.strictEqual(m.closed, true)
          assert.strictEqual(fs.statSync(f).size, size)
        } finally {
          if (!closeOriginal) fs.closeSync(fd)
        }
      })
    }

    it('keeps its own duplicate with trackfd true, so the caller may close theirs', function () {
      const f = file('a'.repeat(64))
      const fd = fs.openSync(f, 'r+')
      const m = track(new Mmap(fd, 64))
      fs.closeSync(fd)
      assert.strictEqual(m.size(), 64)
      m.resize(128)
      assert.strictEqual(fs.statSync(f).size, 128)
    })

    it('makes an anonymous map with trackfd false that cannot report size or resize', function () {
      const m = anon(64, { trackfd: false })
      assertOsError(() => m.size(), 'EBADF', 'fstat')
      assertCode(() => m.resize(32), TypeError, 'ERR_INVALID_ARG_VALUE')
      assert.strictEqual(m.length, 64)
      m.set(0, 0x61)
      assert.strictEqual(m.get(0), 0x61)
    })

    it('rejects a trackfd that is not a boolean', function () {
      for (const trackfd of [0, 1, 'x', null]) {
        assertCode(() => new Mmap(-1, 64, { trackfd }), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
    })
  })

  describe('setName (test_set_name)', function () {
    function mapsName (name) {
      return fs.readFileSync('/proc/self/maps', 'utf8').split('\n').some((line) => line.includes(name))
    }

    it('names an anonymous map in /proc/self/maps, or reports the kernel refusal', function () {
      if (isWindows) {
        // Nothing names memory on Windows: the refusal is ENOTSUP, after the checks.
        assertOsError(() => anon(PAGESIZE).setName('x'), 'ENOTSUP', 'prctl')
        return
      }
      if (!isLinux) skip(this, 'setName is Linux-only')
      for (const flags of [mmap.MAP_SHARED, mmap.MAP_PRIVATE]) {
        const m = anon(PAGESIZE, { flags })
        m.set(0, 1)
        const name = `mmap_native_test_${flags}_${process.pid}`
        let result
        try {
          result = m.setName(name)
        } catch (err) {
          // Kernels without CONFIG_ANON_VMA_NAME (or older than 5.17, or before 6.2 for shared
          // anonymous memory) refuse the prctl with EINVAL.
          assertOsError(() => { throw err }, 'EINVAL', 'prctl')
          assert.strictEqual(mapsName(name), false)
          continue
        }
        assert.strictEqual(result, undefined)
        assert.ok(mapsName(name), `${name} should appear in /proc/self/maps`)
        m.setName('x'.repeat(79))
      }
    })

    it('checks the name before asking the kernel', function () {
      if (!isLinux && !isWindows) skip(this, 'setName is Linux-only')
      const m = anon(PAGESIZE)
      assertCode(() => m.setName('x'.repeat(80)), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.setName('é'.repeat(40)), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.setName('a\0b'), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => m.setName(42), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.setName(undefined), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.setName(Buffer.from('x')), TypeError, 'ERR_INVALID_ARG_TYPE')
    })

    it('refuses to name a file-backed map', function () {
      if (!isLinux && !isWindows) skip(this, 'setName is Linux-only')
      const { m } = mapFile(Buffer.alloc(PAGESIZE), PAGESIZE)
      assertCode(() => m.setName('should_fail'), TypeError, 'ERR_INVALID_ARG_VALUE')
    })
  })
})
