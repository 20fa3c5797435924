'use strict'
// resize.test.js: resize() of file-backed and anonymous maps, views, positions, errors and failed resizes.
// Runs twice in CI: against the default build and against the build without mremap()
// (npm run test:no-mremap sets MMAP_NATIVE_ADDON).
const assert = require('node:assert')
const fs = require('fs')
const { spawnSync } = require('child_process')
const { constants: bufferConstants } = require('buffer')
const mmap = require('..')
const helpers = require('./helpers')
const { tempFile, sparseFile, runChild, captureThrow, assertCode, assertOsError, root, skip, posixOnly, resources, is32Bit } = helpers

const { Mmap, PAGESIZE: P, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY, MAP_SHARED, MAP_PRIVATE, PROT_READ } = mmap
const isWindows = process.platform === 'win32'
// On Windows MMAP_NATIVE_ADDON names the Windows build (scripts/windows/test.sh).
const BUILD = isWindows ? 'Windows build' : process.env.MMAP_NATIVE_ADDON ? 'no-mremap build' : 'default build'
const GiB = 2 ** 30

// The overcommit policy decides whether the kernel refuses huge private maps up front.
function overcommitMode () {
  try {
    return fs.readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim()
  } catch {
    return null
  }
}

// n bytes that do not repeat with the page size, so a misplaced page shows.
function pattern (n, seed = 0) {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17 + 7) % 251
  return b
}

// bytes [start, end) of buf, with zeros where buf has no bytes (a file grown by ftruncate).
function padded (buf, start, end) {
  const out = Buffer.alloc(end - start)
  if (start < buf.length) buf.copy(out, 0, start, Math.min(end, buf.length))
  return out
}

function isZero (buf) {
  return buf.every((b) => b === 0)
}

