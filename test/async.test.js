'use strict'
// async.test.js: findAsync / rfindAsync / countAsync on the thread pool (split across threads and
// merged exactly), prefetch, residency, lock and unlock; abort, close, resize and truncation.
const assert = require('assert')
const fs = require('fs')
const { execFileSync } = require('child_process')
const { Worker } = require('worker_threads')
const mmap = require('..')
const binding = require('../lib/binding')
const {
  resources, random, pattern, sparseFile, removeFile, runChildJson, posixOnly, skip, errnoOf
} = require('./helpers')

const PAGE = mmap.PAGESIZE
const isWindows = process.platform === 'win32'
const isLinux = process.platform === 'linux'
const defaultTuning = binding.scanTuning()

// Runs fn with at least minPart match starts per thread and chunks of `chunk`
// starts (raised to the needle's length), so chunk ends fall everywhere.
async function withTuning (minPart, chunk, fn) {
  binding.scanTuning(minPart, chunk)
  try {
    return await fn()
  } finally {
    binding.scanTuning(...defaultTuning)
  }
}

async function rejection (promise) {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the promise to reject')
}

// The three sync answers and the three async ones for the same call.
async function both (m, sub, start, end, threads) {
  const opts = threads === undefined ? undefined : { threads }
  return {
    sync: [m.find(sub, start, end), m.rfind(sub, start, end), m.count(sub, start, end)],
    async: [
      await m.findAsync(sub, start, end, opts),
      await m.rfindAsync(sub, start, end, opts),
      await m.countAsync(sub, start, end, opts)
    ]
  }
}

