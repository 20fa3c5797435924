'use strict'
// truncation.test.js: a file that shrinks under its map (SIGBUS for every peer and for Python)
// gives coded errors and zero bytes here, never a dead process.
const assert = require('assert')
const { runChild, tempFile, removeFile, posixOnly } = require('./helpers')

const PAGE = require('..').PAGESIZE

// Runs `body` in a child with `m` (a writable map of a 3-page file filled with
// 'a', 'b', 'c' pages), `v` (a view of it), `fs`, `mmap`, `file`, `shrink(n)`
// (truncates the file from another process) and `code(fn)` (the error code fn
// throws, or 'ok'); returns the child's printed JSON.
function probe (body) {
  const file = tempFile(Buffer.concat([Buffer.alloc(PAGE, 'a'), Buffer.alloc(PAGE, 'b'), Buffer.alloc(PAGE, 'c')]))
  try {
    const r = runChild(`
      const fs = require('fs')
      const { execFileSync } = require('child_process')
      const mmap = require(MMAP)
      const file = ${JSON.stringify(file)}
      const PAGE = mmap.PAGESIZE
      const shrink = (n) => execFileSync('truncate', ['-s', String(n), file])
      const code = (fn) => { try { fn(); return 'ok' } catch (e) { return e.code } }
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const v = m.subarray()
      const out = {}
      ${body}
      console.log(JSON.stringify(out))
    `)
    assert.strictEqual(r.signal, null, `child died by ${r.signal}: ${r.stderr}`)
    assert.strictEqual(r.status, 0, r.stderr)
    return JSON.parse(r.stdout.trim().split('\n').pop())
  } finally {
    removeFile(file)
  }
}

// Windows (and Wine) refuse to shrink a file while a view of it exists, so
// the lost-pages case cannot arise from truncation there; the in-page error
// guard is tested in test/windows.test.js with a file cut by a Linux helper.
if (process.platform === 'win32') {
  describe('a file truncated under its map (Windows)', function () {
    it('cannot happen: Windows refuses to shrink a mapped file, and the map keeps its bytes', function () {
      const fs = require('fs')
      const mmap = require('..')
      const file = tempFile(Buffer.concat([Buffer.alloc(PAGE, 'a'), Buffer.alloc(PAGE, 'b'), Buffer.alloc(PAGE, 'c')]))
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      try {
        assert.throws(() => fs.truncateSync(file, PAGE), (err) => typeof err.code === 'string')
        assert.strictEqual(fs.statSync(file).size, 3 * PAGE)
        assert.strictEqual(m.get(2 * PAGE), 'c'.charCodeAt(0))
      } finally {
        m.close()
      }
      fs.truncateSync(file, PAGE)
      assert.strictEqual(fs.statSync(file).size, PAGE)
      removeFile(file)
    })
  })
}