// Runs code in a child node process under `ulimit -f blocks` (512-byte blocks).
function runChildWithFileLimit (code, blocks, env) {
  const prelude = `const MMAP = ${JSON.stringify(root)};\n`
  const r = spawnSync('sh', ['-c', `ulimit -f ${blocks} && exec "$0" "$@"`, process.execPath, '-e', prelude + code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: helpers.slow(60000)
  })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

describe(`resize (${BUILD})`, function () {
  // The maps and files a test made, released in afterEach; fileMap(contents, length, options)
  // maps a new temp file holding contents.
  const { files, track, mapFile: fileMap, cleanup } = resources()

  afterEach(cleanup)

  function fileSize (file) {
    return fs.statSync(file).size
  }

  it(`runs against the ${BUILD}`, function () {
    if (process.env.MMAP_NATIVE_ADDON) {
      assert.ok(fs.existsSync(process.env.MMAP_NATIVE_ADDON), `MMAP_NATIVE_ADDON names a missing file: ${process.env.MMAP_NATIVE_ADDON}`)
    }
    const { m } = fileMap(pattern(P))
    assert.strictEqual(m.resize(2 * P), undefined)
    assert.strictEqual(m.length, 2 * P)
  })

  describe('shared file maps', function () {
    it('grows the map and the file, keeps the old bytes and zero-fills the new ones', function () {
      const data = pattern(3 * P + 5)
      const { m, file } = fileMap(data)
      m.resize(7 * P + 1)
      assert.strictEqual(m.length, 7 * P + 1)
      assert.strictEqual(m.size(), 7 * P + 1)
      assert.strictEqual(fileSize(file), 7 * P + 1)
      assert.deepStrictEqual(m.slice(0, data.length), data)
      assert.ok(isZero(m.slice(data.length)), 'the grown part is not zero')
      assert.strictEqual(m.get(-1), 0)
      assert.deepStrictEqual(fs.readFileSync(file), padded(data, 0, 7 * P + 1))
    })

    it('writes into the grown part reach the file after flush', function () {
      const { m, file } = fileMap(pattern(P))
      m.resize(4 * P)
      m.set(P, 0xa1)
      m.setSlice(2 * P + 3, 2 * P + 8, Buffer.from('hello'))
      const view = new Uint8Array(m.buffer)
      view[4 * P - 1] = 0xb2
      m.flush()
      const disk = fs.readFileSync(file)
      assert.strictEqual(disk.length, 4 * P)
      assert.strictEqual(disk[P], 0xa1)
      assert.strictEqual(disk.subarray(2 * P + 3, 2 * P + 8).toString(), 'hello')
      assert.strictEqual(disk[4 * P - 1], 0xb2)
      assert.deepStrictEqual(disk.subarray(0, P), pattern(P))
    })

    it('shrinks the map and the file and keeps the bytes that remain', function () {
      const data = pattern(5 * P)
      const { m, file } = fileMap(data)
      m.resize(2 * P + 9)
      assert.strictEqual(m.length, 2 * P + 9)
      assert.strictEqual(m.size(), 2 * P + 9)
      assert.strictEqual(fileSize(file), 2 * P + 9)
      assert.deepStrictEqual(m.slice(), data.subarray(0, 2 * P + 9))
      assertCode(() => m.get(2 * P + 9), RangeError, 'ERR_OUT_OF_RANGE')
      assert.deepStrictEqual(fs.readFileSync(file), data.subarray(0, 2 * P + 9))
    })

    it('shows zeros past the shrink point when grown again', function () {
      const { m, file } = fileMap(Buffer.alloc(3 * P, 0xff))
      m.resize(100)
      m.resize(3 * P)
      assert.strictEqual(fileSize(file), 3 * P)
      assert.deepStrictEqual(m.slice(0, 100), Buffer.alloc(100, 0xff))
      assert.ok(isZero(m.slice(100)), 'bytes past the shrink point are not zero')
      const disk = fs.readFileSync(file)
      assert.deepStrictEqual(disk.subarray(0, 100), Buffer.alloc(100, 0xff))
      assert.ok(isZero(disk.subarray(100)), 'the file has old bytes past the shrink point')
    })

    it('resizes an ACCESS_WRITE map and a map made by open()', function () {
      const { m, file } = fileMap(pattern(P), 0, { access: ACCESS_WRITE })
      m.resize(3 * P)
      assert.strictEqual(fileSize(file), 3 * P)
      assert.deepStrictEqual(m.slice(0, P), pattern(P))

      const file2 = tempFile(pattern(2 * P, 1))
      files.push(file2)
      const m2 = track(mmap.open(file2, { access: ACCESS_WRITE }))
      m2.resize(P + 1)
      assert.strictEqual(m2.length, P + 1)
      assert.strictEqual(fileSize(file2), P + 1)
      m2.resize(3 * P)
      assert.strictEqual(fileSize(file2), 3 * P)
      assert.deepStrictEqual(m2.slice(0, P + 1), pattern(P + 1, 1))
      assert.ok(isZero(m2.slice(P + 1)))
    })

    it('accepts the new size as a bigint', function () {
      const { m, file } = fileMap(pattern(P))
      m.resize(BigInt(2 * P + 1))
      assert.strictEqual(m.length, 2 * P + 1)
      assert.strictEqual(fileSize(file), 2 * P + 1)
    })

    it('keeps the position when growing', function () {
      const { m } = fileMap(pattern(2 * P))
      m.seek(P + 3)
      m.resize(4 * P)
      assert.strictEqual(m.tell(), P + 3)
      assert.deepStrictEqual(m.read(4), pattern(2 * P).subarray(P + 3, P + 7))
    })

    it('sets the file size even when the length does not change', function () {
      const { m, file } = fileMap(pattern(2 * P))
      fs.truncateSync(file, 3 * P)
      m.resize(2 * P)
      assert.strictEqual(fileSize(file), 2 * P)
      assert.strictEqual(m.length, 2 * P)
      assert.deepStrictEqual(m.slice(), pattern(2 * P))
    })
  })

  describe('maps at an offset', function () {
    const fileBytes = pattern(3 * P, 2)
    for (const offset of [0, P, 100, P + 7]) {
      for (const n of [2 * P + 3, 3 * P, P, 10]) {
        it(`resize(${n}) of a ${P}-byte map at offset ${offset} sets the file to offset + ${n}`, function () {
          const { m, file } = fileMap(fileBytes, P, { offset })
          m.resize(n)
          assert.strictEqual(m.length, n)
          assert.strictEqual(m.size(), offset + n)
          assert.strictEqual(fileSize(file), offset + n)
          // The map shows the file from the offset on: the old bytes, the rest of the
          // file where it still has bytes, zeros past its old end.
          assert.deepStrictEqual(m.slice(), padded(fileBytes, offset, offset + n))
          m.setSlice(n - 2, n, Buffer.from('zz'))
          m.flush()
          const expected = padded(fileBytes, 0, offset + n)
          expected.write('zz', offset + n - 2, 'latin1')
          assert.deepStrictEqual(fs.readFileSync(file), expected)
        })
      }
    }

    it('leaves the bytes before the offset alone when shrinking to 0 and growing again', function () {
      const offset = P + 7
      const { m, file } = fileMap(fileBytes, P, { offset })
      m.resize(0)
      assert.strictEqual(fileSize(file), offset)
      m.resize(2 * P)
      assert.strictEqual(fileSize(file), offset + 2 * P)
      assert.ok(isZero(m.slice()))
      assert.deepStrictEqual(fs.readFileSync(file).subarray(0, offset), fileBytes.subarray(0, offset))
    })
  })

  describe('a map covering a prefix of a bigger file', function () {
    it('grows the map and sets the file to offset + n (shrinking the file)', function () {
      const data = pattern(6 * P, 3)
      const { m, file } = fileMap(data, P)
      m.resize(2 * P)
      assert.strictEqual(m.length, 2 * P)
      assert.strictEqual(fileSize(file), 2 * P)
      assert.deepStrictEqual(m.slice(), data.subarray(0, 2 * P))
      assert.deepStrictEqual(fs.readFileSync(file), data.subarray(0, 2 * P))
    })

    it('grows the map past the end of the file, keeping the file\'s bytes', function () {
      const data = pattern(3 * P, 4)
      const { m, file } = fileMap(data, P, { offset: 100 })
      m.resize(4 * P)
      assert.strictEqual(fileSize(file), 100 + 4 * P)
      assert.deepStrictEqual(m.slice(), padded(data, 100, 100 + 4 * P))
    })
  })

  describe('MAP_PRIVATE file maps (ACCESS_DEFAULT)', function () {
    beforeEach(function () {
      posixOnly(this, 'Windows has no MAP_PRIVATE (ACCESS_COPY maps cannot be resized)')
    })

    it('grows: private bytes survive, the file gets the new size but not the private bytes', function () {
      const data = pattern(2 * P, 5)
      const { m, file } = fileMap(data, 0, { flags: MAP_PRIVATE })
      m.setSlice(0, 10, Buffer.alloc(10, 0xaa))
      m.set(P + 5, 0xbb)
      m.resize(5 * P)
      assert.strictEqual(m.length, 5 * P)
      assert.strictEqual(m.size(), 5 * P)
      assert.strictEqual(fileSize(file), 5 * P)
      assert.deepStrictEqual(m.slice(0, 10), Buffer.alloc(10, 0xaa))
      assert.strictEqual(m.get(P + 5), 0xbb)
      assert.deepStrictEqual(m.slice(10, P + 5), data.subarray(10, P + 5))
      assert.ok(isZero(m.slice(2 * P)), 'the grown part is not zero')
      m.flush()
      assert.deepStrictEqual(fs.readFileSync(file), padded(data, 0, 5 * P))
    })

    it('shrinks: private bytes inside the new length survive, the file is cut', function () {
      const data = pattern(3 * P, 6)
      const { m, file } = fileMap(data, 0, { flags: MAP_PRIVATE })
      m.set(P + 5, 0xcc)
      m.resize(P + 10)
      assert.strictEqual(m.length, P + 10)
      assert.strictEqual(fileSize(file), P + 10)
      assert.strictEqual(m.get(P + 5), 0xcc)
      assert.deepStrictEqual(m.slice(0, P), data.subarray(0, P))
      assert.deepStrictEqual(fs.readFileSync(file), data.subarray(0, P + 10))
    })

    it('shows zeros past the shrink point when grown again', function () {
      const { m, file } = fileMap(pattern(2 * P, 7), 0, { flags: MAP_PRIVATE })
      m.setSlice(0, 2 * P, Buffer.alloc(2 * P, 0xee))
      m.resize(100)
      m.resize(2 * P)
      assert.strictEqual(fileSize(file), 2 * P)
      assert.deepStrictEqual(m.slice(0, 100), Buffer.alloc(100, 0xee))
      const tail = m.slice(100)
      assert.ok(isZero(tail), `bytes past the shrink point are not zero (byte 100 is ${tail[0]})`)
    })
  })

  describe('anonymous maps', function () {
    for (const [name, flags] of [['private', MAP_PRIVATE], ['shared', MAP_SHARED]]) {
      it(`grows a ${name} anonymous map, keeping the data and zero-filling`, function () {
        const m = track(new Mmap(-1, 2 * P + 3, { flags }))
        m.setSlice(0, 2 * P + 3, pattern(2 * P + 3, 8))
        m.resize(9 * P)
        assert.strictEqual(m.length, 9 * P)
        assert.strictEqual(m.size(), 9 * P)
        assert.deepStrictEqual(m.slice(0, 2 * P + 3), pattern(2 * P + 3, 8))
        assert.ok(isZero(m.slice(2 * P + 3)), 'the grown part is not zero')
        assert.strictEqual(m.buffer.byteLength, 9 * P)
      })

      it(`shrinks a ${name} anonymous map, keeping the data`, function () {
        const m = track(new Mmap(-1, 4 * P, { flags }))
        m.setSlice(0, 4 * P, pattern(4 * P, 9))
        m.resize(P + 1)
        assert.strictEqual(m.length, P + 1)
        assert.strictEqual(m.size(), P + 1)
        assert.deepStrictEqual(m.slice(), pattern(P + 1, 9))
      })

      it(`shows zeros past the shrink point when a ${name} anonymous map is grown again`, function () {
        const m = track(new Mmap(-1, 2 * P, { flags }))
        m.setSlice(0, 2 * P, Buffer.alloc(2 * P, 0xff))
        m.resize(100)
        m.resize(2 * P)
        assert.deepStrictEqual(m.slice(0, 100), Buffer.alloc(100, 0xff))
        const tail = m.slice(100)
        assert.ok(isZero(tail), `bytes past the shrink point are not zero (byte 100 is ${tail[0]})`)
      })

      // Found by test/fuzz/fuzz-resize.c: a map shorter than a page shrunk
      // and grown again showed its old bytes past the shrink point.
      it(`shows zeros past the shrink point when a ${name} anonymous map shorter than a page is grown again`, function () {
        const m = track(new Mmap(-1, 252, { flags }))
        m.setSlice(0, 252, Buffer.alloc(252, 0xab))
        m.resize(48)
        m.resize(3 * P + 5)
        assert.deepStrictEqual(m.slice(0, 48), Buffer.alloc(48, 0xab))
        const tail = m.slice(48)
        assert.ok(isZero(tail), `bytes past the shrink point are not zero (byte 48 is ${tail[0]})`)
      })

      it(`empties a ${name} anonymous map with resize(0) and grows it again`, function () {
        const m = track(new Mmap(-1, P, { flags }))
        m.set(0, 1)
        m.resize(0)
        assert.strictEqual(m.length, 0)
        assert.strictEqual(m.size(), 0)
        assert.strictEqual(m.buffer.byteLength, 0)
        m.resize(3 * P)
        assert.strictEqual(m.length, 3 * P)
        assert.ok(isZero(m.slice()))
        m.set(3 * P - 1, 5)
        assert.strictEqual(m.get(-1), 5)
      })
    }

    it('grows a shared anonymous map whose new pages can all be touched (no SIGBUS)', function () {
      const r = runChild(`
        const { Mmap, PAGESIZE: P, MAP_SHARED } = require(MMAP)
        const touch = (m, from) => {
          let sum = 0
          const v = new Uint8Array(m.buffer)
          for (let i = from; i < m.length; i += P) {
            sum += m.get(i) + v[i + 1]
            m.set(i, 1)
            v[i + 1] = 2
          }
          return sum
        }
        const m = new Mmap(-1, P, { flags: MAP_SHARED })
        m.setSlice(0, 4, Buffer.from('abcd'))
        const out = {}
        m.resize(64 * P)
        out.first = touch(m, P)
        m.resize(2 * P)
        m.resize(32 * P)
        out.second = touch(m, 2 * P + 3)
        m.resize(0)
        m.resize(8 * P)
        out.third = touch(m, 0)
        m.resize(P)
        out.head = m.slice(0, 2).toString('hex')
        out.length = m.length
        console.log(JSON.stringify(out))
      `)
      assert.strictEqual(r.signal, null, `child killed by ${r.signal}: ${r.stderr}`)
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(JSON.parse(r.stdout), { first: 0, second: 0, third: 0, head: '0102', length: P })
    })
  })

  describe('empty maps', function () {
    it('resize(0) of a file map gives an empty map and sets the file to the offset', function () {
      const { m, file } = fileMap(pattern(3 * P), 2 * P, { offset: 100 })
      m.resize(0)
      assert.strictEqual(m.length, 0)
      assert.strictEqual(m.size(), 100)
      assert.strictEqual(fileSize(file), 100)
      assert.strictEqual(m.buffer.byteLength, 0)
      assert.strictEqual(m.subarray().length, 0)
      assert.deepStrictEqual(m.slice(), Buffer.alloc(0))
      assert.deepStrictEqual(m.read(), Buffer.alloc(0))
      assert.strictEqual(m.find('a', 0), -1)
      assertCode(() => m.get(0), RangeError, 'ERR_OUT_OF_RANGE')
      m.flush()
      assert.deepStrictEqual(fs.readFileSync(file), pattern(100))
    })

    it('grows a file map again from length 0', function () {
      const { m, file } = fileMap(pattern(2 * P), 0)
      m.resize(0)
      assert.strictEqual(fileSize(file), 0)
      m.resize(P + 9)
      assert.strictEqual(m.length, P + 9)
      assert.strictEqual(fileSize(file), P + 9)
      assert.ok(isZero(m.slice()))
      m.setSlice(P, P + 9, Buffer.from('123456789'))
      m.flush()
      assert.strictEqual(fs.readFileSync(file).subarray(P).toString(), '123456789')
    })

    it('grows the map of an empty file', function () {
      const { m, file } = fileMap(0)
      assert.strictEqual(m.length, 0)
      m.resize(2 * P + 1)
      assert.strictEqual(m.length, 2 * P + 1)
      assert.strictEqual(m.size(), 2 * P + 1)
      assert.strictEqual(fileSize(file), 2 * P + 1)
      assert.ok(isZero(m.slice()))
      m.write(Buffer.from('grown'))
      m.set(2 * P, 0x42)
      m.flush()
      const disk = fs.readFileSync(file)
      assert.strictEqual(disk.subarray(0, 5).toString(), 'grown')
      assert.strictEqual(disk[2 * P], 0x42)
    })

    it('grows an empty map at the end of a file (offset == size)', function () {
      const data = pattern(P + 50)
      const { m, file } = fileMap(data, 0, { offset: P + 50 })
      assert.strictEqual(m.length, 0)
      m.resize(10)
      assert.strictEqual(m.length, 10)
      assert.strictEqual(fileSize(file), P + 60)
      m.setSlice(0, 10, Buffer.from('0123456789'))
      m.flush()
      const disk = fs.readFileSync(file)
      assert.deepStrictEqual(disk.subarray(0, P + 50), data)
      assert.strictEqual(disk.subarray(P + 50).toString(), '0123456789')
    })
  })

  describe('views', function () {
    it('a shrink detaches the views handed out before', function () {
      const { m } = fileMap(pattern(4 * P))
      const whole = m.buffer
      const part = m.subarray(P, 3 * P)
      const typed = new Uint8Array(whole, 10, 20)
      m.resize(2 * P)
      assert.strictEqual(whole.byteLength, 0)
      assert.strictEqual(part.length, 0)
      assert.strictEqual(typed.length, 0)
      assert.notStrictEqual(m.buffer, whole)
      assert.strictEqual(m.buffer.byteLength, 2 * P)
      assert.deepStrictEqual(Buffer.from(m.buffer), pattern(2 * P))
    })

    it('resize(0) detaches the views handed out before', function () {
      const { m } = fileMap(pattern(P))
      const whole = m.buffer
      m.resize(0)
      assert.strictEqual(whole.byteLength, 0)
      assert.strictEqual(m.buffer.byteLength, 0)
    })

    it('a grow that moves the memory detaches the old views (shared anonymous maps always move)', function () {
      const m = track(new Mmap(-1, P, { flags: MAP_SHARED }))
      m.setSlice(0, 3, Buffer.from('abc'))
      const whole = m.buffer
      const part = m.subarray(0, 3)
      m.resize(8 * P)
      assert.strictEqual(whole.byteLength, 0)
      assert.strictEqual(part.length, 0)
      const now = m.buffer
      assert.strictEqual(now.byteLength, 8 * P)
      assert.strictEqual(Buffer.from(now, 0, 3).toString(), 'abc')
      new Uint8Array(now)[8 * P - 1] = 9
      assert.strictEqual(m.get(-1), 9)
    })

    it('old views cannot reach memory a shrink or a move took away (child process)', function () {
      const file = tempFile(pattern(4 * P))
      files.push(file)
      const r = runChild(`
        const fs = require('fs')
        const { Mmap, PAGESIZE: P, MAP_SHARED } = require(MMAP)
        const fd = fs.openSync(process.env.RESIZE_FILE, 'r+')
        const m = new Mmap(fd, 0)
        const a = new Uint8Array(m.buffer)
        const b = m.subarray(3 * P, 4 * P)
        m.resize(P)
        const out = { a: [a.length, a[0], a[3 * P]], b: [b.length, b[0]] }
        a[3 * P] = 1
        b[0] = 1
        const anon = new Mmap(-1, P, { flags: MAP_SHARED })
        anon.set(0, 7)
        const c = new Uint8Array(anon.buffer)
        anon.resize(16 * P)
        c[0] = 9
        out.c = [c.length, c[0], anon.get(0)]
        m.close()
        anon.close()
        out.file = fs.statSync(process.env.RESIZE_FILE).size
        console.log(JSON.stringify(out))
      `, { env: { RESIZE_FILE: file } })
      assert.strictEqual(r.signal, null, `child killed by ${r.signal}: ${r.stderr}`)
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(JSON.parse(r.stdout), {
        a: [0, null, null], b: [0, null], c: [0, null, 7], file: P
      })
    })

    it('an in-place grow keeps old views on the same memory, or detaches them if it moved (child process)', function () {
      const file = tempFile(pattern(16 * P))
      files.push(file)
      const r = runChild(`
        const fs = require('fs')
        const { Mmap, PAGESIZE: P } = require(MMAP)
        const fd = fs.openSync(process.env.RESIZE_FILE, 'r+')
        const m = new Mmap(fd, 0)
        m.resize(P) // leaves room after the map, so the grow may stay in place
        const old = new Uint8Array(m.buffer)
        old[0] = 0x11
        m.resize(4 * P)
        const out = { oldLength: old.length, newLength: m.buffer.byteLength, first: m.get(0) }
        if (old.length !== 0) {
          m.set(1, 0x22)
          out.oldSeesMap = old[1]
          old[2] = 0x33
          out.mapSeesOld = m.get(2)
          out.oldFirst = old[0]
        }
        m.close()
        out.afterClose = old.length
        console.log(JSON.stringify(out))
      `, { env: { RESIZE_FILE: file } })
      assert.strictEqual(r.signal, null, `child killed by ${r.signal}: ${r.stderr}`)
      assert.strictEqual(r.status, 0, r.stderr)
      const out = JSON.parse(r.stdout)
      assert.strictEqual(out.newLength, 4 * P)
      assert.strictEqual(out.first, 0x11)
      assert.strictEqual(out.afterClose, 0, 'close() left an old view attached')
      if (out.oldLength === 0) {
        assert.deepStrictEqual(out, { oldLength: 0, newLength: 4 * P, first: 0x11, afterClose: 0 })
      } else {
        assert.strictEqual(out.oldLength, P)
        assert.strictEqual(out.oldSeesMap, 0x22)
        assert.strictEqual(out.mapSeesOld, 0x33)
        assert.strictEqual(out.oldFirst, 0x11)
      }
    })

    it('buffer after a resize has the new length and shows the map', function () {
      const { m, file } = fileMap(pattern(P))
      const before = m.buffer
      assert.strictEqual(before.byteLength, P)
      m.resize(3 * P)
      const after = m.buffer
      assert.strictEqual(after.byteLength, 3 * P)
      assert.strictEqual(m.buffer, after)
      assert.deepStrictEqual(Buffer.from(after, 0, P), pattern(P))
      assert.strictEqual(m.subarray(2 * P).length, P)
      new Uint8Array(after)[3 * P - 1] = 0x77
      assert.strictEqual(m.get(3 * P - 1), 0x77)
      m.flush()
      assert.strictEqual(fs.readFileSync(file)[3 * P - 1], 0x77)
      m.resize(P + 1)
      assert.strictEqual(m.buffer.byteLength, P + 1)
      assert.deepStrictEqual(Buffer.from(m.buffer), Buffer.concat([pattern(P), Buffer.alloc(1)]))
    })
  })

  describe('the position after a shrink', function () {
    function shrunkAtEnd () {
      const { m } = fileMap(pattern(2 * P))
      m.seek(0, 2)
      m.resize(10)
      return m
    }

    it('is not adjusted: tell() may exceed the length', function () {
      const m = shrunkAtEnd()
      assert.strictEqual(m.tell(), 2 * P)
      assert.strictEqual(m.length, 10)
    })

    it('read() returns an empty Buffer', function () {
      const m = shrunkAtEnd()
      assert.deepStrictEqual(m.read(), Buffer.alloc(0))
      assert.deepStrictEqual(m.read(5), Buffer.alloc(0))
      assert.strictEqual(m.tell(), 2 * P)
    })

    it('readline() returns an empty Buffer and find() finds nothing', function () {
      const m = shrunkAtEnd()
      assert.deepStrictEqual(m.readline(), Buffer.alloc(0))
      assert.strictEqual(m.find(pattern(1)), -1)
    })

    it('readByte(), write() and writeByte() throw ERR_OUT_OF_RANGE', function () {
      const m = shrunkAtEnd()
      assertCode(() => m.readByte(), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.write(Buffer.from('x')), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.writeByte(1), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), 2 * P)
    })

    it('seek(0, SEEK_CUR) throws ERR_OUT_OF_RANGE; seek(0) recovers', function () {
      const m = shrunkAtEnd()
      assertCode(() => m.seek(0, 1), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(m.tell(), 2 * P)
      assert.strictEqual(m.seek(0), 0)
      assert.deepStrictEqual(m.read(), pattern(10))
    })
  })

  describe('argument and state errors', function () {
    it('rejects ACCESS_READ, ACCESS_COPY and PROT_READ maps with ERR_MMAP_READONLY', function () {
      const readOnly = [{ access: ACCESS_READ }, { access: ACCESS_COPY }, { prot: PROT_READ }, { flags: MAP_PRIVATE, prot: PROT_READ }]
      // Windows has no flags or prot.
      for (const options of isWindows ? readOnly.slice(0, 2) : readOnly) {
        const { m, file } = fileMap(pattern(P), 0, options)
        const err = assertCode(() => m.resize(2 * P), TypeError, 'ERR_MMAP_READONLY')
        assert.match(err.message, /resize/)
        assertCode(() => m.resize(0), TypeError, 'ERR_MMAP_READONLY')
        assert.strictEqual(m.length, P)
        assert.strictEqual(fileSize(file), P)
      }
    })

    it('rejects a map made with trackfd: false with ERR_INVALID_ARG_VALUE', function () {
      const { m, file } = fileMap(pattern(P), 0, { trackfd: false })
      assertCode(() => m.resize(2 * P), TypeError, 'ERR_INVALID_ARG_VALUE')
      assert.strictEqual(m.length, P)
      assert.strictEqual(fileSize(file), P)
    })

    it('rejects bad sizes with the right codes', function () {
      const { m, file } = fileMap(pattern(P))
      assertCode(() => m.resize(-1), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.resize(-1n), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.resize(1.5), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.resize(NaN), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.resize(Infinity), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.resize(2n ** 64n), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.resize('1'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.resize(null), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.resize(undefined), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.resize(true), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.resize({}), TypeError, 'ERR_INVALID_ARG_TYPE')
      assert.strictEqual(m.length, P)
      assert.strictEqual(fileSize(file), P)
      assert.deepStrictEqual(m.slice(), pattern(P))
    })

    it('rejects a size whose end in the file passes 2^53 - 1 with ERR_OUT_OF_RANGE', function () {
      const { m, file } = fileMap(pattern(2 * P), P, { offset: P })
      assertCode(() => m.resize(Number.MAX_SAFE_INTEGER), RangeError, 'ERR_OUT_OF_RANGE')
      assert.strictEqual(fileSize(file), 2 * P)
    })

    it('throws ERR_MMAP_CLOSED on a closed map', function () {
      const { m } = fileMap(pattern(P))
      m.close()
      assertCode(() => m.resize(2 * P), Error, 'ERR_MMAP_CLOSED')
      const anon = new Mmap(-1, P)
      anon.close()
      assertCode(() => anon.resize(2 * P), Error, 'ERR_MMAP_CLOSED')
    })

    it('checks argument types first, then closed, then read-only, then ranges', function () {
      const { m } = fileMap(pattern(P))
      m.close()
      assertCode(() => m.resize('1'), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => m.resize(1.5), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => m.resize(-1), Error, 'ERR_MMAP_CLOSED')
      const { m: ro } = fileMap(pattern(P), 0, { access: ACCESS_READ })
      assertCode(() => ro.resize(null), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => ro.resize(-1), TypeError, 'ERR_MMAP_READONLY')
      // Python checks trackfd before the access.
      const { m: roUntracked } = fileMap(pattern(P), 0, { access: ACCESS_READ, trackfd: false })
      assertCode(() => roUntracked.resize(2 * P), TypeError, 'ERR_INVALID_ARG_VALUE')
    })

    it('throws ERR_MMAP_BUSY while a flushAsync() is in flight and changes nothing', async function () {
      const { m, file } = fileMap(pattern(2 * P))
      const view = m.buffer
      const pending = m.flushAsync()
      assertCode(() => m.resize(4 * P), Error, 'ERR_MMAP_BUSY')
      assertCode(() => m.resize(P), Error, 'ERR_MMAP_BUSY')
      assertCode(() => m.resize(0), Error, 'ERR_MMAP_BUSY')
      assert.strictEqual(m.length, 2 * P)
      assert.strictEqual(fileSize(file), 2 * P)
      assert.strictEqual(m.buffer, view)
      assert.strictEqual(view.byteLength, 2 * P)
      await pending
      m.resize(4 * P)
      assert.strictEqual(m.length, 4 * P)
      assert.strictEqual(fileSize(file), 4 * P)
      assert.deepStrictEqual(m.slice(0, 2 * P), pattern(2 * P))
    })
  })

  describe('a failed resize leaves everything as it was', function () {
    // Checks that m (whose file is file, or null) still has length, data and view and keeps working.
    // shared: writes reach the file (false for a MAP_PRIVATE map).
    function assertUnchanged (m, file, data, view, pos, shared = true) {
      assert.strictEqual(m.length, data.length)
      if (file !== null) {
        assert.strictEqual(fileSize(file), data.length)
        assert.strictEqual(m.size(), data.length)
      }
      assert.strictEqual(m.tell(), pos)
      assert.deepStrictEqual(m.slice(), data)
      assert.strictEqual(m.buffer, view, 'buffer changed although the resize failed')
      assert.strictEqual(view.byteLength, data.length)
      assert.deepStrictEqual(Buffer.from(view), data)
      // Still works: writes, flush, and a resize that can succeed.
      m.set(0, 0x5a)
      assert.strictEqual(new Uint8Array(view)[0], 0x5a)
      m.flush()
      if (file !== null) assert.strictEqual(fs.readFileSync(file)[0], shared ? 0x5a : data[0])
      m.resize(data.length + P)
      assert.strictEqual(m.length, data.length + P)
      assert.deepStrictEqual(m.slice(1, data.length), data.subarray(1))
      if (file !== null) assert.strictEqual(fileSize(file), data.length + P)
    }

    it('a 1 PiB grow of a file map fails with an OS error', function () {
      const data = pattern(2 * P + 5)
      const { m, file } = fileMap(data)
      m.seek(7)
      const view = m.buffer
      const err = captureThrow(() => m.resize(2 ** 50))
      if (is32Bit) assert.deepStrictEqual([err.constructor, err.code], [RangeError, 'ERR_OUT_OF_RANGE'])
      else assertOsError(err, ['EFBIG', 'ENOSPC', 'ENOMEM', 'EINVAL'], ['ftruncate', 'mremap', 'mmap'])
      assertUnchanged(m, file, data, view, 7)
    })

    it('a 1 PiB grow of a map at an unaligned offset fails with an OS error', function () {
      const data = pattern(3 * P)
      const { m, file } = fileMap(data, P, { offset: P + 7 })
      const view = m.buffer
      const err = captureThrow(() => m.resize(2 ** 50))
      if (is32Bit) assert.deepStrictEqual([err.constructor, err.code], [RangeError, 'ERR_OUT_OF_RANGE'])
      else assertOsError(err, ['EFBIG', 'ENOSPC', 'ENOMEM', 'EINVAL'], ['ftruncate', 'mremap', 'mmap'])
      assert.strictEqual(m.length, P)
      assert.strictEqual(fileSize(file), 3 * P)
      assert.strictEqual(m.buffer, view)
      assert.deepStrictEqual(m.slice(), data.subarray(P + 7, 2 * P + 7))
      assert.deepStrictEqual(fs.readFileSync(file), data)
    })

    it('gives the file back its size when the file grew but the map could not (8 TiB private map)', function () {
      if (process.platform !== 'linux') skip(this, 'the commit-limit refusal this relies on is Linux\'s')
      const mode = overcommitMode()
      if (mode === '1') skip(this, 'overcommit_memory = 1: the kernel would grant an 8 TiB private map lazily')
      const data = pattern(2 * P)
      const { m, file } = fileMap(data, 0, { flags: MAP_PRIVATE })
      const view = m.buffer
      const err = captureThrow(() => m.resize(2 ** 43))
      // ftruncate to 8 TiB works on a sparse-capable filesystem (then the private map is refused:
      // ENOMEM); a filesystem with a smaller size limit refuses the ftruncate itself. A 32-bit
      // size_t cannot hold the length: refused before any system call.
      if (is32Bit) assert.deepStrictEqual([err.constructor, err.code], [RangeError, 'ERR_OUT_OF_RANGE'])
      else assertOsError(err, ['ENOMEM', 'EFBIG', 'ENOSPC', 'EINVAL'], ['ftruncate', 'mremap', 'mmap'])
      assertUnchanged(m, file, data, view, 0, false)
    })

    it('RLIMIT_FSIZE: growing past the limit fails with EFBIG (child process under ulimit -f)', function () {
      if (isWindows) skip(this, 'POSIX only: Windows has no RLIMIT_FSIZE (ulimit -f)')
      const data = pattern(16 * 1024)
      const file = tempFile(data)
      files.push(file)
      // 64 blocks of 512 bytes: a 32 KiB limit. Node ignores SIGXFSZ by default; the handler
      // keeps the child alive even where it would not.
      const r = runChildWithFileLimit(`
        process.on('SIGXFSZ', () => {})
        const fs = require('fs')
        const util = require('util')
        const { Mmap } = require(MMAP)
        const file = process.env.RESIZE_FILE
        const before = fs.readFileSync(file)
        const fd = fs.openSync(file, 'r+')
        const m = new Mmap(fd, 0)
        fs.closeSync(fd)
        const view = m.buffer
        const out = {}
        try {
          m.resize(64 * 1024)
          out.error = null
        } catch (e) {
          out.error = { code: e.code, errno: e.errno, syscall: e.syscall, name: util.getSystemErrorName(e.errno), message: e.message }
        }
        out.length = m.length
        out.fileSize = fs.statSync(file).size
        out.sameBuffer = m.buffer === view
        out.viewLength = view.byteLength
        out.dataKept = m.slice().equals(before) && Buffer.from(view).equals(before)
        m.resize(24 * 1024)
        out.grownUnderLimit = [m.length, fs.statSync(file).size]
        console.log(JSON.stringify(out))
      `, 64, { RESIZE_FILE: file })
      assert.strictEqual(r.signal, null, `child killed by ${r.signal}: ${r.stderr}`)
      assert.strictEqual(r.status, 0, r.stderr)
      const out = JSON.parse(r.stdout)
      assert.ok(out.error !== null, 'the resize past RLIMIT_FSIZE succeeded')
      assert.strictEqual(out.error.code, 'EFBIG')
      assert.strictEqual(out.error.name, 'EFBIG')
      assert.strictEqual(out.error.syscall, 'ftruncate')
      assert.strictEqual(out.error.message, 'EFBIG: file too large, ftruncate')
      assert.deepStrictEqual(
        { ...out, error: undefined },
        { error: undefined, length: 16 * 1024, fileSize: 16 * 1024, sameBuffer: true, viewLength: 16 * 1024, dataKept: true, grownUnderLimit: [24 * 1024, 24 * 1024] })
    })

    for (const [name, flags] of [['private', MAP_PRIVATE], ['shared', MAP_SHARED]]) {
      it(`a ${name} anonymous map refuses a grow the kernel cannot grant`, function () {
        const data = pattern(2 * P, 11)
        const m = track(new Mmap(-1, 2 * P, { flags }))
        m.setSlice(0, 2 * P, data)
        const view = m.buffer
        // 2^48 bytes is past the 47-bit user address space of x86-64 and arm64 (without an
        // explicit high hint): no overcommit policy can grant it.
        const err = captureThrow(() => m.resize(2 ** 48))
        if (is32Bit) assert.deepStrictEqual([err.constructor, err.code], [RangeError, 'ERR_OUT_OF_RANGE'])
        else assertOsError(err, ['ENOMEM', 'EINVAL'], ['mremap', 'mmap'])
        assert.strictEqual(m.length, 2 * P)
        assert.strictEqual(m.buffer, view)
        assert.deepStrictEqual(Buffer.from(view), data)

        // 64 TiB fits the address space but not the commit limit, unless overcommit is unlimited.
        let err46 = null
        try {
          m.resize(2 ** 46)
        } catch (e) {
          err46 = e
        }
        if (err46 === null) {
          assert.strictEqual(overcommitMode(), '1', 'a 64 TiB anonymous map was granted without overcommit_memory = 1')
          assert.strictEqual(m.length, 2 ** 46)
          m.resize(2 * P)
          assert.deepStrictEqual(m.slice(), data)
        } else {
          // 64 TiB does not fit a 32-bit size_t either.
          if (is32Bit) assert.deepStrictEqual([err46.constructor, err46.code], [RangeError, 'ERR_OUT_OF_RANGE'])
          else assertOsError(err46, ['ENOMEM'], ['mremap', 'mmap'])
          assert.strictEqual(m.buffer, view)
          assert.deepStrictEqual(Buffer.from(view), data)
        }
        assertUnchanged(m, null, data, m.buffer, 0)
      })
    }
  })

  describe('maps past 4 GiB', function () {
    it('grows a 6 GiB sparse file map and shrinks it to 4 GiB + 1', function () {
      helpers.needs64Bit(this, 'maps 6 GiB whole')
      const file = sparseFile(6 * GiB)
      if (file === null) skip(this, 'the filesystem cannot make a sparse 6 GiB file')
      files.push(file)
      const fd = fs.openSync(file, 'r+')
      const m = track(new Mmap(fd, 0))
      fs.closeSync(fd)
      assert.strictEqual(m.length, 6 * GiB)
      m.setSlice(5 * GiB, 5 * GiB + 4, Buffer.from('five'))

      m.resize(6 * GiB + 4096)
      assert.strictEqual(m.length, 6 * GiB + 4096)
      assert.strictEqual(m.size(), 6 * GiB + 4096)
      assert.strictEqual(fileSize(file), 6 * GiB + 4096)
      assert.strictEqual(m.slice(5 * GiB, 5 * GiB + 4).toString(), 'five')
      assert.strictEqual(m.subarray(5 * GiB, 5 * GiB + 4).toString(), 'five')
      assert.ok(isZero(m.slice(6 * GiB, 6 * GiB + 4096)))
      m.set(6 * GiB + 4000, 9)
      m.flush(6 * GiB, 4096)
      const probe = Buffer.alloc(1)
      const rfd = fs.openSync(file, 'r')
      try {
        fs.readSync(rfd, probe, 0, 1, 6 * GiB + 4000)
      } finally {
        fs.closeSync(rfd)
      }
      assert.strictEqual(probe[0], 9)

      m.resize(4 * GiB + 1)
      assert.strictEqual(m.length, 4 * GiB + 1)
      assert.strictEqual(fileSize(file), 4 * GiB + 1)
      assert.strictEqual(m.get(4 * GiB), 0)
      m.set(-1, 7)
      assert.strictEqual(m.get(4 * GiB), 7)
      assertCode(() => m.get(5 * GiB), RangeError, 'ERR_OUT_OF_RANGE')
      if (4 * GiB + 1 > bufferConstants.MAX_LENGTH) {
        assertCode(() => m.buffer, RangeError, 'ERR_OUT_OF_RANGE')
      } else {
        assert.strictEqual(m.buffer.byteLength, 4 * GiB + 1)
      }

      m.resize(6 * GiB)
      assert.strictEqual(fileSize(file), 6 * GiB)
      assert.strictEqual(m.get(4 * GiB), 7)
      assert.ok(isZero(m.slice(5 * GiB, 5 * GiB + 4)), 'the shrink did not cut the bytes at 5 GiB')
    })
  })
})