describe('findAsync, rfindAsync, countAsync: the sync results, from the thread pool', function () {
  const r = resources()
  afterEach(r.cleanup)

  it('equals find, rfind and count on random inputs with chunk ends everywhere', async function () {
    this.timeout(120000)
    const rand = random(14)
    const int = (n) => Math.floor(rand() * n)
    for (let round = 0; round < 200; round++) {
      // Small alphabets make many matches, overlapping ones and periodic runs.
      const size = 1 + int(3000)
      const alphabet = 1 + int(3)
      const data = Buffer.alloc(size)
      for (let i = 0; i < size; i++) data[i] = 97 + int(alphabet)
      if (round % 3 === 0) data.fill('ab'.repeat(size), 0, size) // periodic
      const { m } = r.mapFile(data)
      await withTuning(1 + int(64), 1 + int(40), async () => {
        for (let q = 0; q < 12; q++) {
          // Needles from the data (so they match), up to longer than the chunk size asked for.
          const k = int(4) === 0 ? int(200) : int(6)
          const at = int(size)
          const sub = q % 4 === 0 ? Buffer.from('a'.repeat(k)) : data.subarray(at, at + k)
          const start = int(3) === 0 ? undefined : int(size + 10) - 5
          const end = int(3) === 0 ? undefined : int(size + 10) - 5
          const threads = 1 + int(8)
          const got = await both(m, sub, start, end, threads)
          assert.deepStrictEqual(got.async, got.sync,
            `size ${size}, needle ${JSON.stringify(sub.toString())}, start ${start}, end ${end}, threads ${threads}`)
        }
      })
      m.close()
    }
  })

  it('counts a self-overlapping needle over periodic data, where the chains of two chunks never meet', async function () {
    const data = Buffer.alloc(10007, 'a')
    const { m } = r.mapFile(data)
    await withTuning(7, 3, async () => {
      for (const k of [1, 2, 3, 5, 64, 100, 5000, 10007, 10008]) {
        for (const threads of [2, 3, 4, 16]) {
          const sub = Buffer.alloc(k, 'a')
          assert.strictEqual(await m.countAsync(sub, 0, undefined, { threads }), Math.floor(10007 / k), `k ${k}`)
          assert.strictEqual(await m.countAsync(sub, 1, undefined, { threads }), Math.floor(10006 / k), `k ${k}`)
        }
      }
    })
  })

  it('finds a match straddling a chunk boundary once, and needles longer than the chunk size asked for', async function () {
    const data = Buffer.alloc(4000, '.')
    data.write('NEEDLE', 998) // straddles 1000 (chunks of 100 starts)
    data.write('NEEDLE', 2997)
    const { m } = r.mapFile(data)
    await withTuning(100, 100, async () => {
      assert.strictEqual(await m.findAsync('NEEDLE', 0, undefined, { threads: 4 }), 998)
      assert.strictEqual(await m.rfindAsync('NEEDLE', 0, undefined, { threads: 4 }), 2997)
      assert.strictEqual(await m.countAsync('NEEDLE', 0, undefined, { threads: 4 }), 2)
      const long = data.subarray(500, 3500) // 3000 bytes: longer than the chunks asked for
      assert.strictEqual(await m.findAsync(long, 0, undefined, { threads: 4 }), 500)
      assert.strictEqual(await m.countAsync(long, 0, undefined, { threads: 4 }), 1)
      assert.strictEqual(await m.rfindAsync(long, 0, undefined, { threads: 4 }), 500)
    })
  })

  it('searches past 4 GiB in a sparse file like the sync methods', async function () {
    this.timeout(300000)
    if (process.arch === 'ia32' || process.arch === 'arm') return skip(this, 'needs a 64-bit address space')
    const size = 2 ** 32 + 64 * 1024 * 1024
    const file = sparseFile(size)
    if (file === null) return skip(this, 'the file system makes no sparse files')
    r.files.push(file)
    const fd = fs.openSync(file, 'r+')
    const at = [2 ** 32 - 3, 2 ** 32 + 1000, 2 ** 32 + 33 * 1024 * 1024 + 5]
    for (const p of at) fs.writeSync(fd, Buffer.from('xyzzy'), 0, 5, p)
    fs.closeSync(fd)
    const m = r.track(mmap.open(file))
    const from = 2 ** 32 - 1024 * 1024
    const got = await both(m, 'xyzzy', from, undefined, 4)
    assert.deepStrictEqual(got.sync, [at[0], at[2], 3])
    assert.deepStrictEqual(got.async, got.sync)
    assert.strictEqual(await m.findAsync('xyzzy', 2 ** 32 - 2), at[1])
    assert.strictEqual(await m.countAsync('xyzzy', -(size - 2 ** 32 - 2000), -1), 1)
  })

  it('runs many scans at once on several maps, each with the sync answer', async function () {
    const rand = random(7)
    const maps = []
    for (let i = 0; i < 6; i++) {
      const data = Buffer.alloc(5000 + i * 97)
      for (let j = 0; j < data.length; j++) data[j] = 97 + Math.floor(rand() * 2)
      maps.push({ m: r.mapFile(data).m, data })
    }
    await withTuning(50, 20, async () => {
      const jobs = []
      for (let i = 0; i < 300; i++) {
        const { m, data } = maps[i % maps.length]
        const at = Math.floor(rand() * data.length)
        const sub = data.subarray(at, at + 1 + (i % 9))
        const kind = ['findAsync', 'rfindAsync', 'countAsync'][i % 3]
        const sync = ['find', 'rfind', 'count'][i % 3]
        jobs.push(m[kind](sub, 0, undefined, { threads: 1 + (i % 5) }).then((got) => assert.strictEqual(got, m[sync](sub, 0))))
      }
      await Promise.all(jobs)
    })
  })

  it('rejects (never throws) with the sync methods\' errors, checked in the same order', async function () {
    const { m } = r.mapFile('hello world')
    for (const name of ['findAsync', 'rfindAsync', 'countAsync']) {
      const sync = name.replace('Async', '')
      for (const args of [[42], [{}], ['x', 1.5], ['x', 'a'], ['x', 0, {}], [null]]) {
        let syncErr
        try { m[sync](...args) } catch (err) { syncErr = err }
        const p = m[name](...args)
        assert.ok(p instanceof Promise)
        const err = await rejection(p)
        assert.strictEqual(err.code, syncErr.code, `${name}(${args.join()})`)
        assert.strictEqual(err.constructor, syncErr.constructor)
      }
      assert.strictEqual((await rejection(m[name]('x', 0, 5, 7))).code, 'ERR_INVALID_ARG_TYPE')
      assert.strictEqual((await rejection(m[name]('x', 0, 5, { signal: {} }))).code, 'ERR_INVALID_ARG_TYPE')
      assert.strictEqual((await rejection(m[name]('x', 0, 5, { signal: null }))).code, 'ERR_INVALID_ARG_TYPE')
      for (const threads of [0, -1, 1025, 2 ** 64]) {
        assert.strictEqual((await rejection(m[name]('x', 0, 5, { threads }))).code, 'ERR_OUT_OF_RANGE')
      }
      assert.strictEqual((await rejection(m[name]('x', 0, 5, { threads: 1.5 }))).code, 'ERR_OUT_OF_RANGE')
      assert.strictEqual((await rejection(m[name]('x', 0, 5, { threads: '2' }))).code, 'ERR_INVALID_ARG_TYPE')
      // Huge and past-the-end bounds are clamped as the sync methods clamp them;
      // past 64 bits they are refused as there.
      for (const [s, e] of [[2n ** 62n, undefined], [-(2n ** 62n), 2n ** 62n], [100, 1], [-3, undefined]]) {
        assert.strictEqual(await m[name]('l', s, e), m[sync]('l', s, e))
      }
      assert.strictEqual((await rejection(m[name]('l', 2n ** 64n))).code, 'ERR_OUT_OF_RANGE')
    }
    m.close()
    for (const name of ['findAsync', 'rfindAsync', 'countAsync']) {
      assert.strictEqual((await rejection(m[name]('x'))).code, 'ERR_MMAP_CLOSED')
      // Types are checked before the closed state, as in the sync methods.
      assert.strictEqual((await rejection(m[name](42))).code, 'ERR_INVALID_ARG_TYPE')
    }
  })

  it('takes a needle that is a view of the map itself or changes after the call', async function () {
    const data = pattern(100000)
    const { m } = r.mapFile(data, 0, { access: mmap.ACCESS_WRITE })
    const view = m.subarray(70000, 70100)
    const p = m.findAsync(view)
    const q = m.countAsync(Buffer.from(data.subarray(5, 9)))
    assert.strictEqual(await p, m.find(view))
    assert.strictEqual(await q, m.count(data.subarray(5, 9)))
    const needle = Buffer.from(data.subarray(90000, 90050))
    const want = m.find(needle)
    const found = m.findAsync(needle)
    needle.fill(0) // the scan has its own copy
    assert.strictEqual(await found, want)
    assert.notStrictEqual(m.find(needle), want)
  })

  it('searches anonymous and empty maps, and from the current position by default', async function () {
    const a = r.anonymous(3 * PAGE)
    a.setSlice(PAGE - 2, PAGE + 2, Buffer.from('abcd'))
    assert.strictEqual(await a.findAsync('abcd'), PAGE - 2)
    a.seek(PAGE)
    assert.strictEqual(await a.findAsync('abcd'), -1)
    assert.strictEqual(await a.findAsync(''), PAGE)
    assert.strictEqual(await a.rfindAsync(''), 3 * PAGE)
    assert.strictEqual(await a.countAsync(''), 3 * PAGE + 1)
    const { m } = r.mapFile('')
    assert.deepStrictEqual(await Promise.all([m.findAsync('x'), m.rfindAsync(''), m.countAsync('')]), [-1, 0, 1])
  })
})

