'use strict'
// windows.test.js: what only Windows does: named mappings (tagname) shared between processes, a
// length past the end that extends the file, no flags or prot, the rules of files in use (a mapped
// file cannot be deleted nor shrunk), release of the file by close(), GC and worker exit, the
// 64 KiB allocation granularity, and the fault guard (vectored exception handler).
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const util = require('util')
const mmap = require('..')
const { runChild, captureThrow, resources, pattern, skip, windowsOnly } = require('./helpers')

const { Mmap, ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY, ALLOCATIONGRANULARITY: G } = mmap

// The Windows node under Wine gets this from scripts/windows/test.sh: a folder a Linux process
// watches, cutting files in it on request (see cutOutside below).
const SPOOL = process.env.MM_WINE_SPOOL

// The maps and files a test made, given back by cleanup(); mapFile(contents, length, options,
// flags) maps a new file holding contents, made through a descriptor closed at once.
const { files, track, file: fileWith, mapFile, cleanup } = resources()

// A tag no other test (nor another run) uses.
let tags = 0
function tag () {
  return `mmap-native-test-${process.pid}-${tags++}`
}

// Whether the file can be deleted now (it is recreated with the same bytes when it could):
// Windows refuses to delete a file while a view or a section of it exists.
function deletable (file) {
  const data = fs.readFileSync(file)
  try {
    fs.unlinkSync(file)
  } catch (err) {
    assert.ok(['EPERM', 'EBUSY', 'EACCES'].includes(err.code), `unlink: ${err.code}`)
    return false
  }
  fs.writeFileSync(file, data)
  return true
}

