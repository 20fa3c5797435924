'use strict'
// guard.test.js: the fault guard (a file truncated under its map) holds under concurrency: pool
// threads touching views while close()/resize() run, SIGBUS listeners, many lost pages, faults on
// other threads, a failed resize, flush over a lost range. Each probe runs in a child process
// whose exit the test asserts (a broken guard kills it by SIGBUS).
const assert = require('assert')
const { runChild, tempFile, removeFile, skip, posixOnly, linuxOnly } = require('./helpers')

const mmap = require('..')
const PAGE = mmap.PAGESIZE

// Runs `body` in a child with fs, mmap, PAGE, `file` (a temp file of `size`
// bytes of 'a'), code(fn) (the code fn throws, or 'ok') and `out` (printed
// as JSON); asserts the child exited 0 and returns out.
function probe (body, { size = 3 * PAGE, timeout = 60000 } = {}) {
  const file = tempFile(Buffer.alloc(size, 'a'))
  try {
    const r = runChild(`
      const fs = require('fs')
      const crypto = require('crypto')
      const mmap = require(MMAP)
      const PAGE = mmap.PAGESIZE
      const file = ${JSON.stringify(file)}
      const code = (fn) => { try { fn(); return 'ok' } catch (e) { return e.code } }
      const mapCount = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length
      const out = {}
      ;(async () => {
        ${body}
      })().then(() => console.log(JSON.stringify(out)), (e) => { console.error(e); process.exit(3) })
    `, { timeout })
    assert.strictEqual(r.signal, null, `child died by ${r.signal}: ${r.stderr}`)
    assert.strictEqual(r.status, 0, `child exited ${r.status}: ${r.stderr}`)
    return JSON.parse(r.stdout.trim().split('\n').pop())
  } finally {
    removeFile(file)
  }
}