describe('findAsync, rfindAsync, countAsync, prefetch: AbortSignal', function () {
  const r = resources()
  afterEach(r.cleanup)

  it('rejects at once with an AbortError when the signal is already aborted, and queues nothing', async function () {
    const { m } = r.mapFile('hello', 0, { access: mmap.ACCESS_WRITE })
    const reason = new Error('why')
    const signal = AbortSignal.abort(reason)
    for (const p of [m.findAsync('l', 0, undefined, { signal }), m.countAsync('l', 0, undefined, { signal }),
      m.rfindAsync('l', 0, undefined, { signal }), m.prefetch(0, 5, { signal })]) {
      const err = await rejection(p)
      assert.strictEqual(err.name, 'AbortError')
      assert.strictEqual(err.code, 'ABORT_ERR')
      assert.strictEqual(err.cause, reason)
      assert.ok(err instanceof Error)
    }
    m.resize(10) // nothing is in flight
    assert.strictEqual(m.length, 10)
  })

  it('stops a running scan at its next chunk and rejects with an AbortError; the map is free again', async function () {
    const m = r.anonymous(64 * 1024 * 1024)
    await withTuning(1024 * 1024, 4096, async () => {
      for (const name of ['findAsync', 'rfindAsync', 'countAsync']) {
        const controller = new AbortController()
        const started = process.hrtime.bigint()
        const p = m[name]('not there', 0, undefined, { signal: controller.signal, threads: 2 })
        controller.abort()
        const err = await rejection(p)
        assert.strictEqual(err.code, 'ABORT_ERR', name)
        assert.strictEqual(err.name, 'AbortError')
        assert.ok(err.cause instanceof DOMException || err.cause !== undefined)
        assert.ok(process.hrtime.bigint() - started < 10n ** 10n)
      }
    })
    const controller = new AbortController()
    const p = m.prefetch(0, undefined, { signal: controller.signal })
    controller.abort()
    assert.strictEqual((await rejection(p)).code, 'ABORT_ERR')
    m.resize(PAGE) // nothing in flight any more
  })

  it('aborts a scan in flight from a timer while the event loop runs', async function () {
    const m = r.anonymous(256 * 1024 * 1024)
    await withTuning(1024 * 1024, 4096, async () => {
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 1)
      const err = await rejection(m.countAsync('zz', 0, undefined, { signal: controller.signal }))
      assert.strictEqual(err.code, 'ABORT_ERR')
    })
  })

  it('resolves with the result when the signal aborts only after the work settled', async function () {
    const { m } = r.mapFile('hello hello')
    const controller = new AbortController()
    assert.strictEqual(await m.countAsync('hello', 0, undefined, { signal: controller.signal }), 2)
    controller.abort()
    assert.strictEqual(await m.findAsync('o', 0, undefined, { signal: controller.signal }).catch((e) => e.code), 'ABORT_ERR')
  })
})

