'use strict'
// durability.test.js: nothing is lost: flushed data survives SIGKILL, two processes see each
// other's writes through a shared file map, failing writes, slice assignments and resizes (out of
// range, RLIMIT_FSIZE, a full tmpfs) change nothing, and create/close cycles leak nothing.
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const readline = require('readline')
const util = require('util')
const { spawn, spawnSync } = require('child_process')
const mmap = require('..')
const helpers = require('./helpers')
const { root, tempDir, tempFile, captureThrow, skip } = helpers
const writer = require('./fixtures/reliability-writer')

const { Mmap, PAGESIZE, MAP_PRIVATE } = mmap
const isWindows = process.platform === 'win32'
const isLinux = process.platform === 'linux'
const fixture = (name) => path.join(__dirname, 'fixtures', name)

// Byte i is (i * 7 + salt) % 251, salt 0 unless given.
const pattern = (size, salt = 0) => helpers.pattern(size, salt)

// A child node process that talks in lines: next() resolves with the next
// line of its stdout; exited resolves with { code, signal, stderr }.
function startChild (args) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })))
  const lines = readline.createInterface({ input: child.stdout })
  const queue = []
  const waiting = []
  lines.on('line', (line) => waiting.length ? waiting.shift().resolve(line) : queue.push(line))
  exited.then((status) => {
    for (const w of waiting.splice(0)) {
      w.reject(new Error(`the child exited (${status.code ?? status.signal}) before answering\n${status.stderr}`))
    }
  })
  const next = () => queue.length
    ? Promise.resolve(queue.shift())
    : new Promise((resolve, reject) => waiting.push({ resolve, reject }))
  return { child, next, exited }
}

// A peer (fixtures/reliability-peer.js) mapping `file`; ask() sends one
// command and returns its answer (and fails on an error answer).
async function startPeer (file, how) {
  const p = startChild([fixture('reliability-peer.js'), file, how])
  const hello = JSON.parse(await p.next())
  assert.ok('ready' in hello, `the peer said ${JSON.stringify(hello)}`)
  p.ask = async (command) => {
    p.child.stdin.write(JSON.stringify(command) + '\n')
    const reply = JSON.parse(await p.next())
    assert.ok(!('error' in reply), `${JSON.stringify(command)} failed in the peer: ${reply.error}`)
    return reply.value
  }
  p.stop = async () => {
    p.child.stdin.end()
    const status = await p.exited
    assert.deepStrictEqual([status.code, status.signal], [0, null], status.stderr)
  }
  return p
}

describe('nothing lost when the process is killed', function () {
  // The writer maps the file at an unaligned offset, writes 42 runs of
  // bytes (many across page boundaries) five different ways, flushes, says
  // "ready" and is killed with SIGKILL at once.
  async function killAfter (mode, seed) {
    const size = 5 * PAGESIZE + 123
    const offset = 1000
    const initial = pattern(size, seed)
    const file = tempFile(initial)
    const w = startChild([fixture('reliability-writer.js'), file, String(offset), String(seed), mode])
    const line = await w.next()
    assert.strictEqual(line, 'ready')
    w.child.kill('SIGKILL')
    const status = await w.exited
    assert.deepStrictEqual([status.code, status.signal], [null, 'SIGKILL'], status.stderr)
    const disk = fs.readFileSync(file)
    const want = writer.expected(initial, offset, seed)
    assert.strictEqual(disk.length, size)
    assert.ok(!disk.equals(initial), 'the writer changed nothing at all')
    if (!disk.equals(want)) {
      let at = 0
      while (disk[at] === want[at]) at++
      assert.fail(`the file differs from what was written, from byte ${at}`)
    }
  }

  it('keeps what was written and flush()ed', async function () {
    await killAfter('flush', 1)
  })

  it('keeps what was written once flushAsync() has resolved', async function () {
    await killAfter('flushAsync', 2)
  })

  it('keeps writes flushed run by run with unaligned flush(offset, size)', async function () {
    await killAfter('flush-ranges', 3)
  })
})

