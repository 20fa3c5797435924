'use strict'
// workers.test.js: the addon in worker_threads: several at once, workers that exit or are
// terminated with maps open, views sent between threads. Every probe runs in a child process.
const assert = require('assert')
const { tempFile, runChildJson, needsProc } = require('./helpers')

// The child's side: the package, the probe helpers, and startWorker(code, data),
// which runs `code` in a worker with `mmap`, `Mmap`, `fs`, `parentPort` and
// `workerData` in scope.
const PRELUDE = `
const { Worker } = require('worker_threads')
const mmap = require(MMAP)
const { Mmap } = mmap
const { collect, mapsOf, fdsOf, run } = require(MMAP + '/test/fixtures/lifetime-probe.js')
function startWorker (code, workerData) {
  const source = 'const { parentPort, workerData } = require("worker_threads")\\n' +
    'const fs = require("fs")\\n' +
    'const mmap = require(' + JSON.stringify(MMAP) + ')\\n' +
    'const { Mmap } = mmap\\n' + code
  const w = new Worker(source, { eval: true, workerData })
  // Listen at once: a worker may post and exit before the caller awaits.
  w.exited = new Promise((resolve) => w.once('exit', resolve))
  const queue = []
  const waiting = []
  w.on('message', (msg) => waiting.length > 0 ? waiting.shift()(msg) : queue.push(msg))
  w.next = () => queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))
  return w
}
`

function probe (code, timeout = require('./helpers').slow(60000)) {
  return runChildJson(PRELUDE + code, { timeout })
}