describe('Windows: named mappings (tagname)', function () {
  before(function () {
    windowsOnly(this, 'Windows behaviour')
  })
  afterEach(cleanup)

  it('shares the memory of two anonymous maps with the same tagname', function () {
    const name = tag()
    const a = track(new Mmap(-1, 4096, { tagname: name }))
    const b = track(new Mmap(-1, 4096, { tagname: name }))
    a.write(Buffer.from('shared'))
    assert.strictEqual(b.slice(0, 6).toString(), 'shared')
    b.subarray(100, 101)[0] = 0x42
    assert.strictEqual(a.get(100), 0x42)
  })

  it('keeps maps with different tagnames (or none) apart', function () {
    const a = track(new Mmap(-1, 4096, { tagname: tag() }))
    const b = track(new Mmap(-1, 4096, { tagname: tag() }))
    const c = track(new Mmap(-1, 4096))
    a.set(0, 1)
    assert.strictEqual(b.get(0), 0)
    assert.strictEqual(c.get(0), 0)
  })

  it('lets another process read and write a named mapping this process created', function () {
    const name = tag()
    const m = track(new Mmap(-1, 2 * G, { tagname: name }))
    m.write(Buffer.from('from the parent'))
    m.set(G + 5, 0x77)
    // The child runs while this process holds the mapping (runChild waits for it).
    const r = runChild(`
      const { Mmap } = require(MMAP)
      const m = new Mmap(-1, ${2 * G}, { tagname: ${JSON.stringify(name)} })
      console.log(m.slice(0, 15).toString() + ' ' + m.get(${G + 5}))
      m.seek(${G})
      m.write(Buffer.from('from the child'))
      m.close()
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.strictEqual(r.stdout, 'from the parent 119\n')
    assert.strictEqual(m.slice(G, G + 14).toString(), 'from the child')
  })

  it('shares a named file mapping with a process that opens the name alone', function () {
    const name = tag()
    const { m, file } = mapFile(Buffer.from('file bytes under a name'), 0, { tagname: name })
    const r = runChild(`
      const { Mmap } = require(MMAP)
      const m = new Mmap(-1, 23, { tagname: ${JSON.stringify(name)} })
      console.log(m.slice().toString())
      m.setSlice(0, 4, Buffer.from('FILE'))
      m.close()
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.strictEqual(r.stdout, 'file bytes under a name\n')
    assert.strictEqual(m.slice(0, 4).toString(), 'FILE')
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'FILE bytes under a name')
  })

  it('refuses a view longer than the named mapping it opens, with EACCES from mmap', function () {
    const name = tag()
    track(new Mmap(-1, G, { tagname: name }))
    const err = captureThrow(() => new Mmap(-1, 2 * G, { tagname: name }))
    assert.strictEqual(err.constructor, Error)
    assert.strictEqual(err.code, 'EACCES')
    assert.strictEqual(err.syscall, 'mmap')
    assert.strictEqual(util.getSystemErrorName(err.errno), 'EACCES')
  })

  it('tells apart names that differ only past their 255th UTF-8 byte', function () {
    // 130 two-byte characters: 131 characters (within MAX_PATH), 261 bytes.
    const base = `${process.pid}`.padEnd(130, 'é')
    const a = track(new Mmap(-1, 4096, { tagname: `${base}a` }))
    const b = track(new Mmap(-1, 4096, { tagname: `${base}b` }))
    a.set(0, 9)
    assert.strictEqual(b.get(0), 0)
  })

  it('resizes a named map no one else holds, keeping its bytes and its name', function () {
    const name = tag()
    const m = track(new Mmap(-1, 4096, { tagname: name }))
    m.write(Buffer.from('kept'))
    m.resize(3 * G)
    assert.strictEqual(m.length, 3 * G)
    assert.strictEqual(m.slice(0, 4).toString(), 'kept')
    const other = track(new Mmap(-1, 3 * G, { tagname: name }))
    assert.strictEqual(other.slice(0, 4).toString(), 'kept')
    other.set(3 * G - 1, 5)
    assert.strictEqual(m.get(3 * G - 1), 5)
  })

  it('refuses to resize a named map another map holds, with EBUSY, and leaves both as they were', function () {
    const name = tag()
    const m = track(new Mmap(-1, 4096, { tagname: name }))
    const other = track(new Mmap(-1, 4096, { tagname: name }))
    m.write(Buffer.from('both'))
    const view = m.subarray()
    const err = captureThrow(() => m.resize(2 * G))
    assert.strictEqual(err.constructor, Error)
    assert.strictEqual(err.code, 'EBUSY')
    assert.strictEqual(util.getSystemErrorName(err.errno), 'EBUSY')
    assert.strictEqual(m.length, 4096)
    assert.strictEqual(m.slice(0, 4).toString(), 'both')
    assert.ok(view.length === 0 || view.subarray(0, 4).toString() === 'both')
    m.set(10, 1)
    assert.strictEqual(other.get(10), 1)
  })
})

describe('Windows: a length past the end of the file', function () {
  before(function () {
    windowsOnly(this, 'Windows behaviour')
  })
  afterEach(cleanup)

  it('extends the file to the end of a writable map, with zeros (as Python on Windows)', function () {
    for (const access of [ACCESS_DEFAULT, ACCESS_WRITE]) {
      const { m, file } = mapFile('abc', 10000, { access })
      assert.strictEqual(m.length, 10000)
      assert.strictEqual(fs.statSync(file).size, 10000)
      assert.strictEqual(m.slice(0, 3).toString(), 'abc')
      assert.strictEqual(m.count(Buffer.from([0])), 10000 - 3)
      m.set(9999, 0x5a)
      m.flush()
      assert.strictEqual(fs.readFileSync(file)[9999], 0x5a)
      assert.strictEqual(m.size(), 10000)
    }
  })

  it('extends the file to offset + length for a map at an offset', function () {
    const { m, file } = mapFile(pattern(G + 10), 5000, { offset: G + 7 })
    assert.strictEqual(fs.statSync(file).size, G + 7 + 5000)
    assert.deepStrictEqual(m.slice(0, 3), pattern(G + 10).subarray(G + 7))
    assert.strictEqual(m.get(4999), 0)
  })

  it('extends an empty file', function () {
    const { m, file } = mapFile('', 100)
    assert.strictEqual(m.length, 100)
    assert.strictEqual(fs.statSync(file).size, 100)
  })

  it('refuses a read-only or copy-on-write map past the end with ERR_OUT_OF_RANGE, the file unchanged', function () {
    for (const access of [ACCESS_READ, ACCESS_COPY]) {
      const file = fileWith('abc')
      const fd = fs.openSync(file, 'r+')
      try {
        const err = captureThrow(() => new Mmap(fd, 10, { access }))
        assert.strictEqual(err.name, 'RangeError')
        assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
        assert.match(err.message, /past the end of the 3-byte file/)
      } finally {
        fs.closeSync(fd)
      }
      assert.strictEqual(fs.statSync(file).size, 3)
    }
  })

  it('refuses to extend a file opened read-only, with EACCES from mmap', function () {
    const file = fileWith('abc')
    const fd = fs.openSync(file, 'r')
    try {
      const err = captureThrow(() => new Mmap(fd, 10))
      assert.strictEqual(err.code, 'EACCES')
      assert.strictEqual(err.syscall, 'mmap')
    } finally {
      fs.closeSync(fd)
    }
    assert.strictEqual(fs.statSync(file).size, 3)
  })
})

