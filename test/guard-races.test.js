'use strict'
// guard-races.test.js: the fault guard against the races an adversarial tester found: SIGBUS
// listeners coming and going while other threads fault, a private map resized while another
// process truncates and regrows its file, and the copy-on-write refill of a zero run with many
// written pages (mappings per map). Each probe runs in a child process whose exit the test
// asserts; the racing ones loop long enough to fail reliably on the code before the fix.
const assert = require('assert')
const { runChild, tempFile, removeFile, posixOnly, linuxOnly, skip, runtime } = require('./helpers')

const mmap = require('..')
const PAGE = mmap.PAGESIZE

// Runs `code` in a child; returns { status, signal, out } (out: the JSON of its last line).
function child (code, timeout = 60000) {
  const r = runChild(code, { timeout })
  let out = null
  try {
    out = JSON.parse(r.stdout.trim().split('\n').pop())
  } catch {}
  return { status: r.status, signal: r.signal, out, stderr: r.stderr }
}

describe('fault guard races', function () {
  before(function () {
    posixOnly(this, 'SIGBUS, fork and the POSIX fault guard')
  })
  this.timeout(120000)

  it('survives process.on(\'SIGBUS\') listeners added and removed while worker threads fault', function () {
    const r = child(`
      const { Worker } = require('worker_threads')
      const worker = \`
        const { parentPort, workerData } = require('worker_threads')
        const fs = require('fs')
        const mmap = require(workerData.MMAP)
        const PAGE = mmap.PAGESIZE
        const file = workerData.file
        let stop = false
        parentPort.on('message', () => { stop = true })
        const two = Buffer.alloc(2 * PAGE, 'a')
        const loop = () => {
          let n = 0
          for (let i = 0; i < 50 && !stop; i++) {
            fs.writeFileSync(file, two)
            const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
            const v = new Uint8Array(m.buffer)
            fs.truncateSync(file, 0)
            if (v[PAGE + 1] !== 0) process.exit(4)
            n++
            m.close()
          }
          parentPort.postMessage(n)
          if (!stop) setImmediate(loop); else { fs.unlinkSync(file); process.exit(0) }
        }
        loop()
      \`
      const os = require('os')
      const path = require('path')
      let faults = 0
      const workers = [0, 1].map((w) => {
        const file = path.join(os.tmpdir(), 'guard-races-' + process.pid + '-' + w)
        const wk = new Worker(worker, { eval: true, workerData: { MMAP, file } })
        wk.on('message', (n) => { faults += n })
        wk.on('error', (e) => { console.error(e); process.exit(3) })
        return wk
      })
      const listener = () => {}
      const end = Date.now() + 1500
      let toggles = 0
      const spin = () => {
        for (let i = 0; i < 200; i++) { process.on('SIGBUS', listener); process.off('SIGBUS', listener); toggles++ }
        if (Date.now() < end) return setImmediate(spin)
        for (const wk of workers) wk.postMessage('stop')
        Promise.all(workers.map((wk) => new Promise((resolve) => wk.on('exit', resolve))))
          .then(() => console.log(JSON.stringify({ toggles, faults })))
      }
      setImmediate(spin)
    `)
    assert.strictEqual(r.signal, null, `child died by ${r.signal}: ${r.stderr}`)
    assert.strictEqual(r.status, 0, r.stderr)
    assert.ok(r.out.toggles > 1000, `toggles: ${r.out.toggles}`)
    assert.ok(r.out.faults > 50, `faults: ${r.out.faults}`)
  })

  it('loads the addon without touching SIGBUS, and starts its libuv watcher only at guardWatch(), which the module calls at load under Node', function () {
    linuxOnly(this, 'reads SigCgt in /proc/self/status')
    // Bun's uv_signal_init ends the process and Deno has none: there the module never calls it.
    if (runtime !== 'node') skip(this, 'guardWatch() is for Node only')
    const r = child(`
      const fs = require('fs')
      const caught = () => Number((BigInt('0x' + /SigCgt:\\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) >> 6n) & 1n)
      const binding = require(MMAP + '/lib/binding')
      const loaded = caught()
      binding.guardWatch()
      const watched = caught()
      binding.guardWatch() // once per environment
      const mmap = require(MMAP)
      const m = mmap.open(${JSON.stringify(__filename)})
      m.close()
      console.log(JSON.stringify({ loaded, watched, after: caught() }))
    `)
    assert.strictEqual(r.status, 0, r.stderr)
    assert.deepStrictEqual(r.out, { loaded: 0, watched: 1, after: 1 })
  })

  for (const [name, setup, heard] of [
    ['no listener ever', '', false],
    ['no map and no listener', 'NOMAP', false],
    ['a listener added and removed', 'const l = () => {}; process.on(\'SIGBUS\', l); process.off(\'SIGBUS\', l)', false],
    ['a listener', 'process.on(\'SIGBUS\', () => { heard++ })', true]
  ]) {
    it(`${heard ? 'hands' : 'dies by'} a kill()-sent SIGBUS ${heard ? 'to' : 'with'} ${name}${heard ? '' : ', as without the module'}`, function () {
      const file = tempFile(Buffer.alloc(3 * PAGE, 'a'))
      try {
        const r = child(`
          const mmap = require(MMAP)
          let heard = 0
          const m = ${setup === 'NOMAP' ? 'null' : `mmap.open(${JSON.stringify(file)}, { access: mmap.ACCESS_WRITE })`}
          ${setup === 'NOMAP' ? '' : setup}
          process.kill(process.pid, 'SIGBUS')
          setTimeout(() => console.log(JSON.stringify({ heard, length: m && m.length })), 200)
        `)
        if (heard) {
          assert.strictEqual(r.signal, null, `child died by ${r.signal}: ${r.stderr}`)
          assert.deepStrictEqual(r.out, { heard: 1, length: 3 * PAGE })
        } else {
          assert.strictEqual(r.signal, 'SIGBUS', `child exited ${r.status} (${r.signal}): ${r.stderr}`)
        }
      } finally {
        removeFile(file)
      }
    })
  }

  for (const mode of ['idle', 'with I/O in flight']) {
    it(`survives resize() of a writable MAP_PRIVATE map ${mode} while another process truncates and regrows the file`, function () {
      const size = 8 << 20
      const file = tempFile(Buffer.alloc(size, 'a'))
      try {
        const r = child(`
          const fs = require('fs')
          const cp = require('child_process')
          const crypto = require('crypto')
          const mmap = require(MMAP)
          const PAGE = mmap.PAGESIZE
          const file = ${JSON.stringify(file)}
          const SIZE = ${size}
          const trunc = cp.spawn(process.execPath, ['-e', \`
            const fs = require('fs'); const fd = fs.openSync(\${JSON.stringify(file)}, 'r+')
            const pp = process.ppid
            for (let i = 0; ; i++) {
              if (i % 256 === 0) { try { process.kill(pp, 0) } catch { process.exit(0) } }
              const s = fs.fstatSync(fd).size
              fs.ftruncateSync(fd, \${PAGE}); fs.ftruncateSync(fd, Math.max(s, \${PAGE}))
            }\`], { stdio: 'ignore' })
          const m = mmap.open(file, { flags: mmap.MAP_PRIVATE, prot: mmap.PROT_READ | mmap.PROT_WRITE })
          const errors = {}
          let resizes = 0
          const end = Date.now() + 2500
          for (let r = 0; r < 300 && Date.now() < end; r++) {
            try {
              const v = new Uint8Array(m.buffer)
              v[v.length - 1] = 1
              ${mode === 'idle' ? '' : 'for (let i = 0; i < 8; i++) crypto.randomFill(v.subarray(0, 1), () => {})'}
              m.resize((1 + Math.floor(Math.random() * 16)) * (SIZE / 8) + (r & 1) * 123)
              resizes++
            } catch (e) { errors[e.code] = (errors[e.code] || 0) + 1 }
          }
          trunc.kill()
          console.log(JSON.stringify({ resizes, errors }))
        `)
        assert.strictEqual(r.signal, null, `child died by ${r.signal}: ${r.stderr}`)
        assert.strictEqual(r.status, 0, r.stderr)
        assert.ok(r.out.resizes > 20, JSON.stringify(r.out))
        for (const code of Object.keys(r.out.errors)) assert.strictEqual(code, 'ERR_MMAP_TRUNCATED', JSON.stringify(r.out))
      } finally {
        removeFile(file)
      }
    })
  }

  it('refills a copy-on-write zero run with every other page written in O(1) mappings, keeping the written bytes', function () {
    const MiB = 64
    const file = tempFile(Buffer.alloc(0))
    try {
      const r = child(`
        const fs = require('fs')
        const mmap = require(MMAP)
        const PAGE = mmap.PAGESIZE
        const file = ${JSON.stringify(file)}
        const SIZE = ${MiB} << 20
        fs.truncateSync(file, SIZE)
        const mapCount = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length
        const m = mmap.open(file, { access: mmap.ACCESS_COPY })
        const v = new Uint8Array(m.buffer)
        const before = mapCount()
        fs.truncateSync(file, 0)
        for (let p = 0; p < v.length; p += 2 * PAGE) v[p] = 7
        fs.writeFileSync(file, Buffer.alloc(SIZE, 'b'))
        const got = m.get(PAGE + 1)
        const added = mapCount() - before
        let kept = 0; let file_ = 0; let other = 0
        for (let p = 0; p < v.length; p += PAGE) {
          if (p % (2 * PAGE) === 0) { if (v[p] === 7 && v[p + 1] === 0) kept++; else other++ }
          else if (v[p] === 98 && v[p + PAGE - 1] === 98) file_++; else other++
        }
        console.log(JSON.stringify({ got, added, kept, file: file_, other, pages: v.length / PAGE }))
      `)
      assert.strictEqual(r.signal, null, `child died by ${r.signal}: ${r.stderr}`)
      assert.strictEqual(r.status, 0, r.stderr)
      const pages = (MiB << 20) / PAGE
      assert.strictEqual(r.out.got, 98)
      assert.ok(r.out.added < 16, `mappings added: ${r.out.added}`)
      assert.deepStrictEqual([r.out.kept, r.out.file, r.out.other], [pages / 2, pages / 2, 0])
    } finally {
      removeFile(file)
    }
  })

  it('keeps the guard when only worker threads load the addon and each goes while pool threads fault in its map', function () {
    // The main thread never loads the addon: each worker's environment is the only one with the
    // addon's libuv SIGBUS watcher, and its going must not leave SIGBUS to the default action
    // (libuv resets it when the last watcher stops) while pool threads fault in its map. After
    // the last worker, SIGBUS is still caught (the guard stays installed for the process).
    const rounds = 30
    for (let run = 0; run < 3; run++) {
      const r = child(`
        const { Worker } = require('worker_threads')
        const worker = \`
          const { parentPort, workerData } = require('worker_threads')
          const fs = require('fs')
          const crypto = require('crypto')
          const mmap = require(workerData.MMAP)
          const PAGE = mmap.PAGESIZE
          const file = workerData.file
          fs.writeFileSync(file, Buffer.alloc(512 * PAGE, 'a'))
          const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
          const v = m.subarray()
          fs.truncateSync(file, PAGE)
          for (let i = 1; i < 512; i++) crypto.randomFill(v.subarray(i * PAGE, i * PAGE + 64), () => {})
          parentPort.postMessage('go')
          for (let j = 0; j < 20; j++) for (let i = 1; i < 512; i += 7) v[i * PAGE] = 1
        \`
        let done = 0
        const caught = () => (BigInt('0x' + require('fs').readFileSync('/proc/self/status', 'utf8')
          .match(/SigCgt:\\s*([0-9a-f]+)/)[1]) >> 6n) & 1n
        const next = () => {
          const file = require('path').join(require('os').tmpdir(), 'wo-' + process.pid + '-' + done)
          const w = new Worker(worker, { eval: true, workerData: { MMAP, file } })
          w.on('error', (e) => { console.error(e); process.exit(3) })
          w.once('message', () => setTimeout(() => w.terminate().then(() => {
            require('fs').rmSync(file, { force: true })
            if (++done < ${rounds}) return next()
            console.log(JSON.stringify({ done, addonInMain: require.cache[require.resolve(MMAP)] !== undefined,
              sigbusCaught: process.platform === 'linux' ? Number(caught()) : 1 }))
          }), Math.random() * 3))
        }
        next()
      `)
      assert.strictEqual(r.signal, null, `child died by ${r.signal}: ${r.stderr}`)
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(r.out, { done: rounds, addonInMain: false, sigbusCaught: 1 })
    }
  })

  it('stays loaded after the last worker that loaded it goes: a SIGBUS sent by kill() then still dies by SIGBUS', function () {
    // Node unloads an addon when the last environment that loaded it goes; the guard's handler,
    // still installed, would then point at unmapped code (SIGSEGV). The addon is never unloaded.
    const r = child(`
      const { Worker } = require('worker_threads')
      const w = new Worker('const mmap = require(require("worker_threads").workerData); new mmap.Mmap(-1, 4096)', { eval: true, workerData: MMAP })
      w.on('error', (e) => { console.error(e); process.exit(3) })
      w.on('exit', () => setTimeout(() => process.kill(process.pid, 'SIGBUS'), 50))
    `)
    assert.strictEqual(r.signal, 'SIGBUS', `status ${r.status}, signal ${r.signal}: ${r.stderr}`)
  })
})