describe('findAsync, rfindAsync, countAsync, prefetch: close, resize and truncation while in flight', function () {
  const r = resources()
  afterEach(r.cleanup)

  it('close() detaches views at once, the work rejects with ERR_MMAP_CLOSED, and the map is unmapped after', async function () {
    const m = r.anonymous(64 * 1024 * 1024)
    const view = m.subarray(0, 100)
    await withTuning(1024 * 1024, 4096, async () => {
      const p = rejection(m.countAsync('nothing', 0, undefined, { threads: 2 }))
      const q = rejection(m.prefetch())
      m.close()
      assert.strictEqual(view.length, 0) // detached at once
      assert.strictEqual((await p).code, 'ERR_MMAP_CLOSED')
      assert.strictEqual((await q).code, 'ERR_MMAP_CLOSED')
    })
  })

  it('refuses resize() with ERR_MMAP_BUSY while a scan is in flight, and allows it once it settled', async function () {
    const data = Buffer.alloc(8 * 1024 * 1024, 'q')
    const { m } = r.mapFile(data, 0, { access: mmap.ACCESS_WRITE })
    const p = m.countAsync('q')
    assert.throws(() => m.resize(PAGE), { code: 'ERR_MMAP_BUSY' })
    assert.strictEqual(m.length, data.length)
    assert.strictEqual(await p, data.length)
    m.resize(PAGE)
    assert.strictEqual(m.length, PAGE)
  })

  it('rejects with ERR_MMAP_TRUNCATED when the file is cut under a scan or a prefetch, and the process lives', function () {
    posixOnly(this, 'Windows cannot shrink a mapped file')
    this.timeout(120000)
    const out = runChildJson(`
      const fs = require('fs')
      const { execFileSync } = require('child_process')
      const mmap = require(MMAP)
      const binding = require(MMAP + '/lib/binding')
      const file = require('os').tmpdir() + '/mmap-async-trunc-' + process.pid
      const size = 32 * 1024 * 1024
      const code = (p) => p.then((v) => 'ok:' + v, (e) => e.code)
      ;(async () => {
        const out = {}
        try {
          // The file is cut before the scan reaches the lost pages: every part that touches them faults.
          binding.scanTuning(1024 * 1024, 65536)
          for (const name of ['findAsync', 'rfindAsync', 'countAsync']) {
            fs.writeFileSync(file, Buffer.alloc(size, 'a'))
            const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
            execFileSync('truncate', ['-s', String(size / 2), file])
            out[name] = await code(m[name]('zzz', 0, undefined, { threads: 4 }))
            out[name + ' after'] = await code(m[name]('zzz', 0, size / 4))
            m.close()
          }
          fs.writeFileSync(file, Buffer.alloc(size, 'a'))
          const p = mmap.open(file)
          execFileSync('truncate', ['-s', String(size / 2), file])
          out.prefetch = await code(p.prefetch())
          out.prefetchHead = await code(p.prefetch(0, size / 4))
          p.close()
          // Cut while the scans run: each ends with the right answer or ERR_MMAP_TRUNCATED.
          const seen = new Set()
          for (let i = 0; i < 20; i++) {
            fs.writeFileSync(file, Buffer.alloc(size, 'b'))
            const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
            binding.scanTuning(65536, 4096)
            const jobs = [code(m.countAsync('b', 0, undefined, { threads: 2 })), code(m.findAsync('c')), code(m.prefetch())]
            setImmediate(() => execFileSync('truncate', ['-s', String(PAGE_CUT), file]))
            for (const c of await Promise.all(jobs)) seen.add(c)
            m.close()
          }
          out.racing = [...seen].sort()
        } finally {
          fs.rmSync(file, { force: true })
        }
        console.log(JSON.stringify(out))
      })()
    `.replace('PAGE_CUT', String(4 * PAGE)))
    for (const name of ['findAsync', 'rfindAsync', 'countAsync']) {
      assert.strictEqual(out[name], 'ERR_MMAP_TRUNCATED', name)
      assert.strictEqual(out[name + ' after'], name === 'countAsync' ? 'ok:0' : 'ok:-1', name)
    }
    assert.strictEqual(out.prefetch, 'ERR_MMAP_TRUNCATED')
    assert.strictEqual(out.prefetchHead, 'ok:undefined')
    for (const c of out.racing) {
      assert.ok(['ERR_MMAP_TRUNCATED', `ok:${32 * 1024 * 1024}`, 'ok:-1', 'ok:undefined'].includes(c), c)
    }
  })

  it('survives a worker terminated while its scans run, and scans in workers give the sync answers', async function () {
    this.timeout(60000)
    const code = `
      const { parentPort, workerData } = require('worker_threads')
      const mmap = require(workerData.root)
      const m = new mmap.Mmap(-1, 4 * 1024 * 1024)
      for (let i = 0; i < m.length; i += 4096) m.set(i, 120)
      Promise.all([m.countAsync('x'), m.findAsync('x', 5), m.rfindAsync('x'), m.prefetch()]).then((got) => {
        parentPort.postMessage([got, [m.count('x'), m.find('x', 5), m.rfind('x'), undefined]])
        if (workerData.forever) setInterval(() => m.countAsync('x'), 1)
      })
    `
    const root = require('path').join(__dirname, '..')
    const results = await Promise.all([0, 1, 2, 3].map(() => new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { root } })
      w.once('message', (msg) => { resolve(msg); w.terminate() })
      w.once('error', reject)
    })))
    for (const [got, want] of results) assert.deepStrictEqual(got, want)
    // Terminated with scans in flight (in a child: the process must end normally).
    const out = runChildJson(`
      const { Worker } = require('worker_threads')
      const code = ${JSON.stringify(code)}
      ;(async () => {
        for (let i = 0; i < 6; i++) {
          const w = new Worker(code, { eval: true, workerData: { root: MMAP, forever: true } })
          await new Promise((resolve) => w.once('message', resolve))
          await new Promise((resolve) => setTimeout(resolve, 20))
          await w.terminate()
        }
        console.log(JSON.stringify({ ok: true }))
      })()
    `)
    assert.deepStrictEqual(out, { ok: true })
  })
})