describe('Windows: no flags or prot', function () {
  before(function () {
    windowsOnly(this, 'Windows behaviour')
  })
  afterEach(cleanup)

  it('has no MAP_*, PROT_* or MADV_* constant', function () {
    assert.deepStrictEqual(Object.keys(mmap).filter((k) => /^(MAP|PROT|MADV)_/.test(k)), [])
  })

  it('refuses flags and prot with ERR_INVALID_ARG_VALUE, even at the POSIX defaults', function () {
    const { file } = mapFile('abc')
    const fd = fs.openSync(file, 'r+')
    try {
      for (const options of [{ flags: 1 }, { prot: 3 }, { flags: 1, prot: 3 }, { flags: 0n }, { access: ACCESS_READ, prot: 1 }]) {
        const err = captureThrow(() => new Mmap(fd, 0, options))
        assert.strictEqual(err.name, 'TypeError')
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(err.message, /flags or prot/)
      }
      assert.throws(() => mmap.open(file, { flags: 1 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    } finally {
      fs.closeSync(fd)
    }
  })

  it('checks the types of flags and prot first, as everywhere', function () {
    assert.throws(() => new Mmap(-1, 10, { flags: '1' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new Mmap(-1, 10, { prot: 1.5 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => new Mmap(-1, -1, { flags: 1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  })

  it('accepts access as a bigint', function () {
    const { m, file } = mapFile('abc', 0, { access: BigInt(ACCESS_WRITE) })
    m.set(0, 0x41)
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Abc')
  })

  it('keeps writes through a view of an ACCESS_READ map private: no crash, not in the file nor other maps', function () {
    const file = fileWith('hello')
    const r = runChild(`
      const fs = require('fs')
      const mmap = require(MMAP)
      const fd = fs.openSync(${JSON.stringify(file)}, 'r+')
      const other = new mmap.Mmap(fd, 0)
      const ro = new mmap.Mmap(fd, 0, { access: mmap.ACCESS_READ })
      ro.subarray()[0] = 0x41
      new Uint8Array(ro.buffer)[1] = 0x42
      ro.flush()
      console.log(ro.slice().toString() + ' ' + fs.readFileSync(${JSON.stringify(file)}, 'latin1') + ' ' + other.slice().toString())
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.strictEqual(r.stdout, 'ABllo hello hello\n')
  })
})

describe('Windows: files in use', function () {
  before(function () {
    windowsOnly(this, 'Windows behaviour')
  })
  afterEach(cleanup)

  it('the file cannot be deleted while mapped; close() releases it', function () {
    for (const access of [ACCESS_READ, ACCESS_WRITE, ACCESS_COPY]) {
      const { m, file } = mapFile('hello', 0, { access })
      assert.strictEqual(deletable(file), false)
      m.close()
      assert.strictEqual(deletable(file), true)
    }
  })

  it('open() releases the file on close(), and on a failure', function () {
    const file = fileWith('hello')
    const m = mmap.open(file, { access: ACCESS_WRITE })
    assert.strictEqual(deletable(file), false)
    m.close()
    assert.strictEqual(deletable(file), true)
    assert.throws(() => mmap.open(file, { offset: 100 }), { code: 'ERR_OUT_OF_RANGE' })
    assert.strictEqual(deletable(file), true)
  })

  it('a renamed mapped file keeps its map; renaming another file over it is refused', function () {
    const { m, file } = mapFile('hello')
    const moved = `${file}.moved`
    files.push(moved)
    fs.renameSync(file, moved)
    m.set(0, 0x48)
    m.flush()
    assert.strictEqual(fs.readFileSync(moved, 'latin1'), 'Hello')
    fs.renameSync(moved, file)
    const other = fileWith('other')
    const err = captureThrow(() => fs.renameSync(other, file))
    assert.ok(['EPERM', 'EACCES', 'EBUSY'].includes(err.code), err.code)
    assert.strictEqual(m.slice().toString(), 'Hello')
    m.close()
    fs.renameSync(other, file)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'other')
  })

  it('the OS refuses to shrink a mapped file; growing works and the map can follow with resize()', function () {
    const { m, file } = mapFile(pattern(2 * G))
    const fd = fs.openSync(file, 'r+')
    try {
      const err = captureThrow(() => fs.ftruncateSync(fd, G))
      assert.ok(err.code === 'UNKNOWN' || err.code === 'EBUSY' || err.code === 'EPERM', err.code)
      assert.strictEqual(fs.statSync(file).size, 2 * G)
      fs.ftruncateSync(fd, 3 * G)
      assert.strictEqual(m.size(), 3 * G)
      m.resize(3 * G)
      assert.strictEqual(m.length, 3 * G)
    } finally {
      fs.closeSync(fd)
    }
  })

  it('resize() shrinks the file it maps (it unmaps first), and fails with EBUSY while another map holds it', function () {
    const { m, file } = mapFile(pattern(3 * G))
    m.resize(G + 1)
    assert.strictEqual(fs.statSync(file).size, G + 1)
    assert.deepStrictEqual(m.slice(), pattern(3 * G).subarray(0, G + 1))
    const fd = fs.openSync(file, 'r+')
    const other = track(new Mmap(fd, 0))
    fs.closeSync(fd)
    const view = m.subarray()
    const err = captureThrow(() => m.resize(10))
    assert.strictEqual(err.constructor, Error)
    assert.strictEqual(err.code, 'EBUSY')
    assert.strictEqual(err.syscall, 'ftruncate')
    assert.strictEqual(m.length, G + 1)
    assert.strictEqual(fs.statSync(file).size, G + 1)
    assert.deepStrictEqual(m.slice(), pattern(3 * G).subarray(0, G + 1))
    assert.ok(view.length === 0 || view.equals(m.slice()))
    // Growing while the other map holds the file works.
    m.resize(2 * G)
    assert.strictEqual(fs.statSync(file).size, 2 * G)
    other.close()
    m.resize(10)
    assert.strictEqual(fs.statSync(file).size, 10)
  })

  it('resize() to 0 and back works, keeping the file in step', function () {
    const { m, file } = mapFile(pattern(G))
    m.resize(0)
    assert.strictEqual(m.length, 0)
    assert.strictEqual(fs.statSync(file).size, 0)
    m.resize(5)
    m.write(Buffer.from('again'))
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'again')
  })

  it('an unreachable map releases its file once collected; a reachable view keeps it', function () {
    const file = fileWith(Buffer.alloc(G, 0x41))
    const r = runChild(`
      const fs = require('fs')
      const { Mmap } = require(MMAP)
      const { collect, run } = require(MMAP + '/test/fixtures/lifetime-probe.js')
      const file = ${JSON.stringify(file)}
      const canDelete = () => {
        try { fs.unlinkSync(file); fs.writeFileSync(file, Buffer.alloc(${G}, 0x41)); return true } catch { return false }
      }
      run(async () => {
        const out = []
        let view = (() => {
          const fd = fs.openSync(file, 'r+')
          const m = new Mmap(fd, 0)
          fs.closeSync(fd)
          return m.subarray(10, 20)
        })()
        await collect()
        out.push(canDelete(), view[0])
        view = null
        await collect()
        out.push(canDelete())
        ;(() => { const fd = fs.openSync(file, 'r'); new Mmap(fd, 0, { access: 1 }); fs.closeSync(fd) })()
        out.push(canDelete())
        await collect()
        out.push(canDelete())
        return out
      })
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(JSON.parse(r.stdout), [false, 0x41, true, false, true])
  })

  it('maps a worker never closed are released when the worker is terminated', function () {
    const file = fileWith(Buffer.alloc(G, 0x41))
    const r = runChild(`
      const fs = require('fs')
      const { Worker } = require('worker_threads')
      const file = ${JSON.stringify(file)}
      const code = 'const fs = require("fs"); const { Mmap } = require(' + JSON.stringify(MMAP) + ');' +
        'const { parentPort } = require("worker_threads");' +
        'globalThis.keep = [1, 2, 3].map(() => { const fd = fs.openSync(' + JSON.stringify(file) + ', "r+"); const m = new Mmap(fd, 0); fs.closeSync(fd); return m });' +
        'parentPort.postMessage(keep[0].get(0)); setInterval(() => {}, 1000)'
      const w = new Worker(code, { eval: true })
      const canDelete = () => {
        try { const data = fs.readFileSync(file); fs.unlinkSync(file); fs.writeFileSync(file, data); return true } catch { return false }
      }
      w.on('message', (byte) => {
        const held = !canDelete()
        w.terminate().then(() => console.log(JSON.stringify([byte, held, canDelete()])))
      })
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(JSON.parse(r.stdout), [0x41, true, true])
  })

  it('thousands of maps closed or dropped leave the file free (no view nor section left)', function () {
    const file = fileWith(Buffer.alloc(2 * G, 0x41))
    const r = runChild(`
      const fs = require('fs')
      const mmap = require(MMAP)
      const { collect, run } = require(MMAP + '/test/fixtures/lifetime-probe.js')
      const file = ${JSON.stringify(file)}
      run(async () => {
        for (let i = 0; i < 3000; i++) {
          const fd = fs.openSync(file, i % 3 === 0 ? 'r' : 'r+')
          const m = new mmap.Mmap(fd, i % 2 ? 0 : 100, { access: i % 3 === 0 ? mmap.ACCESS_READ : mmap.ACCESS_WRITE, offset: (i * 4099) % ${G} })
          fs.closeSync(fd)
          if (i % 4 === 0) m.subarray(0, 1)
          if (i % 2) m.close()
        }
        const anon = []
        for (let i = 0; i < 500; i++) anon.push(new mmap.Mmap(-1, 100000))
        anon.forEach((m, i) => i % 2 && m.close())
        anon.length = 0
        await collect(20)
        try { fs.unlinkSync(file); return 'free' } catch (err) { return err.code }
      })
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.strictEqual(JSON.parse(r.stdout), 'free')
  })
})

describe('Windows: offsets and the 64 KiB allocation granularity', function () {
  before(function () {
    windowsOnly(this, 'Windows behaviour')
  })
  afterEach(cleanup)

  it('ALLOCATIONGRANULARITY is 64 KiB while PAGESIZE is 4 KiB', function () {
    assert.strictEqual(G, 65536)
    assert.strictEqual(mmap.PAGESIZE, 4096)
  })

  for (const offset of [1, 4096, G - 1, G, G + 1, 2 * G + 4097, 3 * G - 1]) {
    it(`shows and writes the file's bytes from offset ${offset}`, function () {
      const size = 3 * G + 100
      const data = pattern(size)
      const { m, file } = mapFile(data, 0, { offset })
      assert.strictEqual(m.length, size - offset)
      assert.deepStrictEqual(m.slice(), data.subarray(offset))
      m.set(0, 0xf0)
      m.subarray(-1)[0] = 0xf1
      m.flush(1, 10)
      m.flush()
      const expected = Buffer.from(data)
      expected[offset] = 0xf0
      expected[size - 1] = 0xf1
      assert.deepStrictEqual(fs.readFileSync(file), expected)
    })
  }

  it('resizes a map at an unaligned offset, setting the file to offset + length', function () {
    const { m, file } = mapFile(pattern(2 * G), 100, { offset: G + 3 })
    m.resize(2 * G)
    assert.strictEqual(fs.statSync(file).size, 3 * G + 3)
    assert.deepStrictEqual(m.slice(0, G - 3), pattern(2 * G).subarray(G + 3))
    m.resize(1)
    assert.strictEqual(fs.statSync(file).size, G + 4)
  })
})

describe('Windows: OS errors', function () {
  before(function () {
    windowsOnly(this, 'Windows behaviour')
  })
  afterEach(cleanup)

  it('gives EBADF for descriptors the C runtime of node.exe does not know, as node:fs does', function () {
    const file = fileWith('x')
    const closed = fs.openSync(file, 'r')
    fs.closeSync(closed)
    for (const fd of [closed, 12345, -2]) {
      const fsErr = captureThrow(() => fs.fstatSync(fd))
      const err = captureThrow(() => new Mmap(fd, 1))
      assert.strictEqual(err.code, 'EBADF')
      if (fd >= 0) assert.strictEqual(err.errno, fsErr.errno)
      assert.strictEqual(util.getSystemErrorName(err.errno), 'EBADF')
      assert.strictEqual(err.syscall, 'fstat')
    }
  })

  it('maps the descriptors node:fs hands out, including from fs.promises', async function () {
    const file = fileWith('abc')
    const fh = await fs.promises.open(file, 'r+')
    try {
      const m = track(new Mmap(fh, 0))
      assert.strictEqual(m.slice().toString(), 'abc')
    } finally {
      await fh.close()
    }
  })

  it('flushAsync() and flush() with trackfd: false write the bytes back', async function () {
    const { m, file } = mapFile('abcdef', 0, { trackfd: false })
    m.set(0, 0x41)
    await m.flushAsync()
    m.set(1, 0x42)
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'ABcdef')
  })
})

// Cuts `file` (in the spool folder) to `size` bytes from outside Wine and waits for it.
function cutOutsideSource () {
  return `
    const path = require('path')
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
    function cutOutside (file, size) {
      const name = path.basename(file)
      const req = path.join(path.dirname(file), name + '.' + size + '.req')
      fs.writeFileSync(req + '.tmp', size + ' ' + name)
      fs.renameSync(req + '.tmp', req)
      const done = req.replace(/\\.req$/, '.done')
      for (let i = 0; i < 400 && !fs.existsSync(done); i++) sleep(25)
      if (!fs.existsSync(done)) throw new Error('the cutter did not answer')
      fs.unlinkSync(done)
    }
  `
}

describe('Windows: the fault guard (a file cut by a process outside Wine)', function () {
  before(function () {
    windowsOnly(this, 'Windows behaviour')
  })
  beforeEach(function () {
    if (SPOOL === undefined) {
      // On Windows itself no process can cut a mapped file (the tests above show the refusal).
      skip(this, 'needs the Linux cutter of scripts/windows/test.sh, under Wine')
    }
  })

  function spoolFile (data) {
    const file = path.join(SPOOL, `guard-${process.pid}-${tags++}`)
    fs.writeFileSync(file, data)
    return file
  }

  it('makes the module\'s own reads and writes of the lost part throw ERR_MMAP_TRUNCATED, and keeps the rest working', function () {
    const file = spoolFile(Buffer.alloc(3 * G, 0x61))
    const r = runChild(`
      const fs = require('fs')
      const { Mmap } = require(MMAP)
      ${cutOutsideSource()}
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const m = new Mmap(fd, 0)
      fs.closeSync(fd)
      cutOutside(file, 100)
      const codes = []
      for (const op of [() => m.get(${G}), () => m.slice(0, ${2 * G}), () => m.find('b'), () => m.count('a'),
        () => m.set(${2 * G}, 1), () => m.setSlice(${G}, ${G} + 2, Buffer.from('zz')), () => m.move(0, ${G}, 10),
        () => m.search(/b/), () => m.read(), () => m.readline()]) {
        try { op(); codes.push('none') } catch (err) { codes.push(err.code) }
      }
      const rest = [m.get(0), m.get(99), m.slice(0, 3).toString(), m.size()]
      fs.appendFileSync(file, Buffer.alloc(${3 * G} - 100, 0x62))
      const back = [m.get(${G}), m.find('b'), m.count('b')]
      m.close()
      console.log(JSON.stringify({ codes, rest, back }))
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    const out = JSON.parse(r.stdout)
    assert.deepStrictEqual(out.codes, Array(10).fill('ERR_MMAP_TRUNCATED'))
    assert.deepStrictEqual(out.rest, [0x61, 0x61, 'aaa', 100])
    assert.deepStrictEqual(out.back, [0x62, 100, 3 * G - 100])
    fs.unlinkSync(file)
  })

  it('recovers through resize(), which grows the file back', function () {
    const file = spoolFile(Buffer.alloc(2 * G, 0x61))
    const r = runChild(`
      const fs = require('fs')
      const { Mmap } = require(MMAP)
      ${cutOutsideSource()}
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const m = new Mmap(fd, 0)
      fs.closeSync(fd)
      cutOutside(file, 10)
      let code = null
      try { m.get(${G}) } catch (err) { code = err.code }
      m.resize(${2 * G})
      m.set(${G}, 7)
      const out = [code, m.get(${G}), m.get(0), fs.statSync(file).size]
      m.close()
      console.log(JSON.stringify(out))
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(JSON.parse(r.stdout), ['ERR_MMAP_TRUNCATED', 7, 0x61, 2 * G])
    fs.unlinkSync(file)
  })

  it('guards read-only, copy-on-write and offset maps too', function () {
    const file = spoolFile(Buffer.alloc(4 * G, 0x61))
    const r = runChild(`
      const fs = require('fs')
      const mmap = require(MMAP)
      ${cutOutsideSource()}
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const maps = [new mmap.Mmap(fd, 0, { access: mmap.ACCESS_READ }), new mmap.Mmap(fd, 0, { access: mmap.ACCESS_COPY }),
        new mmap.Mmap(fd, 0, { offset: ${G + 5} })]
      fs.closeSync(fd)
      cutOutside(file, ${G})
      const out = maps.map((m) => { try { m.slice(); return 'none' } catch (err) { return err.code } })
      maps.forEach((m) => m.close())
      console.log(JSON.stringify(out))
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    // The offset map starts past the new end: even its first byte is lost.
    assert.deepStrictEqual(JSON.parse(r.stdout).slice(0, 3), ['ERR_MMAP_TRUNCATED', 'ERR_MMAP_TRUNCATED', 'ERR_MMAP_TRUNCATED'])
    fs.unlinkSync(file)
  })

  it('makes findAsync, rfindAsync, countAsync and prefetch reject with ERR_MMAP_TRUNCATED (faults on pool threads)', function () {
    const file = spoolFile(Buffer.alloc(3 * G, 0x61))
    const r = runChild(`
      const fs = require('fs')
      const { Mmap } = require(MMAP)
      ${cutOutsideSource()}
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const m = new Mmap(fd, 0)
      fs.closeSync(fd)
      cutOutside(file, 100)
      const code = (p) => p.then((v) => 'ok:' + v, (e) => e.code)
      ;(async () => {
        const lost = await Promise.all([code(m.countAsync('a', 0, undefined, { threads: 2 })), code(m.findAsync('b', 0)),
          code(m.rfindAsync('a')), code(m.prefetch())])
        const kept = await Promise.all([code(m.countAsync('a', 0, 100)), code(m.prefetch(0, 100))])
        m.close()
        console.log(JSON.stringify({ lost, kept }))
      })()
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(JSON.parse(r.stdout), { lost: Array(4).fill('ERR_MMAP_TRUNCATED'), kept: ['ok:100', 'ok:undefined'] })
    fs.unlinkSync(file)
  })

  it('keeps pool threads alive and calls on them honest while the main thread swaps a view for zeros and back', function () {
    // Each round takes another map of the cut file; pool threads count the kept bytes (countAsync: a call)
    // and write into a view of them (crypto.randomFill: no module frame) while the main thread's
    // m.get() of a lost page swaps the whole view for zeros, which stays so for 1 ms, and its next
    // call maps the view back (free, then map: a gap). A touch in the gap must run again, and a
    // count that read the zeros must fail, never return a wrong number.
    this.timeout(120000)
    const file = spoolFile(Buffer.alloc(512 * G, 0x61))
    const r = runChild(`
      const fs = require('fs')
      const crypto = require('crypto')
      const { Mmap } = require(MMAP)
      ${cutOutsideSource()}
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      // A map swaps once (later calls see the lost part first and never touch it): one per round.
      const maps = Array.from({ length: 120 }, () => new Mmap(fd, 0))
      fs.closeSync(fd)
      cutOutside(file, ${256 * G})
      const tally = { ok: 0, truncated: 0, wrong: [], fills: 0, swaps: 0 }
      const until = Date.now() + 4000
      const round = () => {
        if (Date.now() >= until || maps.length === 0) {
          maps.forEach((m) => m.close())
          console.log(JSON.stringify(tally))
          return
        }
        const m = maps.pop()
        const view = new Uint8Array(m.buffer, ${160 * G}, ${16 * G})
        const jobs = []
        for (let i = 0; i < 2; i++) {
          jobs.push(m.countAsync('a', 0, ${128 * G}).then((n) => { if (n === ${128 * G}) tally.ok++; else tally.wrong.push(n) },
            (e) => { if (e.code === 'ERR_MMAP_TRUNCATED') tally.truncated++; else tally.wrong.push(e.code) }))
          jobs.push(new Promise((resolve) => crypto.randomFill(view, () => { tally.fills++; resolve() })))
        }
        sleep(Math.random())
        try { m.get(${300 * G}) } catch (e) { if (e.code === 'ERR_MMAP_TRUNCATED') tally.swaps++ }
        sleep(1)
        m.get(0)
        Promise.all(jobs).then(() => { m.close(); setImmediate(round) })
      }
      round()
    `, { timeout: 100000 })
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    const out = JSON.parse(r.stdout)
    assert.deepStrictEqual(out.wrong, [])
    assert.ok(out.swaps > 10 && out.fills > 10 && out.ok + out.truncated > 10, r.stdout)
    fs.unlinkSync(file)
  })

  it('leaves a fault of JavaScript code in a view to the next handler: the process ends', function () {
    const file = spoolFile(Buffer.alloc(2 * G, 0x61))
    const r = runChild(`
      const fs = require('fs')
      const { Mmap } = require(MMAP)
      ${cutOutsideSource()}
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const m = new Mmap(fd, 0)
      fs.closeSync(fd)
      const view = new Uint8Array(m.buffer)
      cutOutside(file, 10)
      console.log('before ' + view[5])
      console.log('survived ' + view[${G + 5}])
    `)
    assert.strictEqual(r.stdout, 'before 97\n')
    assert.notStrictEqual(r.status, 0)
    fs.unlinkSync(file)
  })
})