describe('two processes sharing a file map', function () {
  let peers = []
  afterEach(function () {
    for (const p of peers) p.child.kill('SIGKILL')
    peers = []
  })

  async function two (file, howA, howB) {
    peers = [await startPeer(file, howA), await startPeer(file, howB)]
    return peers
  }

  it('see each other\'s writes at once, without flush, whichever way they write', async function () {
    const size = 4 * PAGESIZE
    const file = tempFile(pattern(size))
    const [a, b] = await two(file, 'new', 'open-write')
    // B keeps a view from before A writes: it shows the new bytes too.
    await b.ask({ op: 'keepView', at: PAGESIZE - 100, n: 300 })
    const one = pattern(300, 17).toString('hex')
    assert.strictEqual(await a.ask({ op: 'write', at: PAGESIZE - 100, hex: one }), 300)
    assert.strictEqual(await b.ask({ op: 'slice', at: PAGESIZE - 100, n: 300 }), one)
    assert.strictEqual(await b.ask({ op: 'viewRead' }), one)

    const second = pattern(5000, 29).toString('hex')
    await b.ask({ op: 'setSlice', at: 2 * PAGESIZE - 2000, hex: second })
    assert.strictEqual(await a.ask({ op: 'read', at: 2 * PAGESIZE - 2000, n: 5000 }), second)

    const three = Buffer.from('needle in the shared map').toString('hex')
    await a.ask({ op: 'viewWrite', at: 3 * PAGESIZE + 7, hex: three })
    assert.strictEqual(await b.ask({ op: 'find', hex: three }), 3 * PAGESIZE + 7)

    await b.ask({ op: 'move', dest: 10, src: 3 * PAGESIZE + 7, count: 24 })
    assert.strictEqual(await a.ask({ op: 'slice', at: 10, n: 24 }), three)

    await a.stop()
    await b.stop()
    const disk = fs.readFileSync(file)
    assert.strictEqual(disk.subarray(PAGESIZE - 100, PAGESIZE - 100 + 300).toString('hex'), pattern(300, 17).toString('hex'))
    assert.strictEqual(disk.subarray(10, 34).toString(), 'needle in the shared map')
  })

  it('a reader that opened the file with the default ACCESS_READ sees the writer\'s changes', async function () {
    const file = tempFile(pattern(3 * PAGESIZE))
    const [w, r] = await two(file, 'open-write', 'open-read')
    await r.ask({ op: 'keepView', at: 0, n: 3 * PAGESIZE })
    // The reader has already read every page before the writer writes.
    assert.strictEqual(await r.ask({ op: 'slice', at: 0, n: 3 * PAGESIZE }), pattern(3 * PAGESIZE).toString('hex'))
    for (const at of [0, PAGESIZE - 3, 2 * PAGESIZE + 100]) {
      // Text the file holds nowhere else, so find() has one answer.
      const hex = Buffer.from(`written at ${at} by the other process`).toString('hex')
      await w.ask({ op: 'write', at, hex })
      assert.strictEqual(await r.ask({ op: 'slice', at, n: hex.length / 2 }), hex, `the reader misses the write at ${at}`)
      assert.strictEqual(await r.ask({ op: 'find', hex }), at)
    }
    const all = await r.ask({ op: 'viewRead' })
    assert.strictEqual(all, fs.readFileSync(file).toString('hex'))
  })

  it('see each other\'s writes in the part of the file a resize() added', async function () {
    const file = tempFile(pattern(PAGESIZE + 10))
    const [a, b] = await two(file, 'new', 'new')
    await a.ask({ op: 'resize', n: 3 * PAGESIZE + 5 })
    assert.deepStrictEqual(await b.ask({ op: 'state' }), { length: PAGESIZE + 10, size: 3 * PAGESIZE + 5 })
    await b.ask({ op: 'resize', n: 3 * PAGESIZE + 5 })
    const hex = pattern(2 * PAGESIZE, 5).toString('hex')
    await a.ask({ op: 'write', at: PAGESIZE + 5, hex })
    assert.strictEqual(await b.ask({ op: 'slice', at: PAGESIZE + 5, n: 2 * PAGESIZE }), hex)
    await b.ask({ op: 'setSlice', at: 3 * PAGESIZE, hex: 'abcdef0102' })
    assert.strictEqual(await a.ask({ op: 'slice', at: 3 * PAGESIZE, n: 5 }), 'abcdef0102')
    await a.stop()
    await b.stop()
    assert.strictEqual(fs.statSync(file).size, 3 * PAGESIZE + 5)
    assert.strictEqual(fs.readFileSync(file).subarray(3 * PAGESIZE).toString('hex'), 'abcdef0102')
  })
})