describe('worker threads', function () {
  it('loads the addon in four workers at once, each mapping, finding, writing and closing', function () {
    const files = [0, 1, 2, 3].map((i) => tempFile(Buffer.concat([Buffer.alloc(5000 + i * 100, 0x2e), Buffer.from(`needle${i}`), Buffer.alloc(3000, 0x2e)])))
    const r = probe(`run(async () => {
      const files = ${JSON.stringify(files)}
      // All four wait at a barrier, so they load and map at the same time.
      const barrier = new Int32Array(new SharedArrayBuffer(4))
      const workers = files.map((file, id) => startWorker(\`
        const util = require('util')
        const [barrier, file, id] = [new Int32Array(workerData.sab), workerData.file, workerData.id]
        Atomics.add(barrier, 0, 1)
        while (Atomics.load(barrier, 0) < 4) Atomics.wait(barrier, 0, Atomics.load(barrier, 0), 10)
        ;(async () => {
          const out = { id, rounds: 0 }
          for (let round = 0; round < 20; round++) {
            const fd = fs.openSync(file, 'r+')
            const m = new Mmap(fd, 0)
            fs.closeSync(fd)
            out.found = m.find('needle' + id)
            out.rfound = m.rfind('.')
            out.count = m.count('needle')
            const view = m.subarray(0, 16)
            m.seek(0)
            m.write(Buffer.from('worker' + id))
            out.view = view.toString('latin1', 0, 7)
            m.flush()
            await m.flushAsync()
            m.close()
            out.detached = view.length

            const anon = new Mmap(-1, 65536)
            anon.setSlice(40000, 40005, Buffer.from('hello'))
            out.anonFound = anon.find('hello', 0)
            const u8 = new Uint8Array(anon.buffer)
            u8[65535] = id + 1
            out.anonLast = anon.get(-1)
            anon.resize(131072)
            out.anonKept = anon.slice(40000, 40005).toString()
            anon.close()
            try { anon.get(0) } catch (err) { out.closed = err.code }
            try { new Mmap(-2, 16) } catch (err) {
              out.badFd = [err.code, err.syscall, util.getSystemErrorName(err.errno) === err.code, err instanceof Error]
            }
            out.rounds++
          }
          parentPort.postMessage(out)
        })()
      \`, { sab: barrier.buffer, file, id }))
      const results = await Promise.all(workers.map((w) => w.next()))
      const exits = await Promise.all(workers.map((w) => w.exited))
      const heads = files.map((file) => fs.readFileSync(file).toString('latin1', 0, 7))
      return { results, exits, heads }
    })`)
    assert.deepStrictEqual(r.exits, [0, 0, 0, 0])
    assert.deepStrictEqual(r.heads, ['worker0', 'worker1', 'worker2', 'worker3'])
    r.results.forEach((out, id) => {
      assert.deepStrictEqual(out, {
        id,
        rounds: 20,
        found: 5000 + id * 100,
        rfound: 5000 + id * 100 + 7 + 3000 - 1,
        count: 1,
        view: `worker${id}`,
        detached: 0,
        anonFound: 40000,
        anonLast: id + 1,
        anonKept: 'hello',
        closed: 'ERR_MMAP_CLOSED',
        badFd: ['EBADF', 'fstat', true, true]
      })
    })
  })

  it('leaves no descriptor of open() for Node to close when a worker exits', function () {
    // Node tracks descriptors a worker opens with fs.open and closes the ones
    // still open when it exits (trackUnmanagedFds). open() must not leave such
    // a number behind after close(): by then it may be another file's.
    const files = [tempFile('map me'), tempFile('main thread data')]
    const r = probe(`run(async () => {
      const [mapped, mine] = ${JSON.stringify(files)}
      const w = startWorker(\`
        for (let i = 0; i < 3; i++) {
          const m = mmap.open(workerData)
          m.get(0)
          m.close()
        }
        parentPort.postMessage('closed')
        parentPort.once('message', () => parentPort.close())
      \`, mapped)
      await w.next()
      // The lowest free numbers: the ones the worker's open() calls used.
      const fds = [0, 1, 2].map(() => fs.openSync(mine, 'r'))
      w.postMessage('exit')
      const exit = await w.exited
      const reads = fds.map((fd) => {
        try {
          return fs.readFileSync(fd, 'utf8')
        } catch (err) {
          return err.code
        } finally {
          try { fs.closeSync(fd) } catch {}
        }
      })
      return { exit, reads }
    })`)
    assert.deepStrictEqual(r, { exit: 0, reads: ['main thread data', 'main thread data', 'main thread data'] })
  })

  it('loads the addon again in workers started after earlier ones exited', function () {
    const r = probe(`run(async () => {
      const out = []
      for (let i = 0; i < 8; i++) {
        const w = startWorker(\`
          const m = new Mmap(-1, 4096)
          m.set(0, workerData)
          let code = null
          try { m.resize(-1) } catch (err) { code = err.code }
          parentPort.postMessage([m.get(0), code, mmap.PAGESIZE > 0])
        \`, i)
        out.push(await w.next())
        out.push(await w.exited)
      }
      const m = new Mmap(-1, 4096)
      m.set(1, 9)
      out.push(m.get(1))
      return out
    })`)
    const expected = []
    for (let i = 0; i < 8; i++) expected.push([i, 'ERR_OUT_OF_RANGE', true], 0)
    expected.push(9)
    assert.deepStrictEqual(r, expected)
  })

  it('survives workers that exit without closing their maps, and releases those maps', function () {
    needsProc(this)
    const file = tempFile(Buffer.alloc(16384, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const mine = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const workers = [0, 1, 2, 3].map((id) => startWorker(\`
        const { file, id } = workerData
        globalThis.kept = []
        const fd = fs.openSync(file, 'r+')
        for (let i = 0; i < 5; i++) {
          const m = new Mmap(fd, 4096, { offset: i * 1024 })
          const view = m.subarray()
          view[id] = 0x30 + id
          kept.push(m, view)
        }
        kept.push(mmap.open(file), new Mmap(-1, 1 << 20), new Mmap(-1, 8192).subarray())
        fs.closeSync(fd)
        // Flushes still in flight when the worker goes away.
        for (let i = 0; i < 4; i++) kept[0].flushAsync()
        parentPort.postMessage([kept.length])
        // Two end naturally, one by process.exit() in the worker, one by throwing.
        if (id === 2) process.exit(0)
        if (id === 3) setImmediate(() => { throw new Error('worker fails with maps open') })
      \`, { file, id }))
      const errors = []
      workers.forEach((w) => w.on('error', (err) => errors.push(err.message)))
      const ready = await Promise.all(workers.map((w) => w.next()))
      const exits = await Promise.all(workers.map((w) => w.exited))
      await collect()
      const bytes = [0, 1, 2, 3].map((i) => mine.get(i))
      mine.set(100, 1)
      mine.close()
      return { ready, exits, errors, bytes, released: [mapsOf(file), fdsOf(file)] }
    })`)
    assert.deepStrictEqual(r, {
      ready: [[13], [13], [13], [13]],
      exits: [0, 0, 0, 1],
      errors: ['worker fails with maps open'],
      bytes: [0x30, 0x31, 0x32, 0x33],
      released: [0, 0]
    })
  })

  it('survives terminate() of workers holding maps they never closed', function () {
    needsProc(this)
    const file = tempFile(Buffer.alloc(8192, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const codes = [
        // Idle, with a timer keeping it alive.
        'setInterval(() => {}, 1000)',
        // Busy writing through a view when it is stopped.
        'setImmediate(() => { for (;;) view[1] = (view[1] + 1) & 255 })',
        // Busy issuing flushes.
        'const again = () => m.flushAsync().then(again, again); for (let i = 0; i < 8; i++) again()'
      ]
      const out = []
      for (const tail of codes) {
        for (let round = 0; round < 3; round++) {
          const w = startWorker(\`
            const m = mmap.open(workerData, { access: mmap.ACCESS_WRITE })
            const view = m.subarray()
            view[0] = 0x42
            globalThis.anon = new Mmap(-1, 1 << 20).subarray()
            parentPort.postMessage('ready')
          \` + tail, file)
          await w.next()
          await new Promise((resolve) => setTimeout(resolve, 20))
          out.push(await w.terminate())
        }
      }
      await collect()
      const data = fs.readFileSync(file)
      return { out, first: data[0], released: [mapsOf(file), fdsOf(file)], alive: new Mmap(-1, 4096).length }
    })`)
    assert.deepStrictEqual(r, { out: Array(9).fill(1), first: 0x42, released: [0, 0], alive: 4096 })
  })

  it('shares the bytes of a file map between a worker and the main thread', function () {
    const file = tempFile(Buffer.alloc(4096, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const w = startWorker(\`
        const m = mmap.open(workerData, { access: mmap.ACCESS_WRITE })
        parentPort.on('message', (i) => {
          if (i === 'stop') { m.close(); parentPort.close(); return }
          m.subarray()[i] = m.get(i) + 1
          parentPort.postMessage(m.get(i + 1))
        })
      \`, file)
      const seen = []
      for (let i = 0; i < 10; i++) {
        m.set(i + 1, i)
        w.postMessage(i)
        seen.push(await w.next())
      }
      w.postMessage('stop')
      const exit = await w.exited
      return { seen, bytes: [...m.slice(0, 11)], exit }
    })`)
    assert.deepStrictEqual(r.seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepStrictEqual(r.bytes, [0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    assert.strictEqual(r.exit, 0)
  })

  it('never lets a view sent to a worker reach the memory after close()', function () {
    const file = tempFile(Buffer.alloc(65536, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const w = startWorker(\`
        const got = []
        parentPort.on('message', (msg) => {
          if (msg === 'read') {
            // The main thread has closed the map by now.
            parentPort.postMessage(got.map((v) => [v.byteLength, v.byteLength ? new Uint8Array(v)[0] : null]))
            parentPort.close()
            return
          }
          const u8 = msg instanceof ArrayBuffer ? new Uint8Array(msg) : msg
          u8[0] = 0x5a
          got.push(msg)
          parentPort.postMessage('got')
        })
      \`)
      const sent = []
      // Transferred: the buffer cannot move out of this thread, so it is
      // either refused or copied; cloned: always a copy.
      for (const [what, value, transfer] of [['buffer transferred', m.buffer, [m.buffer]], ['subarray cloned', m.subarray(0, 100)]]) {
        try {
          w.postMessage(value, transfer)
          await w.next()
          sent.push(what)
        } catch (err) {
          sent.push(what + ': ' + err.name)
        }
      }
      const stillMine = [m.buffer.byteLength, m.subarray().length, m.get(0)]
      m.close()
      w.postMessage('read')
      const read = await w.next()
      await w.exited
      return { sent, stillMine, read, onDisk: fs.readFileSync(file)[0] }
    })`)
    // The map itself must be unharmed by the attempt, whatever the outcome.
    assert.deepStrictEqual(r.stillMine, [65536, 65536, 0x41])
    assert.strictEqual(r.onDisk, 0x41)
    for (const [length, first] of r.read) {
      assert.ok(length === 0 || first === 0x5a, `the worker's copy reads ${first} over ${length} bytes`)
    }
    assert.strictEqual(r.read.length, r.sent.filter((s) => !s.includes(':')).length)
  })
})