describe('prefetch, residency, lock, unlock', function () {
  const r = resources()
  afterEach(r.cleanup)

  it('prefetch() resolves once the range is resident, as residency() then tells', async function () {
    const size = 64 * PAGE
    const { m } = r.mapFile(pattern(size))
    assert.strictEqual(await m.prefetch(), undefined)
    assert.deepStrictEqual(m.residency(), { resident: size, total: size })
    assert.strictEqual(await m.prefetch(PAGE + 1, 10), undefined)
    assert.strictEqual(await m.prefetch(size), undefined)
    const empty = r.mapFile('').m
    assert.strictEqual(await empty.prefetch(), undefined)
    assert.deepStrictEqual(empty.residency(), { resident: 0, total: 0 })
  })

  it('residency() counts whole pages of the range, untouched anonymous pages as absent', function () {
    if (isWindows) skip(this, 'Windows commits anonymous pages on touch only; covered by the file case')
    const m = r.anonymous(16 * PAGE)
    assert.deepStrictEqual(m.residency(), { resident: 0, total: 16 * PAGE })
    m.set(3 * PAGE + 5, 1)
    m.set(9 * PAGE, 1)
    assert.deepStrictEqual(m.residency(), { resident: 2 * PAGE, total: 16 * PAGE })
    assert.deepStrictEqual(m.residency(3 * PAGE + 100, 10), { resident: PAGE, total: PAGE })
    assert.deepStrictEqual(m.residency(3 * PAGE + 100, PAGE), { resident: PAGE, total: 2 * PAGE })
    assert.deepStrictEqual(m.residency(4 * PAGE, 5 * PAGE), { resident: 0, total: 5 * PAGE })
    assert.deepStrictEqual(m.residency(16 * PAGE), { resident: 0, total: 0 })
  })

  it('lock() and unlock() pin and release pages; residency shows them in', function () {
    const { m } = r.mapFile(pattern(8 * PAGE))
    m.lock(0, 4 * PAGE)
    assert.deepStrictEqual(m.residency(0, 4 * PAGE), { resident: 4 * PAGE, total: 4 * PAGE })
    m.unlock(0, 4 * PAGE)
    m.unlock() // pages never locked: no error, as munlock
    m.lock()
    m.unlock()
  })

  it('lock() past RLIMIT_MEMLOCK without the privilege is a coded OS error with errno and syscall', function () {
    if (!isLinux) return skip(this, 'needs prlimit and setpriv (Linux)')
    let cmd
    try {
      execFileSync('setpriv', ['--version'], { stdio: 'ignore' })
      cmd = true
    } catch {}
    if (!cmd) return skip(this, 'setpriv is not installed')
    const script = `
      const mmap = require(${JSON.stringify(require('path').join(__dirname, '..'))})
      const m = new mmap.Mmap(-1, 64 * mmap.PAGESIZE)
      try { m.lock(); console.log(JSON.stringify({ ok: true })) } catch (e) {
        console.log(JSON.stringify({ code: e.code, errno: e.errno, syscall: e.syscall, message: e.message }))
      }
      m.unlock(); m.close()
    `
    // No CAP_IPC_LOCK and a limit of one page: mlock must refuse.
    const out = execFileSync('prlimit', ['--memlock=4096:4096', 'setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock',
      process.execPath, '-e', script], { encoding: 'utf8' })
    const got = JSON.parse(out.trim().split('\n').pop())
    assert.ok(['ENOMEM', 'EPERM', 'EAGAIN'].includes(got.code), JSON.stringify(got))
    assert.strictEqual(got.errno, errnoOf(got.code))
    assert.strictEqual(got.syscall, 'mlock')
  })

  it('checks arguments, ranges and the closed state like the other range methods', async function () {
    const { m } = r.mapFile(pattern(4 * PAGE))
    for (const name of ['residency', 'lock', 'unlock']) {
      assert.throws(() => m[name]('0'), { code: 'ERR_INVALID_ARG_TYPE' })
      assert.throws(() => m[name](0, 1.5), { code: 'ERR_OUT_OF_RANGE' })
      assert.throws(() => m[name](-1), { code: 'ERR_OUT_OF_RANGE' })
      assert.throws(() => m[name](4 * PAGE + 1), { code: 'ERR_OUT_OF_RANGE' })
      assert.throws(() => m[name](0, -1), { code: 'ERR_OUT_OF_RANGE' })
      assert.throws(() => m[name](2n ** 62n), { code: 'ERR_OUT_OF_RANGE' })
      assert.throws(() => m[name](0, 2n ** 64n), { code: 'ERR_OUT_OF_RANGE' })
      m[name](PAGE, 2n ** 62n) // clamped to the map's end
    }
    assert.strictEqual((await rejection(m.prefetch('0'))).code, 'ERR_INVALID_ARG_TYPE')
    assert.strictEqual((await rejection(m.prefetch(-1))).code, 'ERR_OUT_OF_RANGE')
    assert.strictEqual((await rejection(m.prefetch(0, 1, { signal: 1 }))).code, 'ERR_INVALID_ARG_TYPE')
    assert.strictEqual((await rejection(m.prefetch(0, 1, 'x'))).code, 'ERR_INVALID_ARG_TYPE')
    m.close()
    for (const name of ['residency', 'lock', 'unlock']) assert.throws(() => m[name](), { code: 'ERR_MMAP_CLOSED' })
    assert.strictEqual((await rejection(m.prefetch())).code, 'ERR_MMAP_CLOSED')
  })
})

// Exported for a look from the REPL; mocha ignores it.
module.exports = { withTuning, removeFile }