describe('failed operations change nothing', function () {
  // The map's length, position and bytes, a view's length and bytes, and
  // the file's size and bytes.
  function state (m, file, view) {
    return {
      length: m.length,
      pos: m.tell(),
      bytes: m.slice().toString('hex'),
      view: Buffer.from(view).toString('hex'),
      size: file === null ? null : fs.statSync(file).size,
      file: file === null ? null : fs.readFileSync(file).toString('hex')
    }
  }

  function fileMap (size, offset = 0) {
    const file = tempFile(pattern(size, 3))
    const fd = fs.openSync(file, 'r+')
    try {
      return { file, m: new Mmap(fd, 0, { offset }) }
    } finally {
      fs.closeSync(fd)
    }
  }

  it('a write() past the end writes nothing and keeps the position', function () {
    const { file, m } = fileMap(2 * PAGESIZE, 100)
    m.seek(m.length - 3)
    const view = m.subarray()
    const before = state(m, file, view)
    const err = captureThrow(() => m.write(Buffer.alloc(10, 0xee)))
    assert.ok(err instanceof RangeError)
    assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    assert.deepStrictEqual(state(m, file, view), before)
    m.close()
  })

  it('a setSlice() of the wrong size writes nothing, with any step', function () {
    const { file, m } = fileMap(2 * PAGESIZE, 4095)
    const view = m.subarray()
    const before = state(m, file, view)
    for (const [start, end, size, step] of [[0, 100, 99, 1], [0, 100, 101, 1], [10, 5000, 2496, 2],
      [5000, 10, 1000, -5], [undefined, undefined, m.length + 1, undefined]]) {
      const err = captureThrow(() => m.setSlice(start, end, Buffer.alloc(size, 0xee), step))
      assert.ok(err instanceof RangeError)
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      assert.deepStrictEqual(state(m, file, view), before)
    }
    m.close()
  })

  it('a resize(2 ** 50) of a file map fails with an OS error and leaves map, view and file as they were', function () {
    const { file, m } = fileMap(3 * PAGESIZE + 7, 5)
    m.seek(17)
    const view = m.subarray()
    const before = state(m, file, view)
    const err = captureThrow(() => m.resize(2 ** 50))
    if (helpers.is32Bit) {
      // A 32-bit size_t cannot hold the length: refused before any system call.
      assert.deepStrictEqual([err.constructor, err.code], [RangeError, 'ERR_OUT_OF_RANGE'])
    } else {
      // ext4 refuses the file size (EFBIG); filesystems that take it cannot
      // map a petabyte (ENOMEM), and the file gets its old size back.
      // Windows: SetEndOfFile refuses the size (EINVAL).
      assert.ok(['EFBIG ftruncate', 'ENOMEM mremap', 'ENOMEM mmap', 'EINVAL ftruncate'].includes(`${err.code} ${err.syscall}`),
        `${err.code} ${err.syscall}: ${err.message}`)
      assert.strictEqual(err.constructor, Error)
    }
    assert.deepStrictEqual(state(m, file, view), before)
    // Still usable, and still backed by the same file.
    m.set(0, 0x77)
    assert.strictEqual(fs.readFileSync(file)[5], 0x77)
    assert.strictEqual(view[0], 0x77)
    m.close()
  })

  it('a resize(2 ** 50) of an anonymous map fails with an OS error and leaves it as it was', function () {
    for (const flags of [mmap.MAP_SHARED, MAP_PRIVATE]) {
      const m = new Mmap(-1, 2 * PAGESIZE, { flags })
      m.setSlice(0, 2 * PAGESIZE, pattern(2 * PAGESIZE, 9))
      m.seek(5)
      const view = m.subarray()
      const before = state(m, null, view)
      const err = captureThrow(() => m.resize(2 ** 50))
      if (helpers.is32Bit) {
        // A 32-bit size_t cannot hold the length: refused before any system call.
        assert.deepStrictEqual([err.constructor, err.code], [RangeError, 'ERR_OUT_OF_RANGE'])
      } else {
        // mmap() answers ENOMEM; Linux's mremap() EINVAL (past the address space).
        assert.ok(['ENOMEM mmap', 'ENOMEM mremap', 'EINVAL mremap'].includes(`${err.code} ${err.syscall}`),
          `${err.code} ${err.syscall}: ${err.message}`)
        assert.strictEqual(util.getSystemErrorName(err.errno), err.code)
      }
      assert.deepStrictEqual(state(m, null, view), before)
      m.close()
    }
  })

  // RLIMIT_FSIZE makes ftruncate() fail with EFBIG (Node ignores the
  // SIGXFSZ that comes with it). A full disk is tried with a tmpfs below.
  it('a resize() past RLIMIT_FSIZE fails with EFBIG and changes nothing; one within the limit works', function () {
    if (isWindows) skip(this, 'Windows has no RLIMIT_FSIZE')
    const dir = fs.mkdtempSync(path.join(tempDir(), 'fsize-'))
    // ulimit -f counts 512-byte blocks in POSIX sh: 64 blocks = 32 KiB.
    const r = spawnSync('sh', ['-c', `ulimit -f 64 && exec "${process.execPath}" "${fixture('reliability-full.js')}" fsize "${dir}"`],
      { encoding: 'utf8', timeout: helpers.slow(60000) })
    assert.deepStrictEqual([r.status, r.signal], [0, null], r.stderr)
    const out = JSON.parse(r.stdout)
    if (isLinux) assert.strictEqual(out.limit, '32768')
    for (const [name, c] of Object.entries(out.cases)) {
      const efbig = { name: 'Error', code: 'EFBIG', syscall: 'ftruncate' }
      assert.deepStrictEqual(c.grow, efbig, name)
      // 2 ** 50 does not fit a 32-bit size_t: refused before the ftruncate().
      assert.deepStrictEqual(c.huge, helpers.is32Bit ? { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' } : efbig, name)
      assert.deepStrictEqual(c.after, c.before, name)
      assert.strictEqual(c.unchanged, true, `${name}: bytes changed`)
      assert.strictEqual(c.within, 'ok', name)
    }
    assert.deepStrictEqual(out.cases['at offset 0'].grown, [24576, 24576, 0x5a, 0x5a])
    assert.deepStrictEqual(out.cases['at offset 5000'].grown, [19576, 24576, 0x5a, 0x5a])
  })

  it('writes into pages a full tmpfs cannot back fail with a coded error, write nothing and do not crash', function () {
    if (!isLinux) skip(this, 'needs Linux mount namespaces to mount a small tmpfs')
    const probe = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$0"', tempDir()],
      { encoding: 'utf8' })
    if (probe.error || probe.status !== 0) {
      skip(this, `cannot mount a small tmpfs here (unshare -rm: ${probe.error ? probe.error.code : probe.stderr.trim()})`)
    }
    // The mount lives in the child's own mount namespace and goes with it.
    const dir = fs.mkdtempSync(path.join(tempDir(), 'tmpfs-'))
    const script = `mount -t tmpfs -o size=64k tmpfs "$0" && exec "${process.execPath}" "${fixture('reliability-full.js')}" tmpfs "$0"`
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', script, dir], { encoding: 'utf8', timeout: helpers.slow(60000) })
    assert.strictEqual(r.signal, null, `the child was killed by ${r.signal}\n${r.stderr}`)
    assert.strictEqual(r.status, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.strictEqual(out.grew, 'ok')
    assert.strictEqual(out.filled, 'ENOSPC')
    assert.strictEqual(out.free, 0)
    assert.strictEqual(Object.keys(out.results).length, 6)
    for (const [name, result] of Object.entries(out.results)) {
      // The file still covers these pages: the fault is the full disk's,
      // reported as the OS's ENOSPC, not as a truncated file.
      assert.strictEqual(result.name, 'Error', `${name}: ${JSON.stringify(result)}`)
      assert.strictEqual(result.code, 'ENOSPC', `${name}: ${JSON.stringify(result)}`)
    }
    const changed = Object.keys(out.results).filter((name) => !out.results[name].unchanged)
    assert.deepStrictEqual(changed, [], 'these failed calls changed the map or the file')
    assert.strictEqual(out.retry, 'ok')
    assert.strictEqual(out.landed, true)
  })
})

describe('create/close cycles under stress', function () {
  // MMAP_NATIVE_TEST_SCALE scales the cycles down in the emulated stages (helpers.scaled).
  const cycles = helpers.scaled(20000)
  it(`${cycles.toLocaleString('en-US')} cycles of scripts/stress.js leave mappings, descriptors and RSS flat`, function () {
    if (!isLinux) skip(this, 'counts mappings and descriptors in /proc (Linux)')
    const r = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'scripts', 'stress.js'), '--count', String(cycles)],
      { encoding: 'utf8', timeout: helpers.slow(120000) })
    assert.deepStrictEqual([r.status, r.signal], [0, null], `${r.stdout}\n${r.stderr}`)
    const lines = r.stdout.trim().split('\n')
    const result = JSON.parse(lines[lines.length - 1])
    assert.strictEqual(result.count, cycles)
    assert.deepStrictEqual(result.problems, [])
    assert.strictEqual(result.end.ours, 0)
    assert.ok(result.end.fds - result.start.fds <= 4)
  })
})