describe('fault guard under concurrency', function () {
  before(function () {
    posixOnly(this, 'SIGBUS, fork and the POSIX fault guard')
  })
  this.timeout(120000)

  it('survives close() while pool threads touch a view of a truncated file, and still guards afterwards', function () {
    const out = probe(`
      for (let round = 0; round < 10; round++) {
        fs.writeFileSync(file, Buffer.alloc(16 << 20, 'a'))
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        const v = m.subarray()
        fs.truncateSync(file, 0)
        let left = 4096
        const done = new Promise((resolve) => {
          for (let i = 0; i < 4096; i++) crypto.randomFill(v, i * PAGE, 1, () => { if (--left === 0) resolve() })
        })
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
        m.close()
        await done
      }
      // The guard is still in force for the whole process.
      fs.writeFileSync(file, Buffer.alloc(3 * PAGE, 'a'))
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      fs.truncateSync(file, PAGE)
      out.after = code(() => m.get(2 * PAGE))
    `)
    assert.strictEqual(out.after, 'ERR_MMAP_TRUNCATED')
  })

  it('survives a growing resize() while pool threads touch a view of a truncated file', function () {
    const out = probe(`
      for (let round = 0; round < 10; round++) {
        fs.writeFileSync(file, Buffer.alloc(16 << 20, 'a'))
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        const v = m.subarray()
        fs.truncateSync(file, 0)
        let left = 4096
        const done = new Promise((resolve) => {
          for (let i = 0; i < 4096; i++) crypto.randomFill(v, i * PAGE, 1, () => { if (--left === 0) resolve() })
        })
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
        m.resize(32 << 20)
        out.size = fs.statSync(file).size
        await done
        m.close()
      }
      fs.writeFileSync(file, Buffer.alloc(3 * PAGE, 'a'))
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      fs.truncateSync(file, PAGE)
      out.after = code(() => m.get(2 * PAGE))
    `)
    assert.strictEqual(out.size, 32 << 20)
    assert.strictEqual(out.after, 'ERR_MMAP_TRUNCATED')
  })

  it('costs a few mappings, not one per page, when views read many lost pages (vm.max_map_count)', function () {
    const out = probe(`
      const size = 320 << 20
      fs.truncateSync(file, size)
      for (const access of [mmap.ACCESS_WRITE, mmap.ACCESS_COPY, mmap.ACCESS_READ]) {
        for (const order of ['up', 'down']) {
          fs.truncateSync(file, size)
          const m = mmap.open(file, { access })
          const before = mapCount()
          fs.truncateSync(file, 0)
          const v = new Uint8Array(m.buffer)
          let sum = 0
          if (order === 'up') for (let p = 0; p < size; p += 2 * PAGE) sum += v[p]
          else for (let p = size - PAGE; p >= 0; p -= 2 * PAGE) sum += v[p]
          out[access + order] = { added: mapCount() - before, sum }
          m.close()
        }
      }
    `, { size: PAGE })
    for (const [name, r] of Object.entries(out)) {
      assert.strictEqual(r.sum, 0, name)
      assert.ok(r.added <= 16, `${name}: ${r.added} mappings added`)
    }
  })

  it('fails a call only for faults in its own range, not for views touched on pool threads', function () {
    const out = probe(`
      const size = 4 << 20, half = size / 2
      fs.writeFileSync(file, Buffer.alloc(size, 'a'))
      const fd = fs.openSync(file, 'r+')
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const v = m.subarray()
      out.calls = 0
      out.failed = 0
      for (let round = 0; round < 20; round++) {
        fs.ftruncateSync(fd, size)
        m.get(0) // the file covers the map again: its pages come back
        fs.ftruncateSync(fd, half)
        let left = 256
        for (let i = 0; i < 256; i++) crypto.randomFill(v, half + i * PAGE * 2, 1, () => { left-- })
        while (left > 0) {
          out.calls++
          if (code(() => m.find('zz', 0, half)) !== 'ok') out.failed++
          await new Promise((resolve) => setImmediate(resolve))
        }
      }
      fs.closeSync(fd)
    `)
    assert.ok(out.calls > 20)
    assert.strictEqual(out.failed, 0, `${out.failed} of ${out.calls} calls over backed bytes failed`)
  })

  it('keeps copy-on-write writes made after the file grew back when a module call gives back lost pages', function () {
    const out = probe(`
      const m = mmap.open(file, { access: mmap.ACCESS_COPY })
      fs.truncateSync(file, 0)
      out.lost = m.subarray(PAGE, PAGE + 1)[0]
      fs.writeFileSync(file, Buffer.alloc(3 * PAGE, 'b'))
      const w = m.subarray(2 * PAGE, 2 * PAGE + 2)
      w[0] = 'X'.charCodeAt(0)
      out.get = m.get(PAGE)
      out.kept = m.get(2 * PAGE)
      out.view = String.fromCharCode(...m.subarray(2 * PAGE, 2 * PAGE + 2))
      out.file = fs.readFileSync(file, 'latin1').slice(2 * PAGE, 2 * PAGE + 2)
    `)
    assert.strictEqual(out.lost, 0)
    assert.strictEqual(out.get, 'b'.charCodeAt(0))
    assert.strictEqual(out.kept, 'X'.charCodeAt(0))
    assert.strictEqual(out.view, 'Xb')
    assert.strictEqual(out.file, 'bb')
  })

  it('keeps copy-on-write writes made through a view taken before the truncation', function () {
    const out = probe(`
      const m = mmap.open(file, { access: mmap.ACCESS_COPY })
      const v = m.subarray()
      fs.truncateSync(file, 0)
      out.lost = v[PAGE]
      fs.writeFileSync(file, Buffer.alloc(3 * PAGE, 'b'))
      v[2 * PAGE] = 'X'.charCodeAt(0)
      out.get = m.get(PAGE)
      out.kept = m.get(2 * PAGE)
      out.view = String.fromCharCode(v[PAGE], v[2 * PAGE], v[2 * PAGE + 1])
      out.file = fs.readFileSync(file, 'latin1').slice(2 * PAGE, 2 * PAGE + 2)
    `)
    assert.strictEqual(out.lost, 0)
    assert.strictEqual(out.get, 'b'.charCodeAt(0), 'a page only read shows the file again')
    assert.strictEqual(out.kept, 'X'.charCodeAt(0), 'a page this process wrote stays its own')
    assert.strictEqual(out.view.slice(0, 2), 'bX')
    assert.strictEqual(out.file, 'bb')
  })

  it('shows the file\'s bytes to new views once a truncated file grows back, before any other call', function () {
    const out = probe(`
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const at = PAGE + 7
      fs.truncateSync(file, 0)
      out.zero = m.subarray(at, at + 2)[0]
      fs.writeFileSync(file, Buffer.alloc(3 * PAGE, 'b'))
      out.view = m.subarray(at, at + 2).toString()
      out.buffer = Buffer.from(m.buffer, at, 2).toString()
    `)
    assert.strictEqual(out.zero, 0)
    assert.strictEqual(out.view, 'bb')
    assert.strictEqual(out.buffer, 'bb')
  })

  it('keeps the guard when a process.on(\'SIGBUS\') listener is added or removed, and the listener hears kill()', function () {
    const out = probe(`
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      let heard = 0
      const listener = () => { heard++ }
      process.on('SIGBUS', listener)
      fs.truncateSync(file, PAGE)
      out.withListener = code(() => m.get(2 * PAGE))
      out.viewWith = new Uint8Array(m.buffer)[2 * PAGE + 1]
      process.kill(process.pid, 'SIGBUS')
      await new Promise((resolve) => setTimeout(resolve, 100))
      out.heard = heard
      process.off('SIGBUS', listener)
      fs.truncateSync(file, 0)
      out.afterRemoval = code(() => m.get(5))
      out.viewAfter = new Uint8Array(m.buffer)[7]
      process.once('SIGBUS', () => {})
      process.removeAllListeners('SIGBUS')
      out.afterRemoveAll = code(() => m.get(6))
    `)
    assert.deepStrictEqual(out, {
      withListener: 'ERR_MMAP_TRUNCATED',
      viewWith: 0,
      heard: 1,
      afterRemoval: 'ERR_MMAP_TRUNCATED',
      viewAfter: 0,
      afterRemoveAll: 'ERR_MMAP_TRUNCATED'
    })
  })

  it('throws ERR_MMAP_TRUNCATED from flush() and flushAsync() of a writable map over a lost range', function () {
    const out = probe(`
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      fs.truncateSync(file, PAGE)
      out.flush = code(() => m.flush())
      out.flushLost = code(() => m.flush(2 * PAGE, PAGE))
      out.flushBacked = code(() => m.flush(0, PAGE))
      out.flushAsync = await m.flushAsync().then(() => 'ok', (e) => e.code)
      out.flushAsyncBacked = await m.flushAsync(0, PAGE).then(() => 'ok', (e) => e.code)
      const c = mmap.open(file, { access: mmap.ACCESS_COPY })
      fs.truncateSync(file, 0)
      out.copy = code(() => c.flush())
    `)
    assert.deepStrictEqual(out, {
      flush: 'ERR_MMAP_TRUNCATED',
      flushLost: 'ERR_MMAP_TRUNCATED',
      flushBacked: 'ok',
      flushAsync: 'ERR_MMAP_TRUNCATED',
      flushAsyncBacked: 'ok',
      copy: 'ok'
    })
  })

  it('leaves the map and m.buffer working after a resize() that failed (sealed memfd)', function () {
    linuxOnly(this, 'memfd seals')
    // A memfd sealed against shrinking (3 pages, 1 mapped): resize(2 * PAGE) grows
    // the map, then cannot shrink the file back to 2 pages (EPERM) and undoes itself.
    // Run the probe under python3, which creates the memfd with F_SEAL_SHRINK on fd 3.
    const { spawnSync } = require('child_process')
    const py = spawnSync('python3', ['-c', `
import os, fcntl, subprocess, sys
fd = os.memfd_create('t', os.MFD_ALLOW_SEALING)
os.ftruncate(fd, 3 * ${PAGE})
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
os.dup2(fd, 3)
r = subprocess.run([sys.argv[1], '-e', sys.argv[2]], pass_fds=(3,), capture_output=True, text=True)
sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); sys.exit(r.returncode if r.returncode >= 0 else 100 - r.returncode)
`, process.execPath, `const MMAP = ${JSON.stringify(require('./helpers').root)};
      const mmap = require(MMAP)
      const PAGE = mmap.PAGESIZE
      const m = new mmap.Mmap(3, PAGE, { access: mmap.ACCESS_WRITE })
      const b = m.buffer
      let err = 'none'
      try { m.resize(2 * PAGE) } catch (e) { err = e.code }
      const view = m.subarray(0, 4)
      view[0] = 7
      console.log(JSON.stringify({ err, length: m.length, view: view.length, first: m.get(0), bufLen: m.buffer.byteLength }))
    `], { encoding: 'utf8' })
    if (py.error) skip(this, `no python3 to make the sealed memfd (${py.error.code})`)
    assert.strictEqual(py.status, 0, py.stderr)
    const out = JSON.parse(py.stdout.trim().split('\n').pop())
    assert.deepStrictEqual(out, { err: 'EPERM', length: PAGE, view: 4, first: 7, bufLen: PAGE })
  })
})