// The POSIX tests below are not registered on Windows (see above).
describe('a file truncated under its map', function () {
  before(function () {
    posixOnly(this, 'a file cannot be cut under a map on Windows (windows.test.js cuts one from outside Wine)')
  })
  it('makes the module\'s own reads of the lost part throw ERR_MMAP_TRUNCATED', function () {
    const out = probe(`
      shrink(PAGE)
      out.get = code(() => m.get(PAGE + 5))
      out.slice = code(() => m.slice(PAGE, PAGE + 10))
      out.sliceStep = code(() => m.slice(0, 3 * PAGE, 7))
      out.read = code(() => { m.seek(PAGE); m.read(10) })
      out.find = code(() => m.find('zz', 0))
      out.rfind = code(() => m.rfind('zz', 0))
      out.count = code(() => m.count('c'))
      out.search = code(() => m.search(/c/))
      out.readByte = code(() => { m.seek(2 * PAGE); m.readByte() })
    `)
    for (const [name, c] of Object.entries(out)) assert.strictEqual(c, 'ERR_MMAP_TRUNCATED', name)
  })

  it('makes the module\'s own writes to the lost part throw ERR_MMAP_TRUNCATED', function () {
    const out = probe(`
      shrink(PAGE)
      out.set = code(() => m.set(PAGE + 1, 1))
      out.write = code(() => { m.seek(PAGE + 1); m.write(Buffer.from('xy')) })
      out.writeByte = code(() => { m.seek(2 * PAGE); m.writeByte(1) })
      out.setSlice = code(() => m.setSlice(PAGE, PAGE + 2, Buffer.from('xy')))
      out.moveFrom = code(() => m.move(0, PAGE, 10))
      out.moveTo = code(() => m.move(PAGE, 0, 10))
      out.fileSize = fs.statSync(file).size
    `)
    assert.strictEqual(out.fileSize, PAGE, 'nothing grew the file back')
    delete out.fileSize
    for (const [name, c] of Object.entries(out)) assert.strictEqual(c, 'ERR_MMAP_TRUNCATED', name)
  })

  it('lets views read the lost part as zeros without killing the process', function () {
    const out = probe(`
      shrink(PAGE)
      out.lost = [v[PAGE], v[2 * PAGE + 7], v[3 * PAGE - 1]]
      v[PAGE + 3] = 42
      out.kept = v[5]
      out.dataView = new DataView(m.buffer).getUint32(2 * PAGE, true)
    `)
    assert.deepStrictEqual(out.lost, [0, 0, 0])
    assert.strictEqual(out.kept, 'a'.charCodeAt(0))
    assert.strictEqual(out.dataView, 0)
  })

  it('keeps the rest of the map working and size() reports the new size', function () {
    const out = probe(`
      shrink(PAGE + 100)
      out.before = code(() => m.get(2 * PAGE))
      out.get = m.get(PAGE + 50)
      out.find = m.find('b', 0, PAGE + 100)
      out.slice = m.slice(PAGE - 2, PAGE + 2).toString()
      m.set(3, 'z'.charCodeAt(0))
      out.written = fs.readFileSync(file).subarray(0, 5).toString()
      out.size = m.size()
      out.length = m.length
      out.pastFileEnd = code(() => m.get(PAGE + 100))
    `)
    assert.strictEqual(out.before, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.get, 'b'.charCodeAt(0))
    assert.strictEqual(out.find, PAGE)
    assert.strictEqual(out.slice, 'aabb')
    assert.strictEqual(out.written, 'aaaza')
    assert.strictEqual(out.size, PAGE + 100)
    assert.strictEqual(out.length, 3 * PAGE)
    assert.strictEqual(out.pastFileEnd, 'ERR_MMAP_TRUNCATED')
  })

  it('keeps failing calls on the lost part after a view touched it first', function () {
    const out = probe(`
      shrink(PAGE)
      out.view = v[2 * PAGE]
      out.first = code(() => m.get(2 * PAGE))
      out.second = code(() => m.get(2 * PAGE + 1))
      out.readline = code(() => { m.seek(PAGE - 10); m.readline() })
      out.shortLine = (() => { m.set(PAGE - 5, 10); m.seek(PAGE - 10); return m.readline().length })()
    `)
    assert.strictEqual(out.view, 0)
    assert.strictEqual(out.first, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.second, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.readline, 'ERR_MMAP_TRUNCATED', 'a line that runs into the lost part')
    assert.strictEqual(out.shortLine, 6, 'a line that ends before it')
  })

  it('shows the file\'s bytes again, to calls and new views, when the file grows back', function () {
    const out = probe(`
      shrink(PAGE)
      out.lost = code(() => m.get(2 * PAGE))
      out.viewLost = v[2 * PAGE]
      fs.truncateSync(file, 3 * PAGE)
      const fd = fs.openSync(file, 'r+')
      fs.writeSync(fd, Buffer.from('XYZ'), 0, 3, 2 * PAGE)
      fs.closeSync(fd)
      out.get = String.fromCharCode(m.get(2 * PAGE))
      out.slice = m.slice(2 * PAGE, 2 * PAGE + 3).toString()
      out.newView = m.subarray(2 * PAGE, 2 * PAGE + 3).toString()
      out.oldView = String.fromCharCode(v[2 * PAGE + 1])
      out.zeros = m.slice(PAGE, PAGE + 2).toString('hex')
      m.set(2 * PAGE + 3, 'W'.charCodeAt(0))
      m.flush()
      out.file = fs.readFileSync(file).subarray(2 * PAGE, 2 * PAGE + 4).toString()
    `)
    assert.strictEqual(out.lost, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.viewLost, 0)
    assert.strictEqual(out.get, 'X')
    assert.strictEqual(out.slice, 'XYZ')
    assert.strictEqual(out.newView, 'XYZ')
    assert.strictEqual(out.oldView, 'Y')
    assert.strictEqual(out.zeros, '0000', 'the regrown file holds zeros there')
    assert.strictEqual(out.file, 'XYZW')
  })

  it('recovers through resize(), which grows the file back', function () {
    const out = probe(`
      shrink(PAGE)
      out.lost = code(() => m.get(2 * PAGE))
      m.resize(3 * PAGE)
      out.get = m.get(2 * PAGE)
      m.set(2 * PAGE, 7)
      m.flush()
      out.file = fs.readFileSync(file)[2 * PAGE]
    `)
    assert.strictEqual(out.lost, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.get, 0)
    assert.strictEqual(out.file, 7)
  })

  it('guards read-only, copy-on-write and offset maps too', function () {
    const out = probe(`
      const ro = mmap.open(file)
      const cow = mmap.open(file, { access: mmap.ACCESS_COPY })
      const off = mmap.open(file, { offset: 100 })
      shrink(PAGE)
      out.ro = code(() => ro.get(2 * PAGE))
      out.roView = ro.subarray()[2 * PAGE]
      out.cow = code(() => cow.slice(PAGE, PAGE + 4))
      out.off = code(() => off.get(PAGE))
      out.offKept = String.fromCharCode(off.get(PAGE - 101))
    `)
    assert.strictEqual(out.ro, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.roView, 0)
    assert.strictEqual(out.cow, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.off, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.offKept, 'a')
  })

  it('leaves a SIGBUS that is not a fault in a map to the default action', function () {
    const file = tempFile('abc')
    try {
      const r = runChild(`
        const mmap = require(MMAP)
        const m = mmap.open(${JSON.stringify(file)})
        m.get(0)
        process.kill(process.pid, 'SIGBUS')
        setTimeout(() => console.log('survived'), 200)
      `)
      assert.strictEqual(r.signal, 'SIGBUS')
      assert.doesNotMatch(r.stdout, /survived/)
    } finally {
      removeFile(file)
    }
  })
})
